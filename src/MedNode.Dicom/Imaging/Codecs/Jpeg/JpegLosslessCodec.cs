namespace MedNode.Dicom.Imaging.Codecs.Jpeg;

/// <summary>
/// JPEG Lossless, Non-Hierarchical (Process 14), 1.2.840.10008.1.2.4.57 (any predictor 1–7; DCMTK's default, 6, is used to encode),
/// and its First-Order Prediction subset (Selection Value 1), 1.2.840.10008.1.2.4.70 (PS3.5 §8.2.1, §A.4.1). Decodes and encodes
/// 2–16 bits, 1 or 3 components, without colour transformation.
/// </summary>
public sealed class JpegLosslessCodec : IDicomCodec
{
    private readonly int _predictor;
    private readonly int _restartRows;

    private JpegLosslessCodec(string uid, int predictor, int restartRows)
    {
        TransferSyntaxUid = uid;
        _predictor = predictor;
        _restartRows = restartRows;
    }

    /// <summary>Process 14 (.57), encoding with <paramref name="predictor"/> (T.81 Table H.1; 6 as DCMTK's dcmcjpeg +el by default)
    /// and, when <paramref name="restartRows"/> is above 0, a restart interval of that many rows.</summary>
    public static JpegLosslessCodec Process14(int predictor = 6, int restartRows = 0) =>
        predictor is >= 1 and <= 7 ? new(DicomTransferSyntax.JPEGLossless.Uid, predictor, restartRows) : throw new ArgumentOutOfRangeException(nameof(predictor));

    /// <summary>Process 14 Selection Value 1 (.70): predictor 1 only.</summary>
    public static JpegLosslessCodec Process14SV1(int restartRows = 0) => new(DicomTransferSyntax.JPEGLosslessSV1.Uid, 1, restartRows);

    public string TransferSyntaxUid { get; }
    public bool CanDecode => true;
    public bool CanEncode => true;

    /// <summary>The predictor that <see cref="Encode"/> uses.</summary>
    public int Predictor => _predictor;

    /// <summary>Decodes to Bits Allocated containers, planar configuration 0. Samples keep the JPEG precision with the bits above
    /// it zero, also for signed images (the stream holds the low bits, PS3.5 §8.2.1; DCMTK and GDCM decode them so): interpret
    /// them through Bits Stored and Pixel Representation.</summary>
    public DecodedFrame Decode(ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        var image = JpegLosslessDecoder.Decode(encoded, info.Columns, info.Rows, info.SamplesPerPixel);
        Check(image.Width, image.Height, image.Components, info);
        return new DecodedFrame(PixelSamples.Write(image.Samples, info), PixelSamples.UpsampledPhotometric(info.PhotometricInterpretation), 0);
    }

    /// <summary>Encodes with precision = Bits Stored (at most 16).</summary>
    public byte[] Encode(ReadOnlySpan<byte> native, FrameInfo info)
    {
        if (info.BitsAllocated > 16 || info.BitsStored > 16) throw new DicomCodecException("JPEG lossless holds at most 16 bits per sample (T.81 B.2.2)");
        if (info.SamplesPerPixel is not (1 or 3)) throw new DicomCodecException($"JPEG lossless encoding of {info.SamplesPerPixel} samples per pixel is not supported");
        var samples = PixelSamples.Read(native, info);
        var pixels = info.Rows * info.Columns;
        if (info.PlanarConfiguration == 1) samples = PixelSamples.ChangePlanar(samples, pixels, info.SamplesPerPixel, toPlanar: false);
        var precision = Math.Max(2, info.BitsStored);
        return JpegLosslessEncoder.Encode(samples, info.Columns, info.Rows, info.SamplesPerPixel, precision, _predictor, _restartRows);
    }

    internal static void Check(int width, int height, int components, FrameInfo info)
    {
        if (width != info.Columns || height != info.Rows || components != info.SamplesPerPixel)
            throw new DicomCodecException($"JPEG frame is {width}×{height}×{components}; the data set says Columns {info.Columns}, Rows {info.Rows}, Samples per Pixel {info.SamplesPerPixel}");
    }
}
