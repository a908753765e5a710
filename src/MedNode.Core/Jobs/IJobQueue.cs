namespace MedNode.Core.Jobs;

/// <summary>The outcome of <see cref="IJobQueue.EnqueueAsync"/>: the job, whether it is new, and the jobs it superseded.</summary>
public sealed record EnqueueResult(AnalysisJob Job, bool Created, IReadOnlyList<Guid> Superseded);

/// <summary>
/// The durable job queue (a database table). Workers lease jobs; a lease that expires (the worker died) makes the job
/// available again, so a restart picks it up. On PostgreSQL leasing uses <c>FOR UPDATE SKIP LOCKED</c> so several
/// processes can share the work; SQLite runs one worker.
/// </summary>
public interface IJobQueue
{
    /// <summary>
    /// Adds a job unless one with the same idempotency key exists (then returns that one). A new version of a unit
    /// supersedes the unit's earlier jobs that are not yet final or that succeeded.
    /// </summary>
    Task<EnqueueResult> EnqueueAsync(JobRequest request, CancellationToken cancellationToken);

    /// <summary>Leases the oldest queued job, or a running one whose lease expired; null when there is none.</summary>
    Task<AnalysisJob?> LeaseAsync(string workerId, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Extends a lease; false when the job is no longer this worker's (it expired and was taken, or was superseded).</summary>
    Task<bool> RenewLeaseAsync(Guid id, string workerId, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Records a final state with its error, stage timings and results; ignored when the job is no longer this worker's.</summary>
    Task<bool> FinishAsync(Guid id, string workerId, JobState state, string? error, IReadOnlyDictionary<string, double> stageTimings, string? resultJson, CancellationToken cancellationToken);

    /// <summary>
    /// Puts a Skipped or Failed job back in the queue, in one conditional step: the same row and idempotency key, its
    /// attempts kept, error, timings and results cleared. Not when the job is queued, running, succeeded or superseded,
    /// nor when a later version of its unit exists for the same model (see <see cref="JobRequeue"/>).
    /// </summary>
    Task<RequeueOutcome> RequeueAsync(Guid id, CancellationToken cancellationToken);

    Task<AnalysisJob?> GetAsync(Guid id, CancellationToken cancellationToken);

    IAsyncEnumerable<AnalysisJob> ListAsync(JobFilter filter, CancellationToken cancellationToken);
}
