using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Export;

/// <summary>
/// Storage Commitment after a push (PS3.4 Annex J, Push Model SCU): asks a DIMSE destination with
/// <see cref="ExportDestination.StorageCommitment"/> to commit the instances it just accepted, and records each
/// instance's outcome on its outbox item. The Transaction UID is recorded before the N-ACTION-RQ is sent, so a report is
/// matched whether it comes on the request's association or later on a new association to MedNode's listener (PS3.4
/// J.3.3), which hands it to <see cref="OnReportAsync"/>. A report is taken only from the destination's own AE title.
/// Commitment never sends an instance again: a request that is refused, or a report that does not come within
/// <see cref="ExportOptions.CommitmentTimeout"/>, is recorded as such and left there.
/// </summary>
public sealed class ExportCommitment(
    IOutbox outbox,
    IDestinationCatalog destinations,
    ExportOptions? options = null,
    TimeProvider? timeProvider = null,
    ILogger<ExportCommitment>? logger = null) : IStorageCommitmentReportHandler
{
    private readonly ExportOptions _options = options ?? new ExportOptions();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Requests commitment of <paramref name="delivered"/>, just accepted by <paramref name="destination"/>.</summary>
    public async Task RequestAsync(ExportDestination destination, IReadOnlyList<OutboxItem> delivered, CancellationToken cancellationToken)
    {
        if (delivered.Count == 0) return;
        var transactionUid = Dicom.Network.Dimse.StorageCommitment.NewTransactionUid();
        var now = _time.GetUtcNow();
        var requested = delivered.Select(i => i with
        {
            Commitment = CommitmentState.Requested, CommitmentTransactionUid = transactionUid, CommitmentRequestedAt = now, CommitmentFailureReason = null, LastError = null,
        }).ToList();
        foreach (var item in requested) await outbox.UpdateAsync(item, cancellationToken);

        StorageCommitmentResult? report;
        try
        {
            var client = new DicomClient(destination.Host, destination.Port, destination.AeTitle, destination.CallingAeTitle,
                new Dicom.Network.AssociationOptions { TimeProvider = _time }) { Tls = destination.CreateTlsOptions() };
            report = await client.RequestStorageCommitmentAsync(transactionUid, requested.Select(i => new StorageCommitmentReference(i.SopClassUid, i.SopInstanceUid)).ToList(),
                _options.CommitmentReportWait, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The request itself failed: nobody will report on it. The instances were delivered and are not sent again.
            // A report may already have come on a new association; only what is still awaited is marked.
            _log.LogWarning("Storage commitment request to {Destination} failed: {Error}", destination.Name, ex.Message);
            var still = (await outbox.AwaitingCommitmentAsync(transactionUid, cancellationToken)).Where(i => i.Commitment == CommitmentState.Requested);
            foreach (var item in still)
                await outbox.UpdateAsync(item with { Commitment = CommitmentState.Failed, LastError = "storage commitment request failed: " + ex.Message }, cancellationToken);
            return;
        }
        if (report != null) await ApplyAsync(report, requested, cancellationToken);
    }

    /// <summary>
    /// Asks again for the commitment of one delivered item whose commitment is <see cref="CommitmentState.Failed"/> or
    /// <see cref="CommitmentState.TimedOut"/> (e.g. after the destination's report route or storage was fixed): a new
    /// N-ACTION-RQ under a new Transaction UID (PS3.4 J.3.2), recorded like the first. The instance is not sent again; a
    /// report on the earlier transaction no longer counts for it. Returns the item as recorded after the N-ACTION-RSP.
    /// </summary>
    public async Task<(CommitmentRerequest Outcome, OutboxItem? Item)> RerequestAsync(Guid id, CancellationToken cancellationToken)
    {
        var item = await outbox.FindAsync(id, cancellationToken);
        if (item == null) return (CommitmentRerequest.NotFound, null);
        if (item.State != OutboxState.Delivered || item.Commitment is not (CommitmentState.Failed or CommitmentState.TimedOut))
            return (CommitmentRerequest.NotFailedOrTimedOut, item);
        var destination = destinations.Find(item.Destination);
        if (destination is not { Kind: DestinationKind.Dimse }) return (CommitmentRerequest.NoDimseDestination, item);
        _log.LogInformation("Storage commitment asked again of {Destination} for one delivered instance (was {State})", destination.Name, item.Commitment);
        await RequestAsync(destination, [item], cancellationToken);
        return (CommitmentRerequest.Requested, await outbox.FindAsync(id, cancellationToken));
    }

    /// <summary>A report that came on an association the destination opened (PS3.4 J.3.3), matched by Transaction UID.</summary>
    public async Task OnReportAsync(StorageCommitmentResult report, string callingAeTitle, CancellationToken cancellationToken)
    {
        var items = await outbox.AwaitingCommitmentAsync(report.TransactionUid, cancellationToken);
        if (items.Count == 0)
        {
            _log.LogWarning("A storage commitment report from {Calling} names no transaction awaiting a report; ignored", callingAeTitle);
            return;
        }
        var destination = destinations.Find(items[0].Destination);
        if (destination == null || !string.Equals(destination.AeTitle.Trim(), callingAeTitle.Trim(), StringComparison.Ordinal))
        {
            _log.LogWarning("A storage commitment report from {Calling} names a transaction of destination {Destination}, whose AE title differs; ignored", callingAeTitle, items[0].Destination);
            return;
        }
        await ApplyAsync(report, items, cancellationToken);
    }

    /// <summary>Marks requests without a report after <see cref="ExportOptions.CommitmentTimeout"/> as timed out; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() - _options.CommitmentTimeout;
        var late = (await outbox.AwaitingCommitmentAsync(null, cancellationToken)).Where(i => i.CommitmentRequestedAt <= deadline).ToList();
        foreach (var item in late) await outbox.UpdateAsync(item with { Commitment = CommitmentState.TimedOut }, cancellationToken);
        if (late.Count > 0) _log.LogWarning("{Count} storage commitment request(s) got no report within {Timeout}", late.Count, _options.CommitmentTimeout);
        return late.Count;
    }

    private async Task ApplyAsync(StorageCommitmentResult report, IReadOnlyList<OutboxItem> items, CancellationToken ct)
    {
        var committed = report.Committed.Select(r => r.SopInstanceUid).ToHashSet(StringComparer.Ordinal);
        var failed = report.Failed.GroupBy(f => f.SopInstanceUid, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().FailureReason, StringComparer.Ordinal);
        int ok = 0, bad = 0;
        foreach (var item in items)
        {
            if (failed.TryGetValue(item.SopInstanceUid, out var reason))
            {
                bad++;
                await outbox.UpdateAsync(item with { Commitment = CommitmentState.Failed, CommitmentFailureReason = reason }, ct);
            }
            else if (committed.Contains(item.SopInstanceUid))
            {
                ok++;
                await outbox.UpdateAsync(item with { Commitment = CommitmentState.Committed, CommitmentFailureReason = null }, ct);
            }
        }
        _log.LogInformation("Storage commitment report for {Destination}: {Committed} committed, {Failed} failed of {Count}", items[0].Destination, ok, bad, items.Count);
    }
}

/// <summary>The outcome of <see cref="ExportCommitment.RerequestAsync"/>.</summary>
public enum CommitmentRerequest
{
    /// <summary>The N-ACTION-RQ was made (or failed, which is recorded on the item).</summary>
    Requested,

    NotFound,

    /// <summary>The item is not delivered, or its commitment is not Failed or TimedOut (nothing to ask again).</summary>
    NotFailedOrTimedOut,

    /// <summary>The item's destination is no longer configured, or is not a DIMSE destination.</summary>
    NoDimseDestination,
}
