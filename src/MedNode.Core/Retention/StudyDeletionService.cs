using MedNode.Core.Audit;
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
/// unreferenced files, never an index row without its file. With an audit trail, each deletion of a held study is
/// recorded as DICOM Study Deleted (PS3.15 §A.5.3.8, EV 110105, action D) with its SOP classes and instance counts.
/// </summary>
public sealed class StudyDeletionService(IInstanceIndex index, IBlobStore blobs, IAuditTrail? audit = null)
{
    /// <param name="deletedBy">The person or process deleting (PS3.15 §A.5.3.8); null: MedNode's retention on this host.</param>
    public async Task<StudyDeletion> DeleteStudyAsync(string studyInstanceUid, CancellationToken cancellationToken, AuditParticipant? deletedBy = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(studyInstanceUid);
        var held = audit != null ? await index.GetInstancesAsync(studyInstanceUid, null, cancellationToken) : [];
        var keys = await index.DeleteStudyAsync(studyInstanceUid, cancellationToken);
        int deleted = 0;
        foreach (var key in keys)
        {
            if (!blobs.Exists(key)) continue;
            await blobs.DeleteAsync(key, cancellationToken);
            deleted++;
        }
        if (audit != null && held.Count > 0)
        {
            var study = AuditStudy.From(held)[0];
            await audit.AppendAsync(new AuditEvent(AuditEventType.DicomStudyDeleted, AuditAction.D, AuditOutcome.Success,
                [deletedBy ?? new AuditParticipant("mednode retention", Environment.MachineName, true)], study.StudyInstanceUid, study.PatientId,
                $"{keys.Count} instance(s) removed from the index, {deleted} file(s) deleted; {study.Describe()}"), CancellationToken.None);
        }
        return new StudyDeletion(studyInstanceUid, keys.Count, deleted);
    }
}
