using System.Diagnostics;
using System.Text.Json;
using MedNode.Core.Audit;
using MedNode.Core.Export;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Storage;
using MedNode.Dicom.Objects.StructuredReport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Jobs;

/// <summary>The <c>MedNode:Jobs</c> settings.</summary>
public sealed class JobOptions
{
    public int Workers { get; set; } = 1;

    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Test only (off by default): how long a worker waits, on the node's clock, after a job's results are stored and their
    /// deliveries queued and before the job is marked succeeded, so a test can kill the node while the job is Running.
    /// </summary>
    public TimeSpan StageDelayForTesting { get; set; }

    /// <summary>The problems with these settings, each naming its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Workers < 0) errors.Add("MedNode:Jobs:Workers must not be negative.");
        if (Lease <= TimeSpan.Zero) errors.Add("MedNode:Jobs:Lease must be positive.");
        if (PollInterval <= TimeSpan.Zero) errors.Add("MedNode:Jobs:PollInterval must be positive.");
        if (StageDelayForTesting < TimeSpan.Zero || StageDelayForTesting > TimeSpan.FromMinutes(10))
            errors.Add("MedNode:Jobs:StageDelayForTesting (test only) must be between 0 and 10 minutes.");
        return errors;
    }
}

/// <summary>
/// Runs leased jobs: loads the inputs from the index, runs the analysis, ingests the result objects into MedNode's own
/// store (so they are served over DICOMweb and Q/R), creates the outbox items for the job's destinations, and records
/// the final state with per-stage timings. A job whose result UIDs are already stored (a re-run after a crash) reuses
/// them: ingest keeps the first copy and the outbox never holds an item twice.
/// </summary>
public sealed class JobWorker(
    IJobQueue jobs,
    IAnalysisRunner runner,
    IInstanceIndex index,
    IIngestService ingest,
    IBlobStore blobs,
    IOutbox outbox,
    IDestinationCatalog destinations,
    IAuditTrail? audit = null,
    TimeProvider? timeProvider = null,
    ILogger<JobWorker>? logger = null,
    ModelSwitchboard? models = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>The ingest channel of the results a worker stores (SEG, SR, fallback), as the index records it.</summary>
    public const string ResultChannel = "ANALYSIS";

    /// <summary>See <see cref="JobOptions.StageDelayForTesting"/>; zero (no wait) unless a test sets it.</summary>
    public TimeSpan StageDelayForTesting { get; init; }

    public string WorkerId { get; } = Environment.MachineName + ":" + Environment.ProcessId + ":" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Leases and runs one job; returns it (in its final state), or null when none was due.</summary>
    public async Task<AnalysisJob?> RunOnceAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        var job = await jobs.LeaseAsync(WorkerId, lease, cancellationToken);
        if (job == null) return null;
        var timings = new Dictionary<string, double>();
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewing = RenewAsync(job.Id, lease, renewal.Token);
        try
        {
            return await RunLeasedAsync(job, timings, cancellationToken);
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
        }
    }

    /// <summary>Keeps the lease alive while the job runs (every third of the lease), so only a dead worker's job is taken over.</summary>
    private async Task RenewAsync(Guid id, TimeSpan lease, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(lease / 3, _time, ct);
                if (!await jobs.RenewLeaseAsync(id, WorkerId, lease, ct)) return;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            _log.LogWarning(ex, "Renewing the lease of job {JobId} failed", id);
        }
    }

    private async Task<AnalysisJob?> RunLeasedAsync(AnalysisJob job, Dictionary<string, double> timings, CancellationToken cancellationToken)
    {
        try
        {
            var inputs = new List<InstanceRecord>();
            foreach (var uid in job.InputSopInstanceUids)
                if (await index.FindInstanceAsync(uid, cancellationToken) is { } r) inputs.Add(r);
            if (inputs.Count == 0)
            {
                await jobs.FinishAsync(job.Id, WorkerId, JobState.Skipped, "none of the input instances is stored any more", timings, null, cancellationToken);
                return await jobs.GetAsync(job.Id, cancellationToken);
            }
            var modelState = models?.For(job.ModelId) ?? new ModelState();
            if (!modelState.Enabled)
            {
                var reason = JobRequeue.ModelDisabledReason(job.ModelId);
                await jobs.FinishAsync(job.Id, WorkerId, JobState.Skipped, reason, timings, null, cancellationToken);
                await AuditAnalysisAsync(job, AuditOutcome.MinorFailure, "skipped: " + reason, cancellationToken);
                return await jobs.GetAsync(job.Id, cancellationToken);
            }
            var predecessors = await PredecessorReportsAsync(job, cancellationToken);
            var result = await runner.RunAsync(job, inputs, predecessors, blobs.TempDirectory, cancellationToken);
            foreach (var (k, v) in result.StageTimings) timings[k] = v;
            if (result.Skipped)
            {
                await jobs.FinishAsync(job.Id, WorkerId, JobState.Skipped, result.SkipReason, timings, null, cancellationToken);
                await AuditAnalysisAsync(job, AuditOutcome.MinorFailure, "skipped: " + result.SkipReason, cancellationToken);
                return await jobs.GetAsync(job.Id, cancellationToken);
            }
            var sw = Stopwatch.StartNew();
            var stored = new List<StoredResult>();
            foreach (var file in result.Files)
            {
                var ingested = await ingest.IngestAsync(new IngestRequest(file.TempPath, new IngestSource(ResultChannel, User: "mednode")), cancellationToken);
                if (!ingested.IsSuccess) throw new InvalidOperationException($"A result object could not be stored: {ingested.Reason}");
                var record = await index.FindInstanceAsync(ingested.SopInstanceUid!, cancellationToken) ?? throw new InvalidOperationException("A stored result is not in the index.");
                stored.Add(new StoredResult(file.Kind, record.SopClassUid, record.SopInstanceUid, record.StudyInstanceUid, record.BlobKey));
            }
            var now = _time.GetUtcNow();
            // Shadow mode: the results are stored (and served) but not pushed: no outbox items.
            if (modelState.Shadow && job.Destinations.Count > 0) _log.LogInformation("Model {Model} is in shadow mode: job {JobId} pushes to none of its {Count} destination(s)", job.ModelId, job.Id, job.Destinations.Count);
            foreach (var d in modelState.Shadow ? (IReadOnlyList<JobDestination>)[] : job.Destinations)
            {
                var allowFallback = destinations.Find(d.Name)?.AllowFallback ?? false;
                await outbox.AddAsync(OutboxItemFactory.Create(job.Id, d.Name, d.Format, allowFallback, stored, now), cancellationToken);
            }
            timings["store"] = sw.Elapsed.TotalMilliseconds;
            if (StageDelayForTesting > TimeSpan.Zero)
            {
                _log.LogWarning("Job {JobId}: waiting {Delay} before it is marked succeeded (MedNode:Jobs:StageDelayForTesting, test only)", job.Id, StageDelayForTesting);
                await Task.Delay(StageDelayForTesting, _time, cancellationToken);
            }
            var resultJson = JsonSerializer.Serialize(new
            {
                results = stored.Select(s => new { kind = s.Kind.ToString(), sopClassUid = s.SopClassUid, sopInstanceUid = s.SopInstanceUid }),
                device = result.Device,
                shadow = modelState.Shadow,
                measurements = result.MeasurementsJson is { } m ? JsonDocument.Parse(m).RootElement : (JsonElement?)null,
            });
            await jobs.FinishAsync(job.Id, WorkerId, JobState.Succeeded, null, timings, resultJson, cancellationToken);
            await AuditAnalysisAsync(job, AuditOutcome.Success, $"{stored.Count} result object(s)", cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _log.LogError(ex, "Job {JobId} failed", job.Id);
            await jobs.FinishAsync(job.Id, WorkerId, JobState.Failed, ex.Message, timings, null, CancellationToken.None);
            await AuditAnalysisAsync(job, AuditOutcome.SeriousFailure, "failed: " + ex.Message, CancellationToken.None);
        }
        return await jobs.GetAsync(job.Id, cancellationToken);
    }

    /// <summary>
    /// The SR of the unit's latest earlier version (same model) that succeeded and was superseded by a later one: the
    /// report this job's SR replaces (Predecessor Documents Sequence, PS3.3 C.17.2). Found from that job's results and
    /// the index (the SR was stored there by its job); empty for a first version or when the earlier one made no SR.
    /// </summary>
    private async Task<IReadOnlyList<SrDocumentReference>> PredecessorReportsAsync(AnalysisJob job, CancellationToken ct)
    {
        if (job.Version <= 1) return [];
        var earlier = await jobs.ListAsync(new JobFilter(JobState.Superseded, job.StudyInstanceUid, Limit: int.MaxValue, ModelId: job.ModelId), ct)
            .Where(j => j.UnitKey == job.UnitKey && j.Version < job.Version && j.ResultJson != null)
            .OrderByDescending(j => j.Version).FirstOrDefaultAsync(ct);
        if (earlier?.ResultJson is not { } json) return [];
        var references = new List<SrDocumentReference>();
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array) return [];
        foreach (var r in results.EnumerateArray())
        {
            if (r.GetProperty("kind").GetString() != nameof(ResultKind.StructuredReport) || r.GetProperty("sopInstanceUid").GetString() is not { } sop) continue;
            if (await index.FindInstanceAsync(sop, ct) is { } stored)
                references.Add(new SrDocumentReference(stored.StudyInstanceUid, stored.SeriesInstanceUid, stored.SopClassUid, stored.SopInstanceUid));
        }
        return references;
    }

    private async Task AuditAnalysisAsync(AnalysisJob job, AuditOutcome outcome, string detail, CancellationToken ct)
    {
        if (audit == null) return;
        await audit.AppendAsync(new AuditEvent(AuditEventType.AnalysisPerformed, AuditAction.E, outcome,
            [new AuditParticipant(WorkerId, null, true, "Application")], job.StudyInstanceUid,
            Detail: $"model={job.ModelId}; sha256={job.ModelSha256}; version={job.Version}; {detail}"), ct);
    }
}
