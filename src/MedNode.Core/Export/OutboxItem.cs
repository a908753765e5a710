namespace MedNode.Core.Export;

public enum OutboxState
{
    Pending,
    Delivered,

    /// <summary>A permanent failure: not retried until replayed through the API.</summary>
    DeadLetter,

    /// <summary>Not sent because the destination refused its SOP class and the fallback was sent instead.</summary>
    Replaced,

    /// <summary>A fallback instance kept in reserve: sent only if the destination refuses the Segmentation SOP class.</summary>
    Standby,
}

/// <summary>What a result instance is, for choosing between SEG+SR and the fallback.</summary>
public enum ResultKind { Segmentation, StructuredReport, SecondaryCapture, KeyObjectSelection }

/// <summary>One result instance to deliver to one destination (a row of the outbox table).</summary>
public sealed record OutboxItem
{
    public required Guid Id { get; init; }
    public required Guid JobId { get; init; }
    public required string Destination { get; init; }
    public required ResultKind Kind { get; init; }
    public required string SopClassUid { get; init; }
    public required string SopInstanceUid { get; init; }
    public required string StudyInstanceUid { get; init; }
    public required string BlobKey { get; init; }
    public OutboxState State { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>Storage Commitment of a delivered instance (PS3.4 Annex J): null when not requested.</summary>
    public CommitmentState? Commitment { get; init; }

    /// <summary>The Transaction UID (0008,1195) of the storage commitment request that named this instance.</summary>
    public string? CommitmentTransactionUid { get; init; }

    /// <summary>When the N-ACTION-RQ was sent; the commitment times out <c>Export:CommitmentTimeout</c> later.</summary>
    public DateTimeOffset? CommitmentRequestedAt { get; init; }

    /// <summary>The Failure Reason (0008,1197) the destination gave for this instance (PS3.4 J.3.3.1.1).</summary>
    public int? CommitmentFailureReason { get; init; }
}

/// <summary>Where a delivered instance stands with the destination's Storage Commitment SCP (PS3.4 J.3).</summary>
public enum CommitmentState
{
    /// <summary>N-ACTION-RQ sent (or about to be); no N-EVENT-REPORT yet.</summary>
    Requested,

    /// <summary>Named in the report's Referenced SOP Sequence (0008,1199): the destination took responsibility for it.</summary>
    Committed,

    /// <summary>Named in the Failed SOP Sequence (0008,1198), or the request itself was refused (see LastError).</summary>
    Failed,

    /// <summary>No report within <c>Export:CommitmentTimeout</c>. The instance is not sent again; a late report still counts.</summary>
    TimedOut,
}

/// <summary>The outbox: per-destination delivery state of result instances.</summary>
public interface IOutbox
{
    /// <summary>Adds items; an item for the same destination and SOP Instance UID is not added twice.</summary>
    Task AddAsync(IEnumerable<OutboxItem> items, CancellationToken cancellationToken);

    /// <summary>Pending items due at <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<OutboxItem>> DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken);

    Task UpdateAsync(OutboxItem item, CancellationToken cancellationToken);

    Task<IReadOnlyList<OutboxItem>> ForJobAsync(Guid jobId, CancellationToken cancellationToken);

    /// <summary>The item with this id; null when there is none.</summary>
    Task<OutboxItem?> FindAsync(Guid id, CancellationToken cancellationToken);

    Task<IReadOnlyList<OutboxItem>> ListAsync(OutboxState? state, CancellationToken cancellationToken);

    /// <summary>
    /// Items awaiting a storage commitment report: with <paramref name="transactionUid"/>, that transaction's items that are
    /// <see cref="CommitmentState.Requested"/> or <see cref="CommitmentState.TimedOut"/> (a late report still counts);
    /// without, every <see cref="CommitmentState.Requested"/> item.
    /// </summary>
    Task<IReadOnlyList<OutboxItem>> AwaitingCommitmentAsync(string? transactionUid, CancellationToken cancellationToken);

    /// <summary>Puts a dead letter back to pending, due now; false when it is not a dead letter.</summary>
    Task<bool> ReplayAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken);
}

public sealed class InMemoryOutbox : IOutbox
{
    private readonly List<OutboxItem> _items = [];
    private readonly Lock _gate = new();

    public Task AddAsync(IEnumerable<OutboxItem> items, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var item in items)
                if (!_items.Exists(i => i.Destination == item.Destination && i.SopInstanceUid == item.SopInstanceUid)) _items.Add(item);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxItem>> DueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<OutboxItem>>(_items.Where(i => i.State == OutboxState.Pending && i.NextAttemptAt <= now).OrderBy(i => i.NextAttemptAt).Take(max).ToList());
    }

    public Task UpdateAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var i = _items.FindIndex(x => x.Id == item.Id);
            if (i >= 0) _items[i] = item;
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<OutboxItem>> ForJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<OutboxItem>>(_items.Where(i => i.JobId == jobId).ToList());
    }

    public Task<OutboxItem?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_items.Find(i => i.Id == id));
    }

    public Task<IReadOnlyList<OutboxItem>> ListAsync(OutboxState? state, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<OutboxItem>>(_items.Where(i => state == null || i.State == state).ToList());
    }

    public Task<IReadOnlyList<OutboxItem>> AwaitingCommitmentAsync(string? transactionUid, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<OutboxItem>>(_items.Where(i => transactionUid == null
                ? i.Commitment == CommitmentState.Requested
                : i.CommitmentTransactionUid == transactionUid && (i.Commitment is CommitmentState.Requested or CommitmentState.TimedOut)).ToList());
        }
    }

    public Task<bool> ReplayAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var i = _items.FindIndex(x => x.Id == id && x.State == OutboxState.DeadLetter);
            if (i < 0) return Task.FromResult(false);
            _items[i] = _items[i] with { State = OutboxState.Pending, NextAttemptAt = now, LastError = null };
            return Task.FromResult(true);
        }
    }
}
