using System.Net;
using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using Microsoft.Extensions.Logging;

namespace MedNode.Dicom.Network.Server;

/// <summary>
/// Storage Commitment Push Model (PS3.4 Annex J) on <see cref="DicomServer"/>: as SCP it answers N-ACTION-RQ and
/// reports with N-EVENT-REPORT-RQ; as SCU it receives N-EVENT-REPORT-RQ on associations a peer opens.
/// </summary>
/// <remarks>
/// Who may ask: a peer with <see cref="DimseServices.Commitment"/> in the <see cref="Access"/> in force when it associated;
/// others get the presentation context user-rejected (PS3.8 Table 9-18), or, when the context was accepted because they
/// took the SCP role to report, the N-ACTION-RSP status Refused: Not authorized (0124H, PS3.7 C.5.2).
/// Where the report goes (PS3.4 J.3.3 leaves it to the SCP): when the requester's calling AE title is among
/// <see cref="DicomServerAccess.Destinations"/> in force when the report is sent, on a new association to that host and
/// port, proposing the SCP role by SCP/SCU Role Selection (PS3.4 J.3.3, PS3.7 §D.3.3.4) as most SCUs, Orthanc among
/// them, expect; otherwise on the requester's association, right after the N-ACTION-RSP.
/// </remarks>
public sealed partial class DicomServer
{
    /// <summary>The SCP's check of referenced instances; null leaves the Storage Commitment SOP Class unsupported as SCP.</summary>
    public IStorageCommitmentScpHandler? StorageCommitment { get; init; }

    /// <summary>Receives reports that peers send on associations they open (MedNode as SCU); null refuses them.</summary>
    public IStorageCommitmentReportHandler? StorageCommitmentReports { get; init; }

    /// <summary>The decision for a Storage Commitment presentation context, or null for other abstract syntaxes.</summary>
    internal PresentationContextDecision? DecideStorageCommitment(PresentationContextRq proposed)
    {
        if (proposed.AbstractSyntax != Dimse.StorageCommitment.PushModelSopClassUid) return null;
        if (StorageCommitment == null && StorageCommitmentReports == null) return PresentationContextDecision.AbstractSyntaxNotSupported;
        var ts = Options.TransferSyntaxPreference.FirstOrDefault(p => proposed.TransferSyntaxes.Contains(p) && DicomTransferSyntax.IsKnown(p) && DicomTransferSyntax.Lookup(p) is { IsEncapsulated: false, IsDeflated: false })
            ?? proposed.TransferSyntaxes.FirstOrDefault(t => t == DicomTransferSyntax.ImplicitVRLittleEndian.Uid);
        return ts != null ? PresentationContextDecision.Accept(ts) : PresentationContextDecision.TransferSyntaxesNotSupported;
    }

    /// <summary>Serves an N-ACTION-RQ or N-EVENT-REPORT-RQ; false when the association has ended and the loop must stop.</summary>
    private async Task<bool> ServeStorageCommitmentAsync(Association association, DimseMessage message, DimseCommand command, DimseServices services, IPAddress? remote, CancellationToken ct)
    {
        var onContext = message.PresentationContext.AbstractSyntax == Dimse.StorageCommitment.PushModelSopClassUid;
        switch (command)
        {
            case NActionRq action:
                return await ServeNActionAsync(association, message, action, onContext, services.HasFlag(DimseServices.Commitment), remote, ct);
            case NEventReportRq report:
                await ServeNEventReportAsync(association, message, report, onContext, ct);
                return true;
            default:
                return true;
        }
    }

    /// <summary>N-ACTION-RQ, Request Storage Commitment (PS3.4 J.3.2): N-ACTION-RSP at once, then the check and the report.</summary>
    private async Task<bool> ServeNActionAsync(Association association, DimseMessage message, NActionRq action, bool onContext, bool permitted, IPAddress? remote, CancellationToken ct)
    {
        var handler = StorageCommitment;
        ushort status = DimseStatus.Success;
        StorageCommitmentRequest? request = null;
        if (handler == null || !onContext || action.RequestedSopClassUid != Dimse.StorageCommitment.PushModelSopClassUid) status = DimseStatus.NoSuchSopClass;
        else if (action.RequestedSopInstanceUid != Dimse.StorageCommitment.PushModelSopInstanceUid) status = DimseStatus.NoSuchSopInstance;
        else if (action.ActionTypeId != Dimse.StorageCommitment.RequestStorageCommitmentAction) status = DimseStatus.NoSuchAction;
        else if (!permitted)
        {
            _log.LogWarning("Storage commitment request from {Calling} refused: the AE may not ask for commitment", association.CallingAeTitle);
            status = DimseStatus.NotAuthorized;
            await RaiseAsync(new DicomSecurityEvent(DicomSecurityEventKind.StorageCommitmentRefused, remote,
                "N-ACTION-RQ Request Storage Commitment answered 0124H Refused: Not authorized: the calling AE lacks the Commitment permission",
                association.CallingAeTitle.Trim(), association.CalledAeTitle.Trim()));
        }
        else if (!message.HasDataSet) status = DimseStatus.MissingAttribute;
        else
        {
            try
            {
                var (transaction, instances) = Dimse.StorageCommitment.ReadActionInformation(await Dimse.StorageCommitment.ReadDataSetAsync(message, ct));
                request = new StorageCommitmentRequest(transaction, instances, association.CallingAeTitle.Trim());
            }
            catch (Exception ex) when (ex is FormatException or DicomParseException)
            {
                _log.LogWarning("Storage commitment request from {Calling} refused: {Reason}", association.CallingAeTitle, ex.Message);
                status = DimseStatus.MissingAttribute;
            }
        }
        await association.SendCommandAsync(message.PresentationContextId, action.CreateResponse(status), ct);
        if (request == null) return true;

        var result = await CheckAsync(handler!, request, ct);
        var peer = _access.FindDestination(request.CallingAeTitle);
        if (peer != null)
        {
            var id = Interlocked.Increment(ref _nextConnectionId);
            var task = Task.Run(() => ReportOnNewAssociationAsync(peer, result, _stopping.Token), CancellationToken.None);
            _connections[id] = task;
            _ = task.ContinueWith(_ => _connections.TryRemove(id, out Task? _), TaskScheduler.Default);
            return true;
        }
        return await ReportOnSameAssociationAsync(association, message.PresentationContext, result, ct);
    }

    private async Task<StorageCommitmentResult> CheckAsync(IStorageCommitmentScpHandler handler, StorageCommitmentRequest request, CancellationToken ct)
    {
        try
        {
            return await handler.CommitAsync(request, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.LogError(ex, "The storage commitment check failed for a request from {Calling}", request.CallingAeTitle);
            return new StorageCommitmentResult(request.TransactionUid, [], request.Instances.Select(i => new StorageCommitmentFailure(i.SopClassUid, i.SopInstanceUid, Dimse.StorageCommitment.ProcessingFailure)).ToList());
        }
    }

    /// <summary>N-EVENT-REPORT-RQ on the requester's association (PS3.4 J.3.3), then its N-EVENT-REPORT-RSP.</summary>
    private async Task<bool> ReportOnSameAssociationAsync(Association association, PresentationContext pc, StorageCommitmentResult result, CancellationToken ct)
    {
        var rq = new NEventReportRq
        {
            AffectedSopClassUid = Dimse.StorageCommitment.PushModelSopClassUid,
            AffectedSopInstanceUid = Dimse.StorageCommitment.PushModelSopInstanceUid,
            EventTypeId = result.EventTypeId,
            MessageId = 1,
            HasDataSet = true,
        };
        await association.SendMessageAsync(pc.Id, rq.Encode(), Dimse.StorageCommitment.Encode(Dimse.StorageCommitment.BuildEventInformation(result, Options.AeTitle), pc.TransferSyntax!), ct);
        var next = await association.ReceiveMessageAsync(ct);
        if (next == null)
        {
            _log.LogWarning("{Calling} released before answering the storage commitment report", association.CallingAeTitle);
            await association.SendReleaseResponseAsync(ct);
            return false;
        }
        if (next.DecodeCommand() is not NEventReportRsp rsp)
        {
            _log.LogWarning("{Calling} sent another command where an N-EVENT-REPORT-RSP was due; association aborted", association.CallingAeTitle);
            await association.AbortAsync(ct);
            return false;
        }
        _log.LogInformation("Storage commitment reported to {Calling} on its association: {Committed} committed, {Failed} failed, status 0x{Status:X4}",
            association.CallingAeTitle, result.Committed.Count, result.Failed.Count, rsp.Status);
        return true;
    }

    private async Task ReportOnNewAssociationAsync(DicomPeer peer, StorageCommitmentResult result, CancellationToken ct)
    {
        try
        {
            var client = new DicomClient(peer.Host!, peer.Port, peer.AeTitle, Options.AeTitle, new AssociationOptions { TimeProvider = Options.TimeProvider, Logger = _log });
            var status = await client.SendStorageCommitmentReportAsync(result, ct);
            _log.LogInformation("Storage commitment reported to {Peer} on a new association: {Committed} committed, {Failed} failed, status 0x{Status:X4}",
                peer.AeTitle, result.Committed.Count, result.Failed.Count, status);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.LogError("Storage commitment report to {Peer} at {Host}:{Port} failed: {Error}", peer.AeTitle, peer.Host, peer.Port, ex.Message);
        }
    }

    /// <summary>N-EVENT-REPORT-RQ of a storage commitment result sent to MedNode as SCU (PS3.4 J.3.3).</summary>
    private async Task ServeNEventReportAsync(Association association, DimseMessage message, NEventReportRq report, bool onContext, CancellationToken ct)
    {
        var handler = StorageCommitmentReports;
        ushort status = DimseStatus.Success;
        if (handler == null || !onContext) status = DimseStatus.NoSuchSopClass;
        else if (report.EventTypeId is not (Dimse.StorageCommitment.SuccessfulEvent or Dimse.StorageCommitment.FailuresExistEvent)) status = DimseStatus.NoSuchEventType;
        else if (!message.HasDataSet) status = DimseStatus.MissingAttribute;
        else
        {
            try
            {
                var result = Dimse.StorageCommitment.ReadEventInformation(await Dimse.StorageCommitment.ReadDataSetAsync(message, ct));
                await handler.OnReportAsync(result, association.CallingAeTitle.Trim(), ct);
            }
            catch (Exception ex) when (ex is FormatException or DicomParseException)
            {
                _log.LogWarning("Storage commitment report from {Calling} refused: {Reason}", association.CallingAeTitle, ex.Message);
                status = DimseStatus.MissingAttribute;
            }
        }
        await association.SendCommandAsync(message.PresentationContextId, report.CreateResponse(status), ct);
    }
}
