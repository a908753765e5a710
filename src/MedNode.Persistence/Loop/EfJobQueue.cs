using System.Runtime.CompilerServices;
using System.Text.Json;
using MedNode.Core.Jobs;
using MedNode.Persistence.Index;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Loop;

/// <summary>
/// The durable job queue in the index database. On PostgreSQL a lease takes the row with <c>FOR UPDATE SKIP LOCKED</c>,
/// so several MedNode processes share the work without taking the same job; SQLite serialises leases in the process
/// (the embedded default runs one node).
/// </summary>
public sealed class EfJobQueue(IDbContextFactory<MedNodeDbContext> factory, TimeProvider? timeProvider = null) : IJobQueue
{
    private static readonly SemaphoreSlim SqliteGate = new(1, 1);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<EnqueueResult> EnqueueAsync(JobRequest request, CancellationToken cancellationToken)
    {
        var key = request.IdempotencyKey;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.IdempotencyKey == key, cancellationToken) is { } existing)
            return new EnqueueResult(ToJob(existing), false, []);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = Now;
        int[] supersedable = [(int)JobState.Queued, (int)JobState.Running, (int)JobState.Succeeded];
        var older = await db.Jobs.Where(j => j.UnitKey == request.UnitKey && j.ModelId == request.ModelId && j.Version < request.Version && supersedable.Contains(j.State)).ToListAsync(cancellationToken);
        foreach (var o in older)
        {
            o.State = (int)JobState.Superseded;
            o.LeaseOwner = null;
            o.LeaseExpiresAtMs = null;
            o.UpdatedAtMs = now;
        }
        var entity = FromJob(AnalysisJob.FromRequest(request, Guid.NewGuid(), DateTimeOffset.FromUnixTimeMilliseconds(now)));
        db.Jobs.Add(entity);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another process queued the same inputs first: the unique idempotency key keeps one job.
            await tx.RollbackAsync(cancellationToken);
            await using var again = await factory.CreateDbContextAsync(cancellationToken);
            var winner = await again.Jobs.AsNoTracking().FirstAsync(j => j.IdempotencyKey == key, cancellationToken);
            return new EnqueueResult(ToJob(winner), false, []);
        }
        return new EnqueueResult(ToJob(entity), true, older.Select(o => o.Id).ToList());
    }

    public async Task<AnalysisJob?> LeaseAsync(string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = Now;
        var postgres = db.Database.IsNpgsql();
        if (!postgres) await SqliteGate.WaitAsync(cancellationToken);
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            JobEntity? job;
            if (postgres)
            {
                job = await db.Jobs.FromSqlInterpolated($@"SELECT * FROM ""Job"" WHERE ""State"" = {(int)JobState.Queued} OR (""State"" = {(int)JobState.Running} AND ""LeaseExpiresAtMs"" <= {now}) ORDER BY ""CreatedAtMs"" LIMIT 1 FOR UPDATE SKIP LOCKED")
                    .FirstOrDefaultAsync(cancellationToken);
            }
            else
            {
                job = await db.Jobs.Where(j => j.State == (int)JobState.Queued || (j.State == (int)JobState.Running && j.LeaseExpiresAtMs <= now))
                    .OrderBy(j => j.CreatedAtMs).FirstOrDefaultAsync(cancellationToken);
            }
            if (job == null) return null;
            job.State = (int)JobState.Running;
            job.LeaseOwner = workerId;
            job.LeaseExpiresAtMs = now + (long)lease.TotalMilliseconds;
            job.Attempts++;
            job.UpdatedAtMs = now;
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return ToJob(job);
        }
        finally
        {
            if (!postgres) SqliteGate.Release();
        }
    }

    public async Task<bool> RenewLeaseAsync(Guid id, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var until = Now + (long)lease.TotalMilliseconds;
        return await db.Jobs.Where(j => j.Id == id && j.State == (int)JobState.Running && j.LeaseOwner == workerId)
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.LeaseExpiresAtMs, until), cancellationToken) == 1;
    }

    public async Task<bool> FinishAsync(Guid id, string workerId, JobState state, string? error, IReadOnlyDictionary<string, double> stageTimings, string? resultJson, CancellationToken cancellationToken)
    {
        if (state is JobState.Queued or JobState.Running) throw new ArgumentOutOfRangeException(nameof(state), state, "A job finishes in a final state.");
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = Now;
        var timings = JsonSerializer.Serialize(stageTimings);
        return await db.Jobs.Where(j => j.Id == id && j.State == (int)JobState.Running && j.LeaseOwner == workerId)
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.State, (int)state).SetProperty(j => j.Error, error).SetProperty(j => j.StageTimings, timings)
                .SetProperty(j => j.ResultJson, resultJson).SetProperty(j => j.LeaseOwner, (string?)null).SetProperty(j => j.LeaseExpiresAtMs, (long?)null).SetProperty(j => j.UpdatedAtMs, now), cancellationToken) == 1;
    }

    public async Task<RequeueOutcome> RequeueAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = Now;
        int[] requeueable = [(int)JobState.Skipped, (int)JobState.Failed];
        // One conditional UPDATE: of two concurrent requests (or processes) only one moves the row back to Queued.
        var changed = await db.Jobs.Where(j => j.Id == id && requeueable.Contains(j.State)
                && !db.Jobs.Any(o => o.UnitKey == j.UnitKey && o.ModelId == j.ModelId && o.Version > j.Version))
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.State, (int)JobState.Queued).SetProperty(j => j.Error, (string?)null).SetProperty(j => j.StageTimings, "{}")
                .SetProperty(j => j.ResultJson, (string?)null).SetProperty(j => j.LeaseOwner, (string?)null).SetProperty(j => j.LeaseExpiresAtMs, (long?)null)
                .SetProperty(j => j.UpdatedAtMs, now), cancellationToken);
        if (changed == 1) return RequeueOutcome.Requeued;
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
        if (job == null) return RequeueOutcome.NotFound;
        return job.State is (int)JobState.Skipped or (int)JobState.Failed ? RequeueOutcome.LaterVersionExists : RequeueOutcome.NotSkippedOrFailed;
    }

    public async Task<AnalysisJob?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, cancellationToken) is { } e ? ToJob(e) : null;
    }

    public async IAsyncEnumerable<AnalysisJob> ListAsync(JobFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var q = db.Jobs.AsNoTracking();
        if (filter.State is { } s) q = q.Where(j => j.State == (int)s);
        if (filter.StudyInstanceUid is { } study) q = q.Where(j => j.StudyInstanceUid == study);
        if (filter.ModelId is { } model) q = q.Where(j => j.ModelId == model);
        if (filter.From is { } from) { var f = from.ToUnixTimeMilliseconds(); q = q.Where(j => j.CreatedAtMs >= f); }
        if (filter.To is { } to) { var t = to.ToUnixTimeMilliseconds(); q = q.Where(j => j.CreatedAtMs <= t); }
        if (filter.Modality is { } modality)
        {
            // The unit's received instances of that modality: its series, or its whole study (study grouping); the results
            // the workers store (channel ANALYSIS) do not count, so a SEG filter does not match every analysed study.
            var m = modality.Trim().ToUpperInvariant();
            q = q.Where(j => db.Instances.Any(i => i.StudyInstanceUid == j.StudyInstanceUid && (j.SeriesInstanceUid == null || i.SeriesInstanceUid == j.SeriesInstanceUid)
                && i.Modality == m && i.Channel != JobWorker.ResultChannel));
        }
        await foreach (var e in q.OrderByDescending(j => j.CreatedAtMs).Take(filter.Limit).AsAsyncEnumerable().WithCancellation(cancellationToken))
            yield return ToJob(e);
    }

    private static JobEntity FromJob(AnalysisJob j) => new()
    {
        Id = j.Id,
        IdempotencyKey = j.IdempotencyKey,
        UnitKey = j.UnitKey,
        Version = j.Version,
        StudyInstanceUid = j.StudyInstanceUid,
        SeriesInstanceUid = j.SeriesInstanceUid,
        Inputs = JsonSerializer.Serialize(j.InputSopInstanceUids),
        ModelId = j.ModelId,
        ModelSha256 = j.ModelSha256,
        RuleName = j.RuleName,
        Destinations = JsonSerializer.Serialize(j.Destinations),
        State = (int)j.State,
        Attempts = j.Attempts,
        Error = j.Error,
        LeaseOwner = j.LeaseOwner,
        LeaseExpiresAtMs = j.LeaseExpiresAt?.ToUnixTimeMilliseconds(),
        CreatedAtMs = j.CreatedAt.ToUnixTimeMilliseconds(),
        UpdatedAtMs = j.UpdatedAt.ToUnixTimeMilliseconds(),
        StageTimings = JsonSerializer.Serialize(j.StageTimings),
        ResultJson = j.ResultJson,
    };

    private static AnalysisJob ToJob(JobEntity e) => new()
    {
        Id = e.Id,
        IdempotencyKey = e.IdempotencyKey,
        UnitKey = e.UnitKey,
        Version = e.Version,
        StudyInstanceUid = e.StudyInstanceUid,
        SeriesInstanceUid = e.SeriesInstanceUid,
        InputSopInstanceUids = JsonSerializer.Deserialize<List<string>>(e.Inputs) ?? [],
        ModelId = e.ModelId,
        ModelSha256 = e.ModelSha256,
        RuleName = e.RuleName,
        Destinations = JsonSerializer.Deserialize<List<JobDestination>>(e.Destinations) ?? [],
        State = (JobState)e.State,
        Attempts = e.Attempts,
        Error = e.Error,
        LeaseOwner = e.LeaseOwner,
        LeaseExpiresAt = e.LeaseExpiresAtMs is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(e.CreatedAtMs),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(e.UpdatedAtMs),
        StageTimings = JsonSerializer.Deserialize<Dictionary<string, double>>(e.StageTimings) ?? [],
        ResultJson = e.ResultJson,
    };
}
