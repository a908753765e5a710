using JpegLibrary;

namespace MedNode.Dicom.Imaging.Codecs.Jpeg;

/// <summary>
/// JPEG Baseline (Process 1), 1.2.840.10008.1.2.4.50, and JPEG Extended (Process 2 &amp; 4), 1.2.840.10008.1.2.4.51: decoding only,
/// through the managed JpegLibrary 0.4.32 (its IDCT differs from libjpeg's by at most one grey level). No colour conversion is
/// applied: YBR_FULL_422 data comes back upsampled as YBR_FULL, RGB (APP14 transform 0) as RGB (PS3.5 §8.2.1). JpegLibrary is not
/// used for the lossless process, which it decodes wrongly for predictors 2, 3, 5, 6 and 7.
/// </summary>
public sealed class JpegBaselineCodec : IDicomCodec
{
    private JpegBaselineCodec(string uid) => TransferSyntaxUid = uid;

    public static JpegBaselineCodec Baseline() => new(DicomTransferSyntax.JPEGBaseline8Bit.Uid);
    public static JpegBaselineCodec Extended() => new(DicomTransferSyntax.JPEGExtended12Bit.Uid);

    public string TransferSyntaxUid { get; }
    public bool CanDecode => true;
    public bool CanEncode => false;
    public string SupportReason => "decode supported (managed, JpegLibrary); encode not supported";

    public DecodedFrame Decode(ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        var decoder = new JpegDecoder();
        decoder.SetInput(encoded.ToArray());
        try
        {
            decoder.Identify();
        }
        catch (InvalidDataException e)
        {
            throw new DicomCodecException("JPEG header could not be read: " + e.Message, e);
        }
        if (decoder.StartOfFrame is JpegMarker.StartOfFrame3 or JpegMarker.StartOfFrame7 or JpegMarker.StartOfFrame11 or JpegMarker.StartOfFrame15)
            throw new DicomCodecException("JPEG lossless data in a baseline/extended transfer syntax: decode it with the process 14 codec");
        JpegLosslessCodec.Check(decoder.Width, decoder.Height, decoder.NumberOfComponents, info);
        var writer = new SampleWriter(decoder.Width, decoder.Height, decoder.NumberOfComponents, decoder.Precision);
        decoder.SetOutputWriter(writer);
        try
        {
            decoder.Decode();
        }
        catch (InvalidDataException e)
        {
            throw new DicomCodecException("JPEG data could not be decoded: " + e.Message, e);
        }
        var samples = writer.Samples;
        for (var c = 0; c < decoder.NumberOfComponents; c++)
        {
            var fx = decoder.GetMaximumHorizontalSampling() / decoder.GetHorizontalSampling(c);
            var fy = decoder.GetMaximumVerticalSampling() / decoder.GetVerticalSampling(c);
            if (fx == 2 && fy is 1 or 2) ChromaUpsampling.Fancy(samples, decoder.Width, decoder.Height, decoder.NumberOfComponents, c, fy);
        }
        return new DecodedFrame(PixelSamples.Write(samples, info), PixelSamples.UpsampledPhotometric(info.PhotometricInterpretation), 0);
    }

    public byte[] Encode(ReadOnlySpan<byte> native, FrameInfo info) =>
        throw new DicomCodecNotSupportedException($"encoding to {TransferSyntaxUid} (lossy JPEG) is not supported");

    /// <summary>Collects 8×8 spatial blocks (already level-shifted and, for subsampled components, upsampled by replication) into
    /// component-interleaved samples clamped to the precision.</summary>
    private sealed class SampleWriter(int width, int height, int components, int precision) : JpegBlockOutputWriter
    {
        private readonly int _max = (1 << precision) - 1;

        public int[] Samples { get; } = new int[width * height * components];

        public override void WriteBlock(ref short blockRef, int componentIndex, int x, int y)
        {
            if (x >= width || y >= height) return;
            var w = Math.Min(width - x, 8);
            var h = Math.Min(height - y, 8);
            for (var dy = 0; dy < h; dy++)
            {
                var row = ((y + dy) * width + x) * components + componentIndex;
                for (var dx = 0; dx < w; dx++)
                    Samples[row + dx * components] = Math.Clamp((int)System.Runtime.CompilerServices.Unsafe.Add(ref blockRef, dy * 8 + dx), 0, _max);
            }
        }
    }
}
