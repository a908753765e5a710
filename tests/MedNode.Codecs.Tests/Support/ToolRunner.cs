using MedNode.Dicom.Imaging;
using MedNode.TestSupport;

namespace MedNode.Codecs.Tests.Support;

/// <summary>Runs a DCMTK or GDCM command on files in a temporary folder and reads its output with <see cref="TestDicomFile"/>.</summary>
internal static class ToolRunner
{
    public static TestDicomFile.Parsed Convert(TempDir dir, byte[] input, string tool, params string[] options)
    {
        var inPath = dir.File("in-" + Guid.NewGuid().ToString("N")[..8] + ".dcm");
        var outPath = dir.File("out-" + Guid.NewGuid().ToString("N")[..8] + ".dcm");
        File.WriteAllBytes(inPath, input);
        var result = Tools.Run(tool, [.. options, inPath, outPath]);
        result.ExitCode.Should().Be(0, $"{tool} {string.Join(' ', options)} should succeed: {result.StdErr}{result.StdOut}");
        File.Exists(outPath).Should().BeTrue($"{tool} writes its output file");
        return TestDicomFile.Read(File.ReadAllBytes(outPath));
    }

    /// <summary>The first frame's native bytes of a decoded file.</summary>
    public static byte[] NativeFrame(TestDicomFile.Parsed file, FrameInfo info)
    {
        file.Fragments.Should().BeNull("the tool writes native pixel data");
        var length = (int)info.FrameLength;
        file.PixelData.Length.Should().BeGreaterThanOrEqualTo(length);
        return file.PixelData.AsSpan(0, length).ToArray();
    }

    /// <summary>The single frame of an encapsulated file: all fragments after the Basic Offset Table, concatenated.</summary>
    public static byte[] EncodedFrame(TestDicomFile.Parsed file)
    {
        file.Fragments.Should().NotBeNull("the tool writes encapsulated pixel data");
        return file.Fragments!.SelectMany(f => f).ToArray();
    }
}
