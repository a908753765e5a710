using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.Tls;

namespace MedNode.Dicom.Network.Client;

/// <summary>The outcome of one C-STORE sent by <see cref="DicomClient"/>.</summary>
/// <param name="Status">The C-STORE-RSP status (PS3.4 Table B.2-1), or null when the file was not sent.</param>
/// <param name="Error">Why the file was not sent, or the peer's Error Comment.</param>
public sealed record StoreOutcome(string Path, string? SopInstanceUid, ushort? Status, string? TransferSyntaxSent, string? Error)
{
    public bool IsSuccess => Status is { } s && DimseStatus.Categorize(s) is DimseStatusCategory.Success or DimseStatusCategory.Warning;
}

/// <summary>The C-MOVE a C-STORE is a sub-operation of: Move Originator AE Title (0000,1030) and Message ID (0000,1031).</summary>
public sealed record MoveOriginator(string AeTitle, ushort MessageId);

/// <summary>
/// A DIMSE SCU (PS3.4 Annexes A and B): C-ECHO and C-STORE over one association per call. Each call connects (over TLS
/// when <see cref="Tls"/> is set), associates, works, and releases; all of it is cancellable.
/// </summary>
public sealed partial class DicomClient
{
    private readonly string _host;
    private readonly int _port;
    private ushort _messageId;

    public DicomClient(string host, int port, string calledAeTitle, string callingAeTitle = "MEDNODE", AssociationOptions? options = null)
    {
        _host = host;
        _port = port;
        CalledAeTitle = calledAeTitle;
        CallingAeTitle = callingAeTitle;
        Options = options ?? new AssociationOptions();
    }

    public string CalledAeTitle { get; }

    public string CallingAeTitle { get; }

    public AssociationOptions Options { get; }

    /// <summary>DICOM over TLS (PS3.15 Annex B.10) for every association of this client; null connects unencrypted.</summary>
    public DicomTlsClientOptions? Tls { get; init; }

    /// <summary>Parses <c>AE@host:port</c>.</summary>
    public static (string AeTitle, string Host, int Port) ParseAddress(string address)
    {
        var at = address.IndexOf('@', StringComparison.Ordinal);
        var colon = address.LastIndexOf(':');
        if (at <= 0 || colon < at + 2 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"'{address}' is not AE@host:port.");
        return (address[..at], address[(at + 1)..colon], port);
    }

    /// <summary>C-ECHO (PS3.7 §9.1.5): returns the status of the C-ECHO-RSP.</summary>
    public async Task<ushort> EchoAsync(CancellationToken cancellationToken = default)
    {
        var request = new AssociationRequest(CalledAeTitle, CallingAeTitle, [new PresentationContextRq(1, CEchoRq.VerificationSopClassUid, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid])]);
        await using var association = await ConnectAsync(request, cancellationToken);
        var pc = association.PresentationContexts.FirstOrDefault(p => p.IsAccepted)
            ?? throw new InvalidOperationException("The peer accepted no Verification presentation context.");
        await association.SendCommandAsync(pc.Id, new CEchoRq { AffectedSopClassUid = CEchoRq.VerificationSopClassUid, MessageId = NextMessageId() }, cancellationToken);
        var rsp = await ReceiveResponseAsync<CEchoRsp>(association, cancellationToken);
        await association.ReleaseAsync(cancellationToken);
        return rsp.Status;
    }

    /// <summary>
    /// C-STORE (PS3.7 §9.1.1) of Part 10 files on one association. One presentation context is proposed per SOP class
    /// and transfer syntax, offering the file's transfer syntax, then Explicit and Implicit VR Little Endian; a file in
    /// an uncompressed transfer syntax is transcoded when the peer accepted another uncompressed one.
    /// </summary>
    public Task<IReadOnlyList<StoreOutcome>> StoreAsync(IEnumerable<string> paths, IProgress<StoreOutcome>? progress = null, CancellationToken cancellationToken = default) =>
        StoreAsync(paths, null, progress, cancellationToken);

    /// <summary>C-STORE as above; as the sub-operations of a C-MOVE, each request names <paramref name="moveOriginator"/> (PS3.7 Table 9.3-1).</summary>
    public async Task<IReadOnlyList<StoreOutcome>> StoreAsync(IEnumerable<string> paths, MoveOriginator? moveOriginator, IProgress<StoreOutcome>? progress, CancellationToken cancellationToken)
    {
        var files = new List<(string Path, string SopClass, string SopInstance, string Ts)>();
        var outcomes = new List<StoreOutcome>();
        foreach (var path in paths)
        {
            try
            {
                var f = DicomFile.Open(path, new DicomReadOptions { StopAtPixelData = true });
                var sopClass = f.Dataset.GetString(DicomTags.SOPClassUID);
                var sopInstance = f.Dataset.GetString(DicomTags.SOPInstanceUID);
                if (sopClass == null || sopInstance == null) throw new FormatException("no SOP Class or SOP Instance UID");
                files.Add((path, sopClass, sopInstance, f.TransferSyntax.Uid));
            }
            catch (Exception ex) when (ex is DicomParseException or FormatException or IOException or DicomValueException)
            {
                Report(new StoreOutcome(path, null, null, null, "not a DICOM file: " + ex.Message));
            }
        }
        if (files.Count == 0) return outcomes;

        var contexts = new List<PresentationContextRq>();
        var contextFor = new Dictionary<(string, string), byte>();
        foreach (var f in files)
        {
            if (contextFor.ContainsKey((f.SopClass, f.Ts))) continue;
            if (contexts.Count == 128) throw new InvalidOperationException("More than 128 SOP class and transfer syntax pairs; send in smaller batches (PS3.8 §9.3.2.2).");
            var id = (byte)(contexts.Count * 2 + 1);
            var offered = new List<string> { f.Ts };
            foreach (var ts in new[] { DicomTransferSyntax.ExplicitVRLittleEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid })
                if (!offered.Contains(ts)) offered.Add(ts);
            contexts.Add(new PresentationContextRq(id, f.SopClass, offered));
            contextFor[(f.SopClass, f.Ts)] = id;
        }

        await using var association = await ConnectAsync(new AssociationRequest(CalledAeTitle, CallingAeTitle, contexts), cancellationToken);
        foreach (var f in files)
        {
            var pc = association.GetPresentationContext(contextFor[(f.SopClass, f.Ts)]);
            if (pc is not { IsAccepted: true, TransferSyntax: { } accepted })
            {
                Report(new StoreOutcome(f.Path, f.SopInstance, null, null, "the peer accepted no presentation context for this SOP class"));
                continue;
            }
            var rq = new CStoreRq { AffectedSopClassUid = f.SopClass, AffectedSopInstanceUid = f.SopInstance, MessageId = NextMessageId(), MoveOriginatorAeTitle = moveOriginator?.AeTitle, MoveOriginatorMessageId = moveOriginator?.MessageId };
            if (accepted == f.Ts)
            {
                await using var stream = new FileStream(f.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                stream.Position = DicomFile.Open(f.Path, new DicomReadOptions { StopAtPixelData = true }).DatasetOffset;
                await association.SendCommandAsync(pc.Id, rq, stream, cancellationToken);
            }
            else
            {
                var source = DicomTransferSyntax.Lookup(f.Ts);
                var target = DicomTransferSyntax.Lookup(accepted);
                if (source.IsEncapsulated || target.IsEncapsulated)
                {
                    Report(new StoreOutcome(f.Path, f.SopInstance, null, accepted, $"the peer accepted {target.Name} only; compressed data is not transcoded"));
                    continue;
                }
                var file = DicomFile.Open(f.Path);
                var ds = DicomTranscoder.Transcode(file.Dataset, source, target);
                using var buffer = new MemoryStream();
                DicomFileWriter.WriteDataset(buffer, ds, target);
                buffer.Position = 0;
                await association.SendCommandAsync(pc.Id, rq, buffer, cancellationToken);
            }
            var rsp = await ReceiveResponseAsync<CStoreRsp>(association, cancellationToken);
            Report(new StoreOutcome(f.Path, f.SopInstance, rsp.Status, accepted, rsp.ErrorComment));
        }
        await association.ReleaseAsync(cancellationToken);
        return outcomes;

        void Report(StoreOutcome o)
        {
            outcomes.Add(o);
            progress?.Report(o);
        }
    }

    private async Task<Association> ConnectAsync(AssociationRequest request, CancellationToken ct)
    {
        var transport = Tls is { } tls
            ? await DicomTls.ConnectAsync(_host, _port, tls, ct)
            : await SocketTransport.ConnectAsync(_host, _port, ct);
        return await Association.RequestAsync(transport, request, Options, ct);
    }

    private static async Task<T> ReceiveResponseAsync<T>(Association association, CancellationToken ct) where T : DimseResponse
    {
        var message = await association.ReceiveMessageAsync(ct) ?? throw new InvalidOperationException("The peer asked to release while a response was awaited.");
        return message.DecodeCommand() as T ?? throw new InvalidOperationException($"Expected a {typeof(T).Name}, got another command.");
    }

    private ushort NextMessageId() => ++_messageId == 0 ? ++_messageId : _messageId;
}
