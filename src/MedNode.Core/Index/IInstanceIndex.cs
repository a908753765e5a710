namespace MedNode.Core.Index;

/// <summary>
/// The index of stored instances. The embedded default is SQLite, production is PostgreSQL (MedNode.Persistence);
/// <see cref="InMemoryInstanceIndex"/> serves tests and tools.
/// </summary>
public interface IInstanceIndex
{
    /// <summary>Adds or replaces an instance and updates its series and study aggregates.</summary>
    Task AddOrReplaceAsync(InstanceRecord record, CancellationToken cancellationToken);

    Task<InstanceRecord?> FindInstanceAsync(string sopInstanceUid, CancellationToken cancellationToken);

    /// <summary>Whether an instance is held: the duplicate check of ingest, which needs no row (an index may answer it cheaper).</summary>
    async Task<bool> ContainsInstanceAsync(string sopInstanceUid, CancellationToken cancellationToken) =>
        await FindInstanceAsync(sopInstanceUid, cancellationToken) != null;

    /// <summary>Instances of a study, optionally of one series, in series then instance number order.</summary>
    Task<IReadOnlyList<InstanceRecord>> GetInstancesAsync(string studyUid, string? seriesUid, CancellationToken cancellationToken);

    /// <summary>Removes a study's rows; returns the blob keys to delete.</summary>
    Task<IReadOnlyList<string>> DeleteStudyAsync(string studyUid, CancellationToken cancellationToken);
}
