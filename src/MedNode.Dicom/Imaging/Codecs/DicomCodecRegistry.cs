using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using MedNode.Dicom.Imaging.Codecs.Jpeg;

namespace MedNode.Dicom.Imaging.Codecs;

/// <summary>What MedNode can do with the pixel data of one transfer syntax, and why.</summary>
public sealed record DicomCodecStatus(string TransferSyntaxUid, string Name, bool CanDecode, bool CanEncode, string Reason);

/// <summary>
/// The pixel codecs keyed by transfer syntax UID. Native codecs resolve their library lazily (on the first status query or use),
/// so a host without libopenjp2 or libcharls starts normally and reports those syntaxes "not supported" with the package to install.
/// </summary>
public sealed class DicomCodecRegistry
{
    private readonly FrozenDictionary<string, IDicomCodec> _codecs;

    public DicomCodecRegistry(IEnumerable<IDicomCodec> codecs) =>
        _codecs = codecs.ToFrozenDictionary(c => c.TransferSyntaxUid, StringComparer.Ordinal);

    /// <summary>Every codec MedNode ships: managed RLE, JPEG lossless (.57 with predictor 6, .70), JPEG baseline/extended
    /// (decode), Deflated Image Frame Compression and encapsulated uncompressed; native JPEG 2000, HTJ2K (decode) and JPEG-LS.</summary>
    public static DicomCodecRegistry Default { get; } = new(
    [
        new RleCodec(),
        JpegLosslessCodec.Process14(),
        JpegLosslessCodec.Process14SV1(),
        JpegBaselineCodec.Baseline(),
        JpegBaselineCodec.Extended(),
        new DeflatedFrameCodec(),
        new EncapsulatedUncompressedCodec(),
        Jpeg2000Codec.Lossless(),
        Jpeg2000Codec.Lossy(),
        Jpeg2000Codec.HighThroughput(DicomTransferSyntax.HTJ2KLossless.Uid),
        Jpeg2000Codec.HighThroughput(DicomTransferSyntax.HTJ2KLosslessRPCL.Uid),
        Jpeg2000Codec.HighThroughput(DicomTransferSyntax.HTJ2K.Uid),
        JpegLsCodec.Lossless(),
        JpegLsCodec.NearLossless(),
    ]);

    /// <summary>The codec registered for <paramref name="transferSyntaxUid"/>, whether or not its library is available.</summary>
    public bool TryGet(string transferSyntaxUid, [NotNullWhen(true)] out IDicomCodec? codec) =>
        _codecs.TryGetValue(Normalize(transferSyntaxUid), out codec);

    public bool IsDecodable(string transferSyntaxUid) => TryGet(transferSyntaxUid, out var c) && c.CanDecode;

    public bool IsEncodable(string transferSyntaxUid) => TryGet(transferSyntaxUid, out var c) && c.CanEncode;

    /// <summary>Decode/encode support for a syntax with a reason; native (unencapsulated) syntaxes need no codec.</summary>
    public DicomCodecStatus GetStatus(string transferSyntaxUid)
    {
        var uid = Normalize(transferSyntaxUid);
        var ts = DicomTransferSyntax.Lookup(uid);
        if (!ts.IsEncapsulated) return new DicomCodecStatus(uid, ts.Name, true, true, "native pixel data: no codec needed");
        if (!_codecs.TryGetValue(uid, out var codec))
            return new DicomCodecStatus(uid, ts.Name, false, false, $"{ts.Name} not supported: MedNode has no codec for {uid}");
        return new DicomCodecStatus(uid, ts.Name, codec.CanDecode, codec.CanEncode, codec.SupportReason);
    }

    /// <summary>The status of every encapsulated syntax the toolkit knows.</summary>
    public IReadOnlyList<DicomCodecStatus> Statuses =>
        DicomTransferSyntax.All.Where(t => t.IsEncapsulated).OrderBy(t => t.Uid, StringComparer.Ordinal).Select(t => GetStatus(t.Uid)).ToList();

    /// <summary>Decodes one frame, or throws <see cref="DicomCodecNotSupportedException"/> naming the reason.</summary>
    public DecodedFrame Decode(string transferSyntaxUid, ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        if (!TryGet(transferSyntaxUid, out var codec) || !codec.CanDecode)
            throw new DicomCodecNotSupportedException(GetStatus(transferSyntaxUid).Reason);
        return codec.Decode(encoded, info);
    }

    /// <summary>Encodes one native frame, or throws <see cref="DicomCodecNotSupportedException"/> naming the reason.</summary>
    public byte[] Encode(string transferSyntaxUid, ReadOnlySpan<byte> native, FrameInfo info)
    {
        if (!TryGet(transferSyntaxUid, out var codec) || !codec.CanEncode)
        {
            var status = GetStatus(transferSyntaxUid);
            throw new DicomCodecNotSupportedException(status.CanDecode ? $"encoding to {status.Name} is not supported" : status.Reason);
        }
        return codec.Encode(native, info);
    }

    private static string Normalize(string uid) => uid.TrimEnd('\0', ' ');
}
