using System.IO.Compression;

namespace MedNode.Dicom.Imaging.Codecs;

/// <summary>
/// Deflated Image Frame Compression, 1.2.840.10008.1.2.8.1 (PS3.5 §8.2.16, §A.4.13): each frame's native bytes compressed with
/// the deflate algorithm of RFC 1951 (no zlib or gzip header) and encapsulated one frame per fragment.
/// </summary>
public sealed class DeflatedFrameCodec : IDicomCodec
{
    /// <summary>Refuse to inflate a frame beyond this multiple of its expected length (a deflate bomb guard).</summary>
    private const int MaxExcessBytes = 16;

    public string TransferSyntaxUid => DicomTransferSyntax.DeflatedImageFrameCompression.Uid;
    public bool CanDecode => true;
    public bool CanEncode => true;

    public DecodedFrame Decode(ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        var expected = checked((int)info.FrameLength);
        var output = new byte[expected];
        using var input = new MemoryStream(encoded.ToArray(), writable: false);
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);
        var read = 0;
        try
        {
            while (read < expected)
            {
                var n = inflater.Read(output, read, expected - read);
                if (n == 0) break;
                read += n;
            }
            Span<byte> extra = stackalloc byte[MaxExcessBytes];
            if (read == expected && inflater.ReadAtLeast(extra, MaxExcessBytes, throwOnEndOfStream: false) >= MaxExcessBytes)
                throw new DicomCodecException($"deflated frame inflates beyond its expected {expected} bytes");
        }
        catch (InvalidDataException e)
        {
            throw new DicomCodecException("deflated frame is not valid RFC 1951 data: " + e.Message, e);
        }
        if (read < expected) throw new DicomCodecException($"deflated frame inflates to {read} bytes, {expected} expected");
        return new DecodedFrame(output, info.PhotometricInterpretation, info.PlanarConfiguration);
    }

    public byte[] Encode(ReadOnlySpan<byte> native, FrameInfo info)
    {
        var length = checked((int)info.FrameLength);
        if (native.Length < length) throw new DicomCodecException($"native frame has {native.Length} bytes, {length} expected");
        using var output = new MemoryStream();
        using (var deflater = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true)) deflater.Write(native[..length]);
        return output.ToArray();
    }
}
