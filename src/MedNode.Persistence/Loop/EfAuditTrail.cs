using System.Runtime.CompilerServices;
using MedNode.Core.Audit;
using MedNode.Persistence.Index;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Loop;

/// <summary>
/// The audit trail in the index database: append-only (triggers refuse UPDATE and DELETE on both providers), each row
/// chained to the previous row's hash. Appends are serialised: in the process by a lock, and on PostgreSQL across
/// processes by an exclusive table lock held for the append's transaction.
/// </summary>
public sealed class EfAuditTrail(IDbContextFactory<MedNodeDbContext> factory, TimeProvider? timeProvider = null, AuditOptions? options = null) : IAuditTrail
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly AuditOptions _options = options ?? new AuditOptions();

    public async Task<AuditRecord> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            if (db.Database.IsNpgsql()) await db.Database.ExecuteSqlRawAsync(@"LOCK TABLE ""Audit"" IN EXCLUSIVE MODE", cancellationToken);
            var last = await db.Audit.AsNoTracking().OrderByDescending(a => a.Sequence).FirstOrDefaultAsync(cancellationToken);
            var record = AuditRecord.Create(auditEvent, (last?.Sequence ?? 0) + 1, _time.GetUtcNow(), last?.Hash ?? AuditRecord.GenesisHash, _options);
            db.Audit.Add(ToEntity(record));
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return record;
        }
        finally
        {
            Gate.Release();
        }
    }

    public async IAsyncEnumerable<AuditRecord> ReadAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var q = db.Audit.AsNoTracking();
        if (query.From is { } f) { var t = f.UtcTicks; q = q.Where(a => a.TimeUtcTicks >= t); }
        if (query.To is { } to) { var t = to.UtcTicks; q = q.Where(a => a.TimeUtcTicks <= t); }
        if (query.EventCode is { } code) q = q.Where(a => a.EventCode == code);
        if (query.StudyInstanceUid is { } study) q = q.Where(a => a.StudyInstanceUid == study);
        q = q.OrderBy(a => a.Sequence);
        if (query.Limit is { } limit) q = q.Take(limit);
        await foreach (var e in q.AsAsyncEnumerable().WithCancellation(cancellationToken)) yield return ToRecord(e);
    }

    private static AuditEntity ToEntity(AuditRecord r) => new()
    {
        Sequence = r.Sequence, TimeUtcTicks = r.Time.UtcTicks, EventCode = r.EventCode, EventScheme = r.EventScheme, Action = r.Action, Outcome = r.Outcome,
        Participants = r.Participants, StudyInstanceUid = r.StudyInstanceUid, PatientId = r.PatientId, Detail = r.Detail, PreviousHash = r.PreviousHash, Hash = r.Hash,
    };

    private static AuditRecord ToRecord(AuditEntity e) => new()
    {
        Sequence = e.Sequence, Time = new DateTimeOffset(e.TimeUtcTicks, TimeSpan.Zero), EventCode = e.EventCode, EventScheme = e.EventScheme, Action = e.Action,
        Outcome = e.Outcome, Participants = e.Participants, StudyInstanceUid = e.StudyInstanceUid, PatientId = e.PatientId, Detail = e.Detail,
        PreviousHash = e.PreviousHash, Hash = e.Hash,
    };
}
