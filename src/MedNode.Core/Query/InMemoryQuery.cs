using System.Runtime.CompilerServices;
using MedNode.Core.Index;

namespace MedNode.Core.Query;

/// <summary>Evaluates a query over instances held in memory (the in-memory index, tools, the reference for SQL tests).</summary>
public static class InMemoryQuery
{
    public static IEnumerable<QueryMatch> Evaluate(DicomQuery query, IReadOnlyCollection<InstanceRecord> records)
    {
        var modalities = records.GroupBy(r => r.StudyInstanceUid, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Modality).Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var matching = records.Where(r => QueryMatcher.Matches(query, r, modalities[r.StudyInstanceUid]));
        var keys = matching.Select(r => LevelKey(query.Level, r)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Skip(query.Offset);
        if (query.Limit is { } limit) keys = keys.Take(limit);
        foreach (var key in keys.ToList())
        {
            var group = records.Where(r => LevelKey(query.Level, r) == key).OrderBy(r => r.SopInstanceUid, StringComparer.Ordinal).ToList();
            var first = group[0];
            var study = records.Where(r => r.StudyInstanceUid == first.StudyInstanceUid).ToList();
            yield return new QueryMatch(
                query.Level,
                first,
                modalities[first.StudyInstanceUid],
                study.Select(r => r.SeriesInstanceUid).Distinct(StringComparer.Ordinal).Count(),
                study.Count,
                records.Count(r => r.SeriesInstanceUid == first.SeriesInstanceUid),
                records.Where(r => r.PatientId == first.PatientId).Select(r => r.StudyInstanceUid).Distinct(StringComparer.Ordinal).Count());
        }
    }

    public static async IAsyncEnumerable<QueryMatch> EvaluateAsync(DicomQuery query, IReadOnlyCollection<InstanceRecord> records, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var match in Evaluate(query, records))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return match;
        }
        await Task.CompletedTask;
    }

    /// <summary>The identity of the entity a record belongs to at a level (PATIENT: Patient ID).</summary>
    public static string LevelKey(QueryLevel level, InstanceRecord r) => level switch
    {
        QueryLevel.Patient => r.PatientId,
        QueryLevel.Study => r.StudyInstanceUid,
        QueryLevel.Series => r.SeriesInstanceUid,
        _ => r.SopInstanceUid,
    };
}
