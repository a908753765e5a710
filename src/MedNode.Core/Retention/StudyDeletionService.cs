using MedNode.Core.Index;
using MedNode.Core.Storage;

namespace MedNode.Core.Retention;

/// <summary>What deleting a study removed.</summary>
/// <param name="Instances">Index rows removed (0: the study was not held).</param>
/// <param name="BlobsDeleted">Instance files removed from the blob store.</param>
public sealed record StudyDeletion(string StudyInstanceUid, int Instances, int BlobsDeleted);

/// <summary>
/// Retention: removes a whole study, index first, then its files. The index rows (and the study and series aggregates)
/// go in one step, so queries stop matching the study before any file is missing; a crash between the two leaves
/// unreferenced files, never an index row without its file.
/// </summary>
public sealed class StudyDeletionService(IInstanceIndex index, IBlobStore blobs)
{
    public async Task<StudyDeletion> DeleteStudyAsync(string studyInstanceUid, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(studyInstanceUid);
        var keys = await index.DeleteStudyAsync(studyInstanceUid, cancellationToken);
        int deleted = 0;
        foreach (var key in keys)
        {
            if (!blobs.Exists(key)) continue;
            await blobs.DeleteAsync(key, cancellationToken);
            deleted++;
        }
        return new StudyDeletion(studyInstanceUid, keys.Count, deleted);
    }
}
