using MedNode.TestSupport;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>Decodes PNG/JPEG files with Pillow (an independent decoder) and renders DICOM with DCMTK's dcmj2pnm (the golden renderer).</summary>
internal static class ImageFiles
{
    public const string Python = "/usr/bin/python3";

    public sealed record Decoded(int Width, int Height, string Mode, byte[] Pixels);

    public static Decoded Decode(byte[] encoded, TempDir dir)
    {
        var input = dir.File(Guid.NewGuid().ToString("N") + ".img");
        File.WriteAllBytes(input, encoded);
        return DecodeFile(input, dir);
    }

    public static Decoded DecodeFile(string path, TempDir dir)
    {
        var raw = dir.File(Guid.NewGuid().ToString("N") + ".raw");
        var r = Tools.Run(Python, ["-c", "import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1]); im.load()\nopen(sys.argv[2], 'wb').write(im.tobytes())\nprint(im.size[0], im.size[1], im.mode, im.format)", path, raw]);
        r.ExitCode.Should().Be(0, r.StdErr);
        var f = r.StdOut.Trim().Split(' ');
        return new Decoded(int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), f[2], File.ReadAllBytes(raw));
    }

    /// <summary>dcmj2pnm's 8-bit PNG rendering of one frame with the given windowing options, decoded.</summary>
    public static Decoded Dcmtk(string dicomPath, TempDir dir, params string[] options)
    {
        var png = dir.File(Guid.NewGuid().ToString("N") + ".png");
        var r = Tools.Run("dcmj2pnm", [.. options, "+on", dicomPath, png]);
        r.ExitCode.Should().Be(0, r.StdErr);
        return DecodeFile(png, dir);
    }

    public static int MaxDifference(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    public static double MeanDifference(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}
