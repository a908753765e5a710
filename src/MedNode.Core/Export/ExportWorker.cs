using MedNode.Core.Audit;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Export;

/// <summary>The <c>MedNode:Export</c> settings.</summary>
public sealed class ExportOptions
{
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>After this many transient failures an item becomes a dead letter.</summary>
    public int MaxAttempts { get; set; } = 50;

    public int BatchSize { get; set; } = 64;

    /// <summary>How long a storage commitment report may take (PS3.4 J.3.3) before the request is recorded as timed out.</summary>
    public TimeSpan CommitmentTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the storage commitment request's association stays open for a report on it before it is released;
    /// a report after that comes on a new association to the DIMSE listener.</summary>
    public TimeSpan CommitmentReportWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Test only (off by default): how long the worker waits, on the node's clock, after a batch was sent and before the
    /// outcomes are recorded, so a test can kill the node after the destination took an item that is not yet marked delivered.
    /// </summary>
    public TimeSpan SendDelayForTesting { get; set; }

    /// <summary>The problems with these settings, each naming its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (InitialBackoff <= TimeSpan.Zero) errors.Add("MedNode:Export:InitialBackoff must be positive.");
        if (MaxBackoff < InitialBackoff) errors.Add("MedNode:Export:MaxBackoff must not be less than MedNode:Export:InitialBackoff.");
        if (MaxAttempts < 1) errors.Add("MedNode:Export:MaxAttempts must be at least 1.");
        if (BatchSize < 1) errors.Add("MedNode:Export:BatchSize must be at least 1.");
        if (CommitmentTimeout <= TimeSpan.Zero) errors.Add("MedNode:Export:CommitmentTimeout must be positive.");
        if (CommitmentReportWait < TimeSpan.Zero) errors.Add("MedNode:Export:CommitmentReportWait must not be negative.");
        if (SendDelayForTesting < TimeSpan.Zero || SendDelayForTesting > TimeSpan.FromMinutes(10))
            errors.Add("MedNode:Export:SendDelayForTesting (test only) must be between 0 and 10 minutes.");
        return errors;
    }
}

/// <summary>
/// Delivers the outbox: due items are sent per destination; delivered items are recorded, transient failures retried
/// with capped exponential backoff and jitter, permanent ones dead-lettered. When a destination refuses the
/// Segmentation SOP class and allows the fallback, the job's standby Secondary Capture and Key Object Selection items
/// are released instead. After a DIMSE push to a destination with Storage Commitment, the delivered instances' commitment
/// is requested (<see cref="ExportCommitment"/>). Items keep their SOP Instance UIDs across retries and replays, so a destination never holds
/// two copies of a result.
/// </summary>
public sealed class ExportWorker(
    IOutbox outbox,
    IDestinationCatalog destinations,
    IEnumerable<IExportSender> senders,
    IBlobStore blobs,
    IAuditTrail? audit = null,
    ExportOptions? options = null,
    TimeProvider? timeProvider = null,
    ILogger<ExportWorker>? logger = null,
    ExportCommitment? commitment = null,
    IInstanceIndex? index = null)
{
    private readonly ExportOptions _options = options ?? new ExportOptions();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;
    private readonly Dictionary<DestinationKind, IExportSender> _senders = senders.ToDictionary(s => s.Kind);
    private readonly ExportBackoff _backoff = new((options ?? new ExportOptions()).InitialBackoff, (options ?? new ExportOptions()).MaxBackoff);

    /// <summary>Sends what is due now; returns the number of items attempted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (commitment != null) await commitment.SweepAsync(cancellationToken);
        var now = _time.GetUtcNow();
        var due = await outbox.DueAsync(now, _options.BatchSize, cancellationToken);
        foreach (var group in due.GroupBy(i => i.Destination, StringComparer.OrdinalIgnoreCase))
        {
            var destination = destinations.Find(group.Key);
            if (destination == null)
            {
                foreach (var item in group) await DeadLetterAsync(item, $"destination '{group.Key}' is not configured", cancellationToken);
                continue;
            }
            if (!_senders.TryGetValue(destination.Kind, out var sender))
            {
                foreach (var item in group) await DeadLetterAsync(item, $"no sender for {destination.Kind}", cancellationToken);
                continue;
            }
            var batch = new List<(OutboxItem Item, string Path)>();
            foreach (var item in group)
            {
                if (await CheckedPathAsync(item, cancellationToken) is { } path) batch.Add((item, path));
            }
            if (batch.Count == 0) continue;
            var items = batch.Select(b => b.Item).ToList();
            await AuditBeginTransferringAsync(destination, items, cancellationToken);
            IReadOnlyList<SendOutcome> outcomes;
            try
            {
                outcomes = await sender.SendAsync(destination, batch, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var kind = ExportFailureClassifier.FromException(ex);
                outcomes = items.Select(i => new SendOutcome(i.Id, false, ex.Message, kind)).ToList();
            }
            if (_options.SendDelayForTesting > TimeSpan.Zero)
            {
                _log.LogWarning("Export to {Destination}: waiting {Delay} before recording the outcomes (MedNode:Export:SendDelayForTesting, test only)", destination.Name, _options.SendDelayForTesting);
                await Task.Delay(_options.SendDelayForTesting, _time, cancellationToken);
            }
            await ApplyAsync(destination, items, outcomes, cancellationToken);
        }
        return due.Count;
    }

    private async Task ApplyAsync(ExportDestination destination, List<OutboxItem> items, IReadOnlyList<SendOutcome> outcomes, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var delivered = 0;
        var toCommit = new List<OutboxItem>();
        foreach (var item in items)
        {
            var outcome = outcomes.FirstOrDefault(o => o.ItemId == item.Id) ?? new SendOutcome(item.Id, false, "the sender reported nothing for this item", ExportFailureKind.Transient);
            if (outcome.Delivered)
            {
                delivered++;
                var done = item with { State = OutboxState.Delivered, Attempts = item.Attempts + 1, DeliveredAt = now, LastError = null };
                await outbox.UpdateAsync(done, ct);
                toCommit.Add(done);
            }
            else if (outcome.SopClassRefused && item.Kind == ResultKind.Segmentation && destination.AllowFallback)
            {
                await outbox.UpdateAsync(item with { State = OutboxState.Replaced, Attempts = item.Attempts + 1, LastError = "SOP class refused; the fallback was sent instead" }, ct);
                await ReleaseFallbackAsync(item, now, ct);
            }
            else if (outcome.Failure == ExportFailureKind.Transient && item.Attempts + 1 < _options.MaxAttempts)
            {
                var attempts = item.Attempts + 1;
                await outbox.UpdateAsync(item with { Attempts = attempts, NextAttemptAt = now + _backoff.Delay(attempts), LastError = outcome.Error }, ct);
            }
            else
            {
                await DeadLetterAsync(item with { Attempts = item.Attempts + 1 }, outcome.Error ?? "failed", ct);
            }
        }
        _log.LogInformation("Export to {Destination}: {Delivered} of {Count} delivered", destination.Name, delivered, items.Count);
        if (commitment != null && destination.StorageCommitment && destination.Kind == DestinationKind.Dimse && toCommit.Count > 0)
            await commitment.RequestAsync(destination, toCommit, ct);
        if (audit != null && delivered > 0)
        {
            await audit.AppendAsync(new AuditEvent(AuditEventType.DicomInstancesTransferred, AuditAction.R, delivered == items.Count ? AuditOutcome.Success : AuditOutcome.MinorFailure,
                [Source(destination), Destination(destination)],
                items[0].StudyInstanceUid, Detail: $"{delivered} result instance(s) to {destination.Name}"), ct);
        }
    }

    /// <summary>
    /// Begin Transferring DICOM Instances (PS3.15 §A.5.3.3) before a batch is sent, one event per study, so that the trail
    /// shows what was meant to go next to the DICOM Instances Transferred that records what went. The push goes to a
    /// configured destination inside the node's security domain, so it is a transfer, not a Data Export (§A.5.3.4, which is
    /// for data leaving that domain: media, print, e-mail).
    /// </summary>
    private async Task AuditBeginTransferringAsync(ExportDestination destination, List<OutboxItem> items, CancellationToken ct)
    {
        if (audit == null) return;
        foreach (var study in items.GroupBy(i => i.StudyInstanceUid, StringComparer.Ordinal))
        {
            var summary = new AuditStudy(study.Key, null, [.. study.GroupBy(i => i.SopClassUid, StringComparer.Ordinal).Select(c => (c.Key, c.Count()))]);
            await audit.AppendAsync(DicomAuditEvents.BeginTransferring(Source(destination), Destination(destination), [], summary,
                $"export to {destination.Name} ({destination.Kind})"), ct);
        }
    }

    private static AuditParticipant Source(ExportDestination d) => new(d.CallingAeTitle, null, true, "Source");

    private static AuditParticipant Destination(ExportDestination d) =>
        new(d.Kind == DestinationKind.Dimse ? d.AeTitle : d.Url ?? d.Name, d.Host, false, "Destination");

    private async Task ReleaseFallbackAsync(OutboxItem refused, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var standby in await outbox.ForJobAsync(refused.JobId, ct))
        {
            if (standby.Destination == refused.Destination && standby.State == OutboxState.Standby)
                await outbox.UpdateAsync(standby with { State = OutboxState.Pending, NextAttemptAt = now, LastError = null }, ct);
        }
    }

    /// <summary>
    /// The result's file, checked against the SHA-256 its ingest recorded (the store's read policy, as for every other
    /// reader), so that corrupted bytes are never sent. A result that fails the check is a dead letter: sending it again
    /// cannot help, and a replay after the file is restored delivers it. Without an index, or for a result the index does
    /// not hold under this key, the file is sent unchecked.
    /// </summary>
    private async Task<string?> CheckedPathAsync(OutboxItem item, CancellationToken ct)
    {
        var record = index == null ? null : await index.FindInstanceAsync(item.SopInstanceUid, ct);
        var sha = record != null && string.Equals(record.BlobKey, item.BlobKey, StringComparison.Ordinal) ? record.Sha256 : null;
        try
        {
            return blobs.GetCheckedPath(item.BlobKey, sha);
        }
        catch (BlobIntegrityException e)
        {
            await DeadLetterAsync(item with { Attempts = item.Attempts + 1 }, "the stored result failed its integrity check: " + e.Message, ct);
            return null;
        }
    }

    private async Task DeadLetterAsync(OutboxItem item, string error, CancellationToken ct)
    {
        _log.LogWarning("Export of a result to {Destination} is a dead letter: {Error}", item.Destination, error);
        await outbox.UpdateAsync(item with { State = OutboxState.DeadLetter, LastError = error }, ct);
    }
}
