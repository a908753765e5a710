using MedNode.Dicom.Native;

namespace MedNode.Dicom.Imaging.Codecs;

/// <summary>
/// JPEG 2000 (1.2.840.10008.1.2.4.90 lossless, .91 lossy; PS3.5 §8.2.4, §A.4.4) decode and encode, and High-Throughput JPEG 2000
/// (.201, .202, .203; PS3.5 §8.2.15, §A.4.11) decode, through libopenjp2 (OpenJPEG ≥ 2.5 decodes HTJ2K). The frame may be a raw
/// codestream or, as some vendors write it, a JP2 file. YBR_RCT and YBR_ICT data are returned as RGB: the decoder applies the
/// inverse multiple component transformation that the codestream's COD segment signals.
/// </summary>
public sealed class Jpeg2000Codec : IDicomCodec
{
    private readonly string _name;
    private readonly bool _canEncode;
    private readonly float _compressionRatio;
    private readonly NativeCodecLibrary _library;

    private Jpeg2000Codec(string uid, string name, bool canEncode, float compressionRatio, NativeCodecLibrary? library = null)
    {
        _library = library ?? NativeCodecLibraries.OpenJpeg;
        TransferSyntaxUid = uid;
        _name = name;
        _canEncode = canEncode;
        _compressionRatio = compressionRatio;
    }

    public static Jpeg2000Codec Lossless() => new(DicomTransferSyntax.JPEG2000Lossless.Uid, "JPEG 2000", true, 0);

    /// <summary>.91; encodes irreversibly at <paramref name="compressionRatio"/>:1.</summary>
    public static Jpeg2000Codec Lossy(float compressionRatio = 10) => new(DicomTransferSyntax.JPEG2000.Uid, "JPEG 2000", true, compressionRatio);

    public static Jpeg2000Codec HighThroughput(string uid) => new(uid, "HTJ2K", false, 0);

    /// <summary>A lossless codec bound to another library description (tests: a library that is absent).</summary>
    internal static Jpeg2000Codec LosslessWith(NativeCodecLibrary library) => new(DicomTransferSyntax.JPEG2000Lossless.Uid, "JPEG 2000", true, 0, library);

    public string TransferSyntaxUid { get; }
    public bool CanDecode => _library.IsAvailable;
    public bool CanEncode => _canEncode && _library.IsAvailable;

    public string SupportReason => _library.IsAvailable
        ? $"{(_canEncode ? "decode and encode" : "decode")} supported ({_library.Reason})"
        : $"{_name} not supported: {_library.Reason}";

    public DecodedFrame Decode(ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        if (!CanDecode) throw new DicomCodecNotSupportedException(SupportReason);
        OpenJpegImage image;
        try
        {
            image = OpenJpeg.Decode(encoded, info.Columns, info.Rows);
        }
        catch (NativeCodecException e)
        {
            throw new DicomCodecException(e.Message, e);
        }
        var components = image.Components;
        if (components.Count < info.SamplesPerPixel)
            throw new DicomCodecException($"JPEG 2000 codestream has {components.Count} components, Samples per Pixel is {info.SamplesPerPixel}");
        var pixels = info.Rows * info.Columns;
        var samples = new int[pixels * info.SamplesPerPixel];
        for (var c = 0; c < info.SamplesPerPixel; c++)
        {
            var comp = components[c];
            if (comp.Width != info.Columns || comp.Height != info.Rows)
                throw new DicomCodecException($"JPEG 2000 component {c} is {comp.Width}×{comp.Height}; Columns × Rows is {info.Columns}×{info.Rows}");
            // Signed components come back in two's complement over Bits Allocated; an unsigned component keeps its value even
            // when Pixel Representation says signed (a known vendor quirk), as GDCM decodes it.
            for (var i = 0; i < pixels; i++) samples[i * info.SamplesPerPixel + c] = comp.Data[i];
        }
        var photometric = info.PhotometricInterpretation is "YBR_RCT" or "YBR_ICT" ? "RGB" : info.PhotometricInterpretation;
        if (info.BitsAllocated == 1) return new DecodedFrame(PixelSamples.PackBits(samples), photometric, 0);
        return new DecodedFrame(PixelSamples.Write(samples, info), photometric, 0);
    }

    /// <summary>Encodes a raw codestream with precision Bits Stored and the data set's signedness. RGB input is coded without
    /// a multiple component transformation, so Photometric Interpretation stays RGB (PS3.5 §8.2.4 allows RGB for .90/.91).</summary>
    public byte[] Encode(ReadOnlySpan<byte> native, FrameInfo info)
    {
        if (!CanEncode) throw new DicomCodecNotSupportedException(_canEncode ? SupportReason : $"encoding to {_name} ({TransferSyntaxUid}) is not supported");
        if (info.SamplesPerPixel is not (1 or 3)) throw new DicomCodecException($"JPEG 2000 encoding of {info.SamplesPerPixel} samples per pixel is not supported");
        if (info.PhotometricInterpretation is "YBR_FULL_422" or "YBR_PARTIAL_422")
            throw new DicomCodecException($"JPEG 2000 encoding of subsampled {info.PhotometricInterpretation} data is not supported");
        var samples = PixelSamples.Read(native, info);
        var pixels = info.Rows * info.Columns;
        if (info.SamplesPerPixel == 3 && info.PlanarConfiguration == 0) samples = PixelSamples.ChangePlanar(samples, pixels, 3, toPlanar: true);
        var planes = new int[info.SamplesPerPixel][];
        for (var c = 0; c < planes.Length; c++) planes[c] = samples.AsSpan(c * pixels, pixels).ToArray();
        try
        {
            return OpenJpeg.Encode(info.Columns, info.Rows, info.BitsStored, info.IsSigned, planes, _compressionRatio, multipleComponentTransform: false);
        }
        catch (NativeCodecException e)
        {
            throw new DicomCodecException(e.Message, e);
        }
    }
}
