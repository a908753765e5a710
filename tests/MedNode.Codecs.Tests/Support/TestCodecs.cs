using MedNode.Dicom.Imaging;
using MedNode.Dicom.Imaging.Codecs;
using MedNode.Dicom.Imaging.Codecs.Jpeg;

namespace MedNode.Codecs.Tests.Support;

/// <summary>Named codec instances for theories (names keep the test cases discoverable and readable).</summary>
internal static class TestCodecs
{
    public static IDicomCodec Get(string key) => key switch
    {
        "RLE" => new RleCodec(),
        "JPEG-LS" => JpegLsCodec.Lossless(),
        "J2K" => Jpeg2000Codec.Lossless(),
        "Deflate" => new DeflatedFrameCodec(),
        "SV1" => JpegLosslessCodec.Process14SV1(),
        "SV1-R5" => JpegLosslessCodec.Process14SV1(restartRows: 5),
        "P14-6-R7" => JpegLosslessCodec.Process14(6, restartRows: 7),
        "P14-4-R1" => JpegLosslessCodec.Process14(4, restartRows: 1),
        _ when key.StartsWith("P14-", StringComparison.Ordinal) && key.Length == 5 => JpegLosslessCodec.Process14(int.Parse(key[4..], System.Globalization.CultureInfo.InvariantCulture)),
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };

    public static SyntheticImages.Image Image(string name) => SyntheticImages.LosslessSet().Concat(ExtraImages()).Single(i => i.Name == name);

    public static IEnumerable<SyntheticImages.Image> ExtraImages() => [Rgb16(), Mono32()];

    /// <summary>RGB 16 bits (RLE writes six byte segments).</summary>
    public static SyntheticImages.Image Rgb16()
    {
        var info = new FrameInfo(12, 20, 3, 16, 16, 15, 0, 0, "RGB");
        var samples = new int[12 * 20 * 3];
        for (var i = 0; i < samples.Length; i++) samples[i] = (i * 2654435761L % 65536) is var v ? (int)v : 0;
        return new SyntheticImages.Image("RGB 16-bit", info, PixelSamples.Write(samples, info));
    }

    /// <summary>32-bit unsigned (RT Dose style; RLE writes four byte segments).</summary>
    public static SyntheticImages.Image Mono32()
    {
        var info = new FrameInfo(10, 14, 1, 32, 32, 31, 0, 0, "MONOCHROME2");
        var samples = new int[10 * 14];
        for (var i = 0; i < samples.Length; i++) samples[i] = unchecked((int)(i * 2654435761u));
        samples[0] = 0; samples[1] = -1; samples[2] = int.MinValue;
        return new SyntheticImages.Image("mono 32-bit", info, PixelSamples.Write(samples, info));
    }

    /// <summary>The native bytes of <paramref name="image"/> in the planar configuration a decoder returned.</summary>
    public static byte[] InLayout(SyntheticImages.Image image, int planarConfiguration)
    {
        if (image.Info.SamplesPerPixel == 1 || image.Info.PlanarConfiguration == planarConfiguration) return image.Pixels;
        var samples = PixelSamples.Read(image.Pixels, image.Info);
        var converted = PixelSamples.ChangePlanar(samples, image.Info.Rows * image.Info.Columns, 3, toPlanar: planarConfiguration == 1);
        return PixelSamples.Write(converted, image.Info);
    }
}
