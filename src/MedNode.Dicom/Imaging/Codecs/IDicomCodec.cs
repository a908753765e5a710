namespace MedNode.Dicom.Imaging.Codecs;

/// <summary>A pixel data codec for one transfer syntax: one frame at a time.</summary>
public interface IDicomCodec
{
    /// <summary>The transfer syntax UID this codec handles.</summary>
    string TransferSyntaxUid { get; }

    bool CanDecode { get; }
    bool CanEncode { get; }

    /// <summary>Why the codec can or cannot decode/encode, e.g. "JPEG 2000 not supported: libopenjp2.so.7 not found
    /// (apt-get install libopenjp2-7)". Native codecs load their library on the first read of this or of <see cref="CanDecode"/>.</summary>
    string SupportReason => CanDecode || CanEncode ? "supported (managed)" : "not supported";

    /// <summary>Decodes one frame (all its fragments concatenated) to native little-endian pixel data laid out as <paramref name="info"/>
    /// says after decoding. Returns the decoded bytes and the photometric interpretation they are in.</summary>
    DecodedFrame Decode(ReadOnlySpan<byte> encoded, FrameInfo info);

    /// <summary>Encodes one native little-endian frame.</summary>
    byte[] Encode(ReadOnlySpan<byte> native, FrameInfo info);
}

/// <summary>A decoded frame and the photometric interpretation of its bytes (e.g. YBR_FULL_422 JPEG decodes to YBR_FULL or RGB).</summary>
public sealed record DecodedFrame(byte[] Data, string PhotometricInterpretation, int PlanarConfiguration = 0);

/// <summary>The codec for a transfer syntax is not available (missing native library, or no implementation).</summary>
public sealed class DicomCodecNotSupportedException(string message) : Exception(message);

/// <summary>The encoded frame is malformed or disagrees with the Image Pixel module.</summary>
public sealed class DicomCodecException(string message, Exception? inner = null) : Exception(message, inner);
