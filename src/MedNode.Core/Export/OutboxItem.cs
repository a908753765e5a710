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

    /// <summary>Storage Commitment outcome after delivery: null when not requested, else true when committed.</summary>
    public bool? Committed { get; init; }
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

    Task<IReadOnlyList<OutboxItem>> ListAsync(OutboxState? state, CancellationToken cancellationToken);

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

    public Task<IReadOnlyList<OutboxItem>> ListAsync(OutboxState? state, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<OutboxItem>>(_items.Where(i => state == null || i.State == state).ToList());
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
