using System.Runtime.CompilerServices;

namespace MedNode.Core.Jobs;

/// <summary>A job queue in memory, with the same semantics as the database one: for tests and tools.</summary>
public sealed class InMemoryJobQueue(TimeProvider? timeProvider = null) : IJobQueue
{
    private readonly List<AnalysisJob> _jobs = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public Task<EnqueueResult> EnqueueAsync(JobRequest request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var key = request.IdempotencyKey;
            if (_jobs.Find(j => j.IdempotencyKey == key) is { } existing) return Task.FromResult(new EnqueueResult(existing, false, []));
            var now = _time.GetUtcNow();
            var superseded = new List<Guid>();
            for (var i = 0; i < _jobs.Count; i++)
            {
                var j = _jobs[i];
                if (j.UnitKey == request.UnitKey && j.ModelId == request.ModelId && j.Version < request.Version && j.State is JobState.Queued or JobState.Running or JobState.Succeeded)
                {
                    _jobs[i] = j with { State = JobState.Superseded, LeaseOwner = null, LeaseExpiresAt = null, UpdatedAt = now };
                    superseded.Add(j.Id);
                }
            }
            var job = AnalysisJob.FromRequest(request, Guid.NewGuid(), now);
            _jobs.Add(job);
            return Task.FromResult(new EnqueueResult(job, true, superseded));
        }
    }

    public Task<AnalysisJob?> LeaseAsync(string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var index = _jobs.FindIndex(j => j.State == JobState.Queued || (j.State == JobState.Running && j.LeaseExpiresAt <= now));
            if (index < 0) return Task.FromResult<AnalysisJob?>(null);
            var leased = _jobs[index] with { State = JobState.Running, LeaseOwner = workerId, LeaseExpiresAt = now + lease, Attempts = _jobs[index].Attempts + 1, UpdatedAt = now };
            _jobs[index] = leased;
            return Task.FromResult<AnalysisJob?>(leased);
        }
    }

    public Task<bool> RenewLeaseAsync(Guid id, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var index = _jobs.FindIndex(j => j.Id == id && j.State == JobState.Running && j.LeaseOwner == workerId);
            if (index < 0) return Task.FromResult(false);
            _jobs[index] = _jobs[index] with { LeaseExpiresAt = _time.GetUtcNow() + lease };
            return Task.FromResult(true);
        }
    }

    public Task<bool> FinishAsync(Guid id, string workerId, JobState state, string? error, IReadOnlyDictionary<string, double> stageTimings, string? resultJson, CancellationToken cancellationToken)
    {
        if (state is JobState.Queued or JobState.Running) throw new ArgumentOutOfRangeException(nameof(state), state, "A job finishes in a final state.");
        lock (_gate)
        {
            var index = _jobs.FindIndex(j => j.Id == id && j.State == JobState.Running && j.LeaseOwner == workerId);
            if (index < 0) return Task.FromResult(false);
            _jobs[index] = _jobs[index] with { State = state, Error = error, StageTimings = stageTimings, ResultJson = resultJson, LeaseOwner = null, LeaseExpiresAt = null, UpdatedAt = _time.GetUtcNow() };
            return Task.FromResult(true);
        }
    }

    public Task<RequeueOutcome> RequeueAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var index = _jobs.FindIndex(j => j.Id == id);
            if (index < 0) return Task.FromResult(RequeueOutcome.NotFound);
            var job = _jobs[index];
            if (job.State is not (JobState.Skipped or JobState.Failed)) return Task.FromResult(RequeueOutcome.NotSkippedOrFailed);
            if (_jobs.Exists(j => j.UnitKey == job.UnitKey && j.ModelId == job.ModelId && j.Version > job.Version)) return Task.FromResult(RequeueOutcome.LaterVersionExists);
            _jobs[index] = job with
            {
                State = JobState.Queued, Error = null, ResultJson = null, StageTimings = new Dictionary<string, double>(), LeaseOwner = null, LeaseExpiresAt = null, UpdatedAt = _time.GetUtcNow(),
            };
            return Task.FromResult(RequeueOutcome.Requeued);
        }
    }

    public Task<AnalysisJob?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_jobs.Find(j => j.Id == id));
    }

    public async IAsyncEnumerable<AnalysisJob> ListAsync(JobFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (filter.Modality != null) throw new NotSupportedException("The in-memory job queue has no index to filter by modality.");
        List<AnalysisJob> snapshot;
        lock (_gate) snapshot = _jobs.Where(filter.Matches).OrderByDescending(j => j.CreatedAt).Take(filter.Limit).ToList();
        foreach (var j in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return j;
        }
        await Task.CompletedTask;
    }
}
