using MedNode.Dicom.Native;

namespace MedNode.Dicom.Imaging.Codecs;

/// <summary>
/// JPEG-LS lossless (1.2.840.10008.1.2.4.80) and near-lossless (.81), PS3.5 §8.2.3, §A.4.3, through CharLS's C API. Decoding accepts
/// any interleave mode and returns colour-by-pixel data; encoding uses sample interleave for colour images.
/// </summary>
public sealed class JpegLsCodec : IDicomCodec
{
    private readonly int _nearLossless;
    private readonly NativeCodecLibrary _library;

    private JpegLsCodec(string uid, int nearLossless, NativeCodecLibrary? library = null)
    {
        _library = library ?? NativeCodecLibraries.CharLs;
        TransferSyntaxUid = uid;
        _nearLossless = nearLossless;
    }

    public static JpegLsCodec Lossless() => new(DicomTransferSyntax.JPEGLSLossless.Uid, 0);

    /// <summary>A lossless codec bound to another library description (tests: a library that is absent).</summary>
    internal static JpegLsCodec LosslessWith(NativeCodecLibrary library) => new(DicomTransferSyntax.JPEGLSLossless.Uid, 0, library);

    /// <summary>.81; encodes with NEAR = <paramref name="nearLossless"/> (ISO/IEC 14495-1 A.2.1).</summary>
    public static JpegLsCodec NearLossless(int nearLossless = 2) => new(DicomTransferSyntax.JPEGLSNearLossless.Uid, nearLossless);

    public string TransferSyntaxUid { get; }
    public bool CanDecode => _library.IsAvailable;
    public bool CanEncode => _library.IsAvailable;

    public string SupportReason => _library.IsAvailable
        ? $"decode and encode supported ({_library.Reason})"
        : $"JPEG-LS not supported: {_library.Reason}";

    /// <summary>Decodes to Bits Allocated containers. Samples keep the stream's precision with the bits above it zero, also for
    /// signed images (as DCMTK and GDCM decode them): interpret them through Bits Stored and Pixel Representation.</summary>
    public DecodedFrame Decode(ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        if (!CanDecode) throw new DicomCodecNotSupportedException(SupportReason);
        CharLsImage image;
        try
        {
            image = CharLs.Decode(encoded, (long)info.Rows * info.Columns * info.SamplesPerPixel * 2);
        }
        catch (NativeCodecException e)
        {
            throw new DicomCodecException(e.Message, e);
        }
        Jpeg.JpegLosslessCodec.Check(image.Width, image.Height, image.ComponentCount, info);
        var count = image.Width * image.Height * image.ComponentCount;
        var samples = new int[count];
        var wide = image.BitsPerSample > 8;
        for (var i = 0; i < count; i++)
        {
            samples[i] = wide ? image.Samples[2 * i] | (image.Samples[2 * i + 1] << 8) : image.Samples[i];
        }
        return new DecodedFrame(PixelSamples.Write(samples, info), PixelSamples.UpsampledPhotometric(info.PhotometricInterpretation), 0);
    }

    /// <summary>Encodes with precision Bits Stored (2–16); signed samples are coded as their low Bits Stored bits.</summary>
    public byte[] Encode(ReadOnlySpan<byte> native, FrameInfo info)
    {
        if (!CanEncode) throw new DicomCodecNotSupportedException(SupportReason);
        if (info.BitsStored is < 2 or > 16 || info.BitsAllocated > 16) throw new DicomCodecException("JPEG-LS holds 2–16 bits per sample (ISO/IEC 14495-1)");
        if (info.SamplesPerPixel is not (1 or 3)) throw new DicomCodecException($"JPEG-LS encoding of {info.SamplesPerPixel} samples per pixel is not supported");
        var samples = PixelSamples.Read(native, info);
        var pixels = info.Rows * info.Columns;
        if (info.PlanarConfiguration == 1) samples = PixelSamples.ChangePlanar(samples, pixels, info.SamplesPerPixel, toPlanar: false);
        var mask = (1 << info.BitsStored) - 1;
        var wide = info.BitsStored > 8;
        var buffer = new byte[samples.Length * (wide ? 2 : 1)];
        for (var i = 0; i < samples.Length; i++)
        {
            var v = samples[i] & mask;
            if (wide) { buffer[2 * i] = (byte)v; buffer[2 * i + 1] = (byte)(v >> 8); }
            else buffer[i] = (byte)v;
        }
        try
        {
            return CharLs.Encode(buffer, info.Columns, info.Rows, info.BitsStored, info.SamplesPerPixel, _nearLossless);
        }
        catch (NativeCodecException e)
        {
            throw new DicomCodecException(e.Message, e);
        }
    }
}
