namespace MedNode.Core.Audit;

/// <summary>An audit trail kept in memory: for tests and for tools that run without a database.</summary>
public sealed class InMemoryAuditTrail(TimeProvider? timeProvider = null, AuditOptions? options = null) : IAuditTrail
{
    private readonly List<AuditRecord> _rows = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly AuditOptions _options = options ?? new AuditOptions();

    public Task<AuditRecord> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var previous = _rows.Count == 0 ? AuditRecord.GenesisHash : _rows[^1].Hash;
            var row = AuditRecord.Create(auditEvent, _rows.Count + 1, _time.GetUtcNow(), previous, _options);
            _rows.Add(row);
            return Task.FromResult(row);
        }
    }

    public async IAsyncEnumerable<AuditRecord> ReadAsync(AuditQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        AuditRecord[] snapshot;
        lock (_gate) snapshot = [.. _rows];
        var n = 0;
        foreach (var row in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!query.Matches(row)) continue;
            if (query.Limit is { } limit && n++ >= limit) yield break;
            yield return row;
        }
        await Task.CompletedTask;
    }

    /// <summary>Replaces a stored row as-is (tests simulate tampering with it).</summary>
    public void Overwrite(AuditRecord row)
    {
        lock (_gate) _rows[(int)row.Sequence - 1] = row;
    }
}
