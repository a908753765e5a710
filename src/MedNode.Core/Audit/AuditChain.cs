namespace MedNode.Core.Audit;

/// <summary>What <see cref="AuditChain.Verify"/> found: null <see cref="FirstBadSequence"/> when the chain is intact.</summary>
public sealed record AuditVerification(long RowsChecked, long? FirstBadSequence, string? Problem)
{
    public bool IsIntact => FirstBadSequence == null;
}

/// <summary>Checks the hash chain of an audit trail read in sequence order.</summary>
public static class AuditChain
{
    /// <summary>
    /// Walks the rows: each must follow its predecessor's sequence number without a gap, name its predecessor's hash,
    /// and hash to its stored value. Reports the first row that does not.
    /// </summary>
    public static async Task<AuditVerification> VerifyAsync(IAsyncEnumerable<AuditRecord> rows, CancellationToken cancellationToken)
    {
        long count = 0;
        string previousHash = AuditRecord.GenesisHash;
        long? previousSequence = null;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            count++;
            if (previousSequence is { } p && row.Sequence != p + 1)
                return new(count, p + 1, $"row {p + 1} is missing (the row after {p} is {row.Sequence})");
            if (previousSequence == null && row.Sequence != 1)
                return new(count, 1, $"row 1 is missing (the first row is {row.Sequence})");
            if (row.PreviousHash != previousHash)
                return new(count, row.Sequence, $"row {row.Sequence} does not follow the hash of the row before it");
            if (row.ComputeHash() != row.Hash)
                return new(count, row.Sequence, $"row {row.Sequence} was altered: its content does not match its hash");
            previousHash = row.Hash;
            previousSequence = row.Sequence;
        }
        return new(count, null, null);
    }
}

/// <summary>
/// The append-only audit trail (a database table in MedNode.Persistence). Appends are serialized so that each row
/// names the hash of the one before it.
/// </summary>
public interface IAuditTrail
{
    Task<AuditRecord> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken);

    /// <summary>Rows in sequence order, optionally filtered.</summary>
    IAsyncEnumerable<AuditRecord> ReadAsync(AuditQuery query, CancellationToken cancellationToken);
}

/// <summary>Filters for reading the trail; all optional.</summary>
public sealed record AuditQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, string? EventCode = null, string? StudyInstanceUid = null, int? Limit = null)
{
    public static readonly AuditQuery All = new();

    public bool Matches(AuditRecord row) =>
        (From == null || row.Time >= From) && (To == null || row.Time <= To) &&
        (EventCode == null || row.EventCode == EventCode) && (StudyInstanceUid == null || row.StudyInstanceUid == StudyInstanceUid);
}
