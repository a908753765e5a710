using MedNode.Core.Export;
using MedNode.Persistence.Index;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Loop;

/// <summary>The outbox table: one row per result instance and destination (unique), so a destination never gets duplicates.</summary>
public sealed class EfOutbox(IDbContextFactory<MedNodeDbContext> factory) : IOutbox
{
    public async Task AddAsync(IEnumerable<OutboxItem> items, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        foreach (var item in items)
        {
            var dest = item.Destination;
            var sop = item.SopInstanceUid;
            if (await db.Outbox.AnyAsync(o => o.Destination == dest && o.SopInstanceUid == sop, cancellationToken)) continue;
            db.Outbox.Add(ToEntity(item));
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<OutboxItem>> DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var t = now.ToUnixTimeMilliseconds();
        return (await db.Outbox.AsNoTracking().Where(o => o.State == (int)OutboxState.Pending && o.NextAttemptAtMs <= t).OrderBy(o => o.NextAttemptAtMs).Take(max).ToListAsync(cancellationToken)).Select(ToItem).ToList();
    }

    public async Task UpdateAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        db.Outbox.Update(ToEntity(item));
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<OutboxItem>> ForJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return (await db.Outbox.AsNoTracking().Where(o => o.JobId == jobId).ToListAsync(cancellationToken)).Select(ToItem).ToList();
    }

    public async Task<OutboxItem?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var e = await db.Outbox.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        return e == null ? null : ToItem(e);
    }

    public async Task<IReadOnlyList<OutboxItem>> ListAsync(OutboxState? state, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var q = db.Outbox.AsNoTracking();
        if (state is { } s) q = q.Where(o => o.State == (int)s);
        return (await q.OrderBy(o => o.NextAttemptAtMs).Take(1000).ToListAsync(cancellationToken)).Select(ToItem).ToList();
    }

    public async Task<IReadOnlyList<OutboxItem>> AwaitingCommitmentAsync(string? transactionUid, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        int requested = (int)CommitmentState.Requested, timedOut = (int)CommitmentState.TimedOut;
        var q = transactionUid == null
            ? db.Outbox.AsNoTracking().Where(o => o.Commitment == requested)
            : db.Outbox.AsNoTracking().Where(o => (o.Commitment == requested || o.Commitment == timedOut) && o.CommitmentTransactionUid == transactionUid);
        return (await q.ToListAsync(cancellationToken)).Select(ToItem).ToList();
    }

    public async Task<bool> ReplayAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var t = now.ToUnixTimeMilliseconds();
        return await db.Outbox.Where(o => o.Id == id && o.State == (int)OutboxState.DeadLetter)
            .ExecuteUpdateAsync(u => u.SetProperty(o => o.State, (int)OutboxState.Pending).SetProperty(o => o.NextAttemptAtMs, t).SetProperty(o => o.LastError, (string?)null), cancellationToken) == 1;
    }

    private static OutboxEntity ToEntity(OutboxItem i) => new()
    {
        Id = i.Id, JobId = i.JobId, Destination = i.Destination, Kind = (int)i.Kind, SopClassUid = i.SopClassUid, SopInstanceUid = i.SopInstanceUid,
        StudyInstanceUid = i.StudyInstanceUid, BlobKey = i.BlobKey, State = (int)i.State, Attempts = i.Attempts, NextAttemptAtMs = i.NextAttemptAt.ToUnixTimeMilliseconds(),
        LastError = i.LastError, DeliveredAtMs = i.DeliveredAt?.ToUnixTimeMilliseconds(),
        Commitment = (int?)i.Commitment, CommitmentTransactionUid = i.CommitmentTransactionUid, CommitmentRequestedAtMs = i.CommitmentRequestedAt?.ToUnixTimeMilliseconds(),
        CommitmentFailureReason = i.CommitmentFailureReason,
    };

    private static OutboxItem ToItem(OutboxEntity e) => new()
    {
        Id = e.Id, JobId = e.JobId, Destination = e.Destination, Kind = (ResultKind)e.Kind, SopClassUid = e.SopClassUid, SopInstanceUid = e.SopInstanceUid,
        StudyInstanceUid = e.StudyInstanceUid, BlobKey = e.BlobKey, State = (OutboxState)e.State, Attempts = e.Attempts,
        NextAttemptAt = DateTimeOffset.FromUnixTimeMilliseconds(e.NextAttemptAtMs), LastError = e.LastError,
        DeliveredAt = e.DeliveredAtMs is { } d ? DateTimeOffset.FromUnixTimeMilliseconds(d) : null,
        Commitment = (CommitmentState?)e.Commitment, CommitmentTransactionUid = e.CommitmentTransactionUid,
        CommitmentRequestedAt = e.CommitmentRequestedAtMs is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r) : null, CommitmentFailureReason = e.CommitmentFailureReason,
    };
}
