using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.Server;

namespace MedNode.Dicom.Network.Client;

/// <summary>The Storage Commitment Push Model SCU and the SCP's report on a new association (PS3.4 Annex J).</summary>
public sealed partial class DicomClient
{
    private static readonly string[] UncompressedSyntaxes = [DicomTransferSyntax.ExplicitVRLittleEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid];

    /// <summary>
    /// Requests storage commitment of <paramref name="instances"/> (N-ACTION-RQ, PS3.4 J.3.2) and returns the SCP's
    /// report (N-EVENT-REPORT-RQ, PS3.4 J.3.3): what it committed to and what failed, with the Failure Reason.
    /// </summary>
    /// <param name="reports">
    /// When given, the report is expected on a new association the SCP opens to this node's listener, which hands it to
    /// this waiter: the request's association is released after the N-ACTION-RSP. When null, the report is awaited on
    /// the request's association.
    /// </param>
    /// <param name="timeout">How long to wait for the report after the N-ACTION-RSP (default 2 minutes).</param>
    /// <exception cref="DimseStatusException">The N-ACTION-RSP was not a success.</exception>
    /// <exception cref="TimeoutException">No report arrived in time.</exception>
    public async Task<StorageCommitmentResult> RequestStorageCommitmentAsync(IReadOnlyList<StorageCommitmentReference> instances, StorageCommitmentReportWaiter? reports = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (instances.Count == 0) throw new ArgumentException("Storage commitment needs at least one instance (PS3.4 Table J.3-1).", nameof(instances));
        var transactionUid = StorageCommitment.NewTransactionUid();
        reports?.Register(transactionUid);
        await using var association = await SendCommitmentRequestAsync(transactionUid, instances, cancellationToken);

        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2), Options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            if (reports != null)
            {
                await association.ReleaseAsync(cancellationToken);
                return await reports.WaitAsync(transactionUid, linked.Token);
            }
            var result = await ReceiveReportAsync(association, transactionUid, linked.Token);
            await association.ReleaseAsync(cancellationToken);
            return result;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No storage commitment report from {CalledAeTitle} within {timeout ?? TimeSpan.FromMinutes(2)}.");
        }
    }

    /// <summary>
    /// Requests storage commitment under a Transaction UID the caller chose and recorded (N-ACTION-RQ, PS3.4 J.3.2), then
    /// keeps the association open for <paramref name="reportWait"/> in case the SCP reports on it (PS3.4 J.3.3). Returns
    /// the report when it came on this association; null when it did not, in which case the SCP sends it later on a new
    /// association to this node's listener, where the caller matches it by Transaction UID. A zero wait releases the
    /// association right after the N-ACTION-RSP.
    /// </summary>
    /// <exception cref="DimseStatusException">The N-ACTION-RSP was not a success.</exception>
    public async Task<StorageCommitmentResult?> RequestStorageCommitmentAsync(string transactionUid, IReadOnlyList<StorageCommitmentReference> instances, TimeSpan reportWait, CancellationToken cancellationToken = default)
    {
        await using var association = await SendCommitmentRequestAsync(transactionUid, instances, cancellationToken);

        if (reportWait <= TimeSpan.Zero)
        {
            await association.ReleaseAsync(cancellationToken);
            return null;
        }
        DimseMessage? message;
        using (var window = new CancellationTokenSource(reportWait, Options.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, window.Token))
        {
            try
            {
                message = await association.ReceiveMessageAsync(linked.Token);
            }
            catch (OperationCanceledException) when (window.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // No report on this association: the SCP reports on a new one (PS3.4 J.3.3).
                await association.ReleaseAsync(cancellationToken);
                return null;
            }
        }
        if (message == null)
        {
            await association.SendReleaseResponseAsync(cancellationToken);
            return null;
        }
        var result = await AnswerReportAsync(association, message, transactionUid, cancellationToken);
        await association.ReleaseAsync(cancellationToken);
        return result;
    }

    /// <summary>Connects, sends the N-ACTION-RQ for <paramref name="instances"/> under <paramref name="transactionUid"/>
    /// (PS3.4 J.3.2) and checks the N-ACTION-RSP; returns the association, still open, for the report.</summary>
    private async Task<Association> SendCommitmentRequestAsync(string transactionUid, IReadOnlyList<StorageCommitmentReference> instances, CancellationToken cancellationToken)
    {
        if (instances.Count == 0) throw new ArgumentException("Storage commitment needs at least one instance (PS3.4 Table J.3-1).", nameof(instances));
        var request = new AssociationRequest(CalledAeTitle, CallingAeTitle, [new PresentationContextRq(1, StorageCommitment.PushModelSopClassUid, UncompressedSyntaxes)]);
        var association = await ConnectAsync(request, cancellationToken);
        var pc = association.PresentationContexts.FirstOrDefault(p => p.IsAccepted)
            ?? throw new InvalidOperationException("The peer accepted no Storage Commitment Push Model presentation context.");
        var rq = new NActionRq
        {
            RequestedSopClassUid = StorageCommitment.PushModelSopClassUid,
            RequestedSopInstanceUid = StorageCommitment.PushModelSopInstanceUid,
            ActionTypeId = StorageCommitment.RequestStorageCommitmentAction,
            MessageId = NextMessageId(),
            HasDataSet = true,
        };
        try
        {
            await association.SendMessageAsync(pc.Id, rq.Encode(), StorageCommitment.Encode(StorageCommitment.BuildActionInformation(transactionUid, instances), pc.TransferSyntax!), cancellationToken);
            var rsp = await ReceiveResponseAsync<NActionRsp>(association, cancellationToken);
            if (DimseStatus.Categorize(rsp.Status) is not (DimseStatusCategory.Success or DimseStatusCategory.Warning))
                throw new DimseStatusException(rsp.Status, rsp.ErrorComment, "The storage commitment request was refused");
            return association;
        }
        catch
        {
            await association.DisposeAsync();
            throw;
        }
    }

    private static async Task<StorageCommitmentResult> ReceiveReportAsync(Association association, string transactionUid, CancellationToken ct)
    {
        var message = await association.ReceiveMessageAsync(ct)
            ?? throw new InvalidOperationException("The peer released the association without a storage commitment report; it reports on a new association, so pass a listener.");
        return await AnswerReportAsync(association, message, transactionUid, ct);
    }

    /// <summary>Reads the N-EVENT-REPORT-RQ in <paramref name="message"/> and answers it: success when it reports
    /// <paramref name="transactionUid"/>, else Invalid Argument Value and an exception.</summary>
    private static async Task<StorageCommitmentResult> AnswerReportAsync(Association association, DimseMessage message, string transactionUid, CancellationToken ct)
    {
        if (message.DecodeCommand() is not NEventReportRq report) throw new InvalidOperationException("Expected an N-EVENT-REPORT-RQ, got another command.");
        var result = StorageCommitment.ReadEventInformation(await StorageCommitment.ReadDataSetAsync(message, ct));
        var status = result.TransactionUid == transactionUid ? DimseStatus.Success : DimseStatus.InvalidArgumentValue;
        await association.SendCommandAsync(message.PresentationContextId, report.CreateResponse(status), ct);
        if (status != DimseStatus.Success) throw new InvalidOperationException("The storage commitment report names another transaction.");
        return result;
    }

    /// <summary>
    /// The SCP's report on a new association (PS3.4 J.3.3): proposes Storage Commitment with the SCP role by SCP/SCU
    /// Role Selection (PS3.7 §D.3.3.4), sends N-EVENT-REPORT-RQ and returns the N-EVENT-REPORT-RSP status.
    /// </summary>
    public async Task<ushort> SendStorageCommitmentReportAsync(StorageCommitmentResult result, CancellationToken cancellationToken = default)
    {
        var request = new AssociationRequest(CalledAeTitle, CallingAeTitle, [new PresentationContextRq(1, StorageCommitment.PushModelSopClassUid, UncompressedSyntaxes)])
        {
            RoleSelections = [new ScpScuRoleSelection(StorageCommitment.PushModelSopClassUid, ScuRole: false, ScpRole: true)],
        };
        await using var association = await ConnectAsync(request, cancellationToken);
        var pc = association.PresentationContexts.FirstOrDefault(p => p.IsAccepted)
            ?? throw new InvalidOperationException("The peer accepted no Storage Commitment Push Model presentation context for the report.");
        var rq = new NEventReportRq
        {
            AffectedSopClassUid = StorageCommitment.PushModelSopClassUid,
            AffectedSopInstanceUid = StorageCommitment.PushModelSopInstanceUid,
            EventTypeId = result.EventTypeId,
            MessageId = NextMessageId(),
            HasDataSet = true,
        };
        await association.SendMessageAsync(pc.Id, rq.Encode(), StorageCommitment.Encode(StorageCommitment.BuildEventInformation(result, CallingAeTitle), pc.TransferSyntax!), cancellationToken);
        var rsp = await ReceiveResponseAsync<NEventReportRsp>(association, cancellationToken);
        await association.ReleaseAsync(cancellationToken);
        return rsp.Status;
    }
}

/// <summary>A DIMSE response whose status is a failure.</summary>
public sealed class DimseStatusException(ushort status, string? errorComment, string message)
    : Exception($"{message}: status 0x{status:X4}{(errorComment != null ? " (" + errorComment + ")" : "")}.")
{
    public ushort Status { get; } = status;

    public string? ErrorComment { get; } = errorComment;
}
