using MedNode.Core.Index;
using MedNode.Dicom;

namespace MedNode.Core.Query;

/// <summary>
/// Runs a <see cref="DicomQuery"/> against the index: C-FIND and QIDO-RS both come here. Results stream
/// (STYLE.md Habits 4), ordered by the level's UID, after <see cref="DicomQuery.Offset"/> and at most
/// <see cref="DicomQuery.Limit"/> of them.
/// </summary>
public interface IQueryIndex
{
    IAsyncEnumerable<QueryMatch> QueryAsync(DicomQuery query, CancellationToken cancellationToken);
}

/// <summary>
/// One matching entity: a representative instance (for the attributes of its level and above) and the aggregates of
/// PS3.4 C.6.1.1.4 / C.6.2.1.2 (numbers of related series and instances, modalities in study).
/// </summary>
public sealed record QueryMatch(
    QueryLevel Level,
    InstanceRecord Representative,
    IReadOnlyList<string> ModalitiesInStudy,
    int NumberOfStudyRelatedSeries,
    int NumberOfStudyRelatedInstances,
    int NumberOfSeriesRelatedInstances,
    int NumberOfPatientRelatedStudies)
{
    /// <summary>The sequences returned for the query's sequence keys (PS3.4 C.2.2.2.6), set by <see cref="SequenceMatchingQueryIndex"/>.</summary>
    public DicomDataset? Sequences { get; init; }
}
