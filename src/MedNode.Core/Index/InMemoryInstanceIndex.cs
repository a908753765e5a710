using System.Collections.Concurrent;
using MedNode.Core.Query;

namespace MedNode.Core.Index;

/// <summary>A process-local index, for tests and command-line tools.</summary>
public sealed class InMemoryInstanceIndex : IInstanceIndex, IQueryIndex, IRecentInstances, IStudyAges
{
    private readonly ConcurrentDictionary<string, InstanceRecord> _rows = new(StringComparer.Ordinal);

    public IReadOnlyCollection<InstanceRecord> All => _rows.Values.ToList();

    public Task AddOrReplaceAsync(InstanceRecord record, CancellationToken cancellationToken)
    {
        _rows[record.SopInstanceUid] = record;
        return Task.CompletedTask;
    }

    public Task<InstanceRecord?> FindInstanceAsync(string sopInstanceUid, CancellationToken cancellationToken) =>
        Task.FromResult(_rows.GetValueOrDefault(sopInstanceUid));

    public Task<IReadOnlyList<InstanceRecord>> GetInstancesAsync(string studyUid, string? seriesUid, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<InstanceRecord>>(_rows.Values
            .Where(r => r.StudyInstanceUid == studyUid && (seriesUid == null || r.SeriesInstanceUid == seriesUid))
            .OrderBy(r => r.SeriesInstanceUid, StringComparer.Ordinal).ThenBy(r => int.TryParse(r.InstanceNumber, out var n) ? n : 0).ToList());

    public Task<IReadOnlyList<string>> DeleteStudyAsync(string studyUid, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        foreach (var r in _rows.Values.Where(r => r.StudyInstanceUid == studyUid).ToList())
            if (_rows.TryRemove(r.SopInstanceUid, out var removed)) keys.Add(removed.BlobKey);
        return Task.FromResult<IReadOnlyList<string>>(keys);
    }

    public IAsyncEnumerable<InstanceRecord> ListReceivedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        _rows.Values.Where(r => r.ReceivedAt >= since).OrderBy(r => r.ReceivedAt).ToAsyncEnumerable();

    public Task<IReadOnlyList<string>> ListStudiesReceivedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(_rows.Values.GroupBy(r => r.StudyInstanceUid, StringComparer.Ordinal)
            .Where(g => g.All(r => r.ReceivedAt < cutoff)).Select(g => g.Key).Order(StringComparer.Ordinal).Take(limit).ToList());

    public IAsyncEnumerable<QueryMatch> QueryAsync(DicomQuery query, CancellationToken cancellationToken) =>
        InMemoryQuery.EvaluateAsync(query, All, cancellationToken);
}
