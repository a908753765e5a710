using System.Runtime.CompilerServices;
using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.Server;

namespace MedNode.Dicom.Network.Client;

/// <summary>One C-MOVE or C-GET response: Pending ones report progress, the last one the outcome (PS3.4 C.4.2.1.5, C.4.3.1.4).</summary>
public sealed record RetrieveProgress(ushort Status, ushort? Remaining, ushort? Completed, ushort? Failed, ushort? Warning, string? ErrorComment, IReadOnlyList<string> FailedSopInstanceUids)
{
    public bool IsFinal => DimseStatus.Categorize(Status) != DimseStatusCategory.Pending;
}

/// <summary>A C-FIND, C-MOVE or C-GET ended with a failure status; the status and Error Comment are the peer's.</summary>
public sealed class DimseFailureException : Exception
{
    public DimseFailureException() { }

    public DimseFailureException(string message) : base(message) { }

    public DimseFailureException(string message, Exception inner) : base(message, inner) { }

    public DimseFailureException(ushort status, string? errorComment)
        : base($"The peer answered status 0x{status:X4}{(errorComment is { Length: > 0 } c ? ": " + c : "")}.") => Status = status;

    public ushort Status { get; }
}

/// <summary>
/// The Query/Retrieve SCU (PS3.4 Annex C): C-FIND, C-MOVE and C-GET, one association per call. Cancelling the token,
/// or leaving the enumeration early, sends a C-CANCEL-RQ (PS3.7 §9.3.2.3) and waits (within ARTIM) for the final response.
/// </summary>
public sealed partial class DicomClient
{
    private static readonly string[] Uncompressed = [DicomTransferSyntax.ExplicitVRLittleEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid];

    /// <summary>C-FIND (PS3.7 §9.1.2): the identifiers of the Pending responses. A failure status throws <see cref="DimseFailureException"/>.</summary>
    /// <param name="sopClassUid">The information model, e.g. <see cref="QueryRetrieveSopClasses.StudyRootFind"/>.</param>
    public async IAsyncEnumerable<DicomDataset> FindAsync(string sopClassUid, DicomDataset identifier, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var association = await ConnectAsync(new AssociationRequest(CalledAeTitle, CallingAeTitle, [new PresentationContextRq(1, sopClassUid, Uncompressed)]), cancellationToken);
        var pc = AcceptedOrThrow(association, 1);
        var rq = new CFindRq { AffectedSopClassUid = sopClassUid, MessageId = NextMessageId() };
        await foreach (var (rsp, data) in ExchangeAsync(association, pc, rq, identifier, null, cancellationToken))
        {
            if (rsp.StatusCategory == DimseStatusCategory.Pending)
            {
                if (data != null) yield return data;
            }
            else if (rsp.StatusCategory == DimseStatusCategory.Failure)
            {
                throw new DimseFailureException(rsp.Status, rsp.ErrorComment);
            }
        }
        await association.ReleaseAsync(CancellationToken.None);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>C-MOVE (PS3.7 §9.1.4) to <paramref name="destinationAeTitle"/>, which the peer must know: every response, the final one last.</summary>
    public async IAsyncEnumerable<RetrieveProgress> MoveAsync(string sopClassUid, string destinationAeTitle, DicomDataset identifier, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var association = await ConnectAsync(new AssociationRequest(CalledAeTitle, CallingAeTitle, [new PresentationContextRq(1, sopClassUid, Uncompressed)]), cancellationToken);
        var pc = AcceptedOrThrow(association, 1);
        var rq = new CMoveRq { AffectedSopClassUid = sopClassUid, MessageId = NextMessageId(), MoveDestination = destinationAeTitle };
        await foreach (var (rsp, data) in ExchangeAsync(association, pc, rq, identifier, null, cancellationToken))
            yield return ToProgress(rsp, data);
        await association.ReleaseAsync(CancellationToken.None);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// C-GET (PS3.7 §9.1.3): the instances come back as C-STORE sub-operations on this association, to
    /// <paramref name="sink"/>, for the storage SOP classes proposed with the SCP role (PS3.4 C.4.3, PS3.7 §D.3.3.4).
    /// </summary>
    /// <param name="storageSopClasses">At most 127 storage SOP classes to receive, each proposed in Explicit and Implicit VR Little Endian.</param>
    public async IAsyncEnumerable<RetrieveProgress> GetAsync(string sopClassUid, DicomDataset identifier, IStoreScpHandler sink, IReadOnlyCollection<string> storageSopClasses, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (storageSopClasses.Count is 0 or > 127) throw new ArgumentException("Propose 1 to 127 storage SOP classes (PS3.8 §9.3.2.2 allows 128 contexts).", nameof(storageSopClasses));
        var contexts = new List<PresentationContextRq> { new(1, sopClassUid, Uncompressed) };
        contexts.AddRange(storageSopClasses.Select((c, i) => new PresentationContextRq((byte)(3 + 2 * i), c, Uncompressed)));
        var request = new AssociationRequest(CalledAeTitle, CallingAeTitle, contexts)
        {
            RoleSelections = [.. storageSopClasses.Select(c => new ScpScuRoleSelection(c, ScuRole: false, ScpRole: true))],
        };
        await using var association = await ConnectAsync(request, cancellationToken);
        var pc = AcceptedOrThrow(association, 1);
        var rq = new CGetRq { AffectedSopClassUid = sopClassUid, MessageId = NextMessageId() };
        await foreach (var (rsp, data) in ExchangeAsync(association, pc, rq, identifier, sink, cancellationToken))
            yield return ToProgress(rsp, data);
        await association.ReleaseAsync(CancellationToken.None);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static PresentationContext AcceptedOrThrow(Association association, byte id) =>
        association.GetPresentationContext(id) is { IsAccepted: true } pc ? pc : throw new InvalidOperationException($"The peer did not accept {association.GetPresentationContext(id)?.AbstractSyntax}.");

    private static RetrieveProgress ToProgress(DimseResponse rsp, DicomDataset? data)
    {
        var r = (DimseRetrieveResponse)rsp;
        var failed = data?.GetStrings(DicomTags.FailedSOPInstanceUIDList) ?? [];
        return new RetrieveProgress(r.Status, r.RemainingSuboperations, r.CompletedSuboperations, r.FailedSuboperations, r.WarningSuboperations, r.ErrorComment, failed);
    }

    /// <summary>
    /// Sends the request with its identifier and yields each response to it with its identifier, until the final one.
    /// C-STORE-RQs on the way (C-GET) go to <paramref name="sink"/>. Cancelling sends C-CANCEL-RQ once; after it the
    /// final response must come within ARTIM, else the association is aborted.
    /// </summary>
    private async IAsyncEnumerable<(DimseResponse Response, DicomDataset? Identifier)> ExchangeAsync(Association association, PresentationContext pc, DimsePriorityRequest rq, DicomDataset identifier, IStoreScpHandler? sink, [EnumeratorCancellation] CancellationToken ct)
    {
        var ts = DicomTransferSyntax.Lookup(pc.TransferSyntax!);
        using (var buffer = new MemoryStream())
        {
            DicomFileWriter.WriteDataset(buffer, identifier, ts);
            buffer.Position = 0;
            await association.SendCommandAsync(pc.Id, rq, buffer, ct);
        }
        using var drain = new CancellationTokenSource(Timeout.InfiniteTimeSpan, Options.TimeProvider);
        var cancelRequested = Task.Delay(Timeout.Infinite, ct);
        var cancelSent = false;
        var final = false;
        try
        {
            while (!final)
            {
                var receive = association.ReceiveMessageAsync(drain.Token);
                if (!cancelSent)
                {
                    await Task.WhenAny(receive, cancelRequested);
                    if (!receive.IsCompleted) await SendCancelAsync();
                }
                var message = await receive ?? throw new InvalidOperationException("The peer asked to release while a response was awaited.");
                var command = message.DecodeCommand();
                if (command is CStoreRq store && sink != null)
                {
                    await ReceiveSubOperationAsync(association, message, store, sink, drain.Token);
                    continue;
                }
                if (command is not DimseResponse rsp || rsp.MessageIdBeingRespondedTo != rq.MessageId || rsp.CommandField != rq.CommandField + 0x8000)
                    throw new InvalidOperationException($"A {command.CommandField} arrived where the response to {rq.CommandField} was awaited.");
                DicomDataset? data = null;
                if (message.HasDataSet)
                {
                    using var body = new MemoryStream();
                    await message.CopyDataSetToAsync(body, drain.Token);
                    data = DicomFile.ParseDataset(body.ToArray(), DicomTransferSyntax.Lookup(message.PresentationContext.TransferSyntax!));
                }
                final = rsp.StatusCategory != DimseStatusCategory.Pending;
                yield return (rsp, data);
            }
        }
        finally
        {
            if (!final)
            {
                // The caller stopped early: cancel, then read to the final response so the association can be released.
                if (!cancelSent) await SendCancelAsync();
                while (!final)
                {
                    var message = await association.ReceiveMessageAsync(drain.Token) ?? throw new InvalidOperationException("The peer asked to release while a response was awaited.");
                    var command = message.DecodeCommand();
                    if (command is CStoreRq store && sink != null) await ReceiveSubOperationAsync(association, message, store, sink, drain.Token);
                    else final = command is DimseResponse { StatusCategory: not DimseStatusCategory.Pending } r && r.MessageIdBeingRespondedTo == rq.MessageId;
                }
            }
        }

        async Task SendCancelAsync()
        {
            cancelSent = true;
            await association.SendCommandAsync(pc.Id, new CCancelRq { MessageIdBeingRespondedTo = rq.MessageId }, CancellationToken.None);
            drain.CancelAfter(Options.ArtimTimeout);
        }
    }

    /// <summary>A C-STORE sub-operation of a C-GET: spooled to a Part 10 file in the sink's folder, handed over, answered.</summary>
    private static async Task ReceiveSubOperationAsync(Association association, DimseMessage message, CStoreRq store, IStoreScpHandler sink, CancellationToken ct)
    {
        var ts = message.PresentationContext.TransferSyntax!;
        var path = Path.Combine(sink.TempDirectory, "cget-" + Guid.NewGuid().ToString("N") + ".part");
        StoreScpResult result;
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                Part10Header.Write(file, store.AffectedSopClassUid, store.AffectedSopInstanceUid, ts, association.CalledAeTitle.Trim());
                await message.CopyDataSetToAsync(file, ct);
            }
            result = await sink.StoreAsync(new StoreScpRequest(path, store.AffectedSopClassUid, store.AffectedSopInstanceUid, ts, association.CalledAeTitle.Trim(), association.CallingAeTitle.Trim(), null), ct);
        }
        finally
        {
            if (File.Exists(path)) File.Delete(path);
        }
        await association.SendCommandAsync(message.PresentationContextId, store.CreateResponse(result.Status, result.ErrorComment), ct);
    }
}
