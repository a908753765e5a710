using MedNode.Dicom.Imaging;
using MedNode.Dicom.Imaging.Codecs;

namespace MedNode.Codecs.Tests.Support;

/// <summary>
/// Seeded synthetic frames whose exact values are the analytic truth for lossless round trips: smooth anatomy-like structure
/// plus noise, covering the extremes of each pixel format.
/// </summary>
public static class SyntheticImages
{
    public sealed record Image(string Name, FrameInfo Info, byte[] Pixels)
    {
        public override string ToString() => Name;
    }

    /// <summary>CT: signed 16-bit, Bits Stored 16, values −2048..3071 with air, soft tissue, bone and the extremes.</summary>
    public static Image CtSigned16() => Make("CT signed 16-bit", new FrameInfo(64, 80, 1, 16, 16, 15, 1, 0, "MONOCHROME2"),
        (x, y, r) => Math.Clamp(Disc(x, y, 64, 80) ? (int)(40 + 900 * Math.Sin(x / 7.0) * Math.Cos(y / 5.0)) + r.Next(-30, 30) : -1000 + r.Next(-24, 24), -2048, 3071),
        extremes: [-32768, 32767, -1, 0]);

    /// <summary>MR: unsigned, 12 bits stored in 16 allocated (0..4095).</summary>
    public static Image Mr12In16() => Make("MR 12 in 16", new FrameInfo(48, 56, 1, 16, 12, 11, 0, 0, "MONOCHROME2"),
        (x, y, r) => Math.Clamp((int)(2000 + 1800 * Math.Sin((x + y) / 9.0)) + r.Next(-200, 200), 0, 4095),
        extremes: [0, 4095]);

    /// <summary>Signed 12 bits stored in 16 (sign-extended two's complement).</summary>
    public static Image CtSigned12In16() => Make("CT signed 12 in 16", new FrameInfo(40, 40, 1, 16, 12, 11, 1, 0, "MONOCHROME2"),
        (x, y, r) => Math.Clamp((int)(500 * Math.Sin(x / 4.0)) + r.Next(-100, 100) - 300, -2048, 2047),
        extremes: [-2048, 2047]);

    /// <summary>RGB, 8 bits, colour-by-pixel.</summary>
    public static Image Rgb8() => MakeRgb("RGB 8-bit", 0);

    /// <summary>RGB, 8 bits, colour-by-plane (Planar Configuration 1).</summary>
    public static Image Rgb8Planar() => MakeRgb("RGB 8-bit planar", 1);

    /// <summary>Palette-like: 8-bit indices with few distinct values in large flat regions (as a PALETTE COLOR or label image has).</summary>
    public static Image PaletteLike8() => Make("palette-like 8-bit", new FrameInfo(50, 70, 1, 8, 8, 7, 0, 0, "MONOCHROME2"),
        (x, y, r) => ((x / 10) + (y / 13) * 3) % 7 * 36 + (r.Next(100) == 0 ? 1 : 0),
        extremes: [0, 255]);

    public static IEnumerable<Image> LosslessSet() => [CtSigned16(), Mr12In16(), CtSigned12In16(), Rgb8(), Rgb8Planar(), PaletteLike8()];

    private static bool Disc(int x, int y, int rows, int columns)
    {
        double dx = x - columns / 2.0, dy = y - rows / 2.0;
        return dx * dx + dy * dy < rows * rows / 5.0;
    }

    private static Image Make(string name, FrameInfo info, Func<int, int, Random, int> value, int[] extremes)
    {
        var random = new Random(name.Length * 7919);
        var samples = new int[info.Rows * info.Columns];
        for (var y = 0; y < info.Rows; y++)
            for (var x = 0; x < info.Columns; x++) samples[y * info.Columns + x] = value(x, y, random);
        for (var i = 0; i < extremes.Length; i++) samples[i] = extremes[i];
        return new Image(name, info, PixelSamples.Write(samples, info));
    }

    private static Image MakeRgb(string name, int planar)
    {
        var info = new FrameInfo(30, 45, 3, 8, 8, 7, 0, planar, "RGB");
        var random = new Random(17);
        var pixels = info.Rows * info.Columns;
        var samples = new int[pixels * 3];
        for (var y = 0; y < info.Rows; y++)
            for (var x = 0; x < info.Columns; x++)
            {
                int[] rgb = [x * 255 / 44, y * 255 / 29, Math.Clamp(128 + random.Next(-60, 60), 0, 255)];
                for (var c = 0; c < 3; c++)
                {
                    var i = y * info.Columns + x;
                    samples[planar == 1 ? c * pixels + i : i * 3 + c] = rgb[c];
                }
            }
        samples[0] = 0;
        samples[1] = 255;
        return new Image(name, info, PixelSamples.Write(samples, info));
    }
}
