using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;

namespace MedNode.Core.StorageCommitment;

/// <summary>
/// The Storage Commitment SCP's check (PS3.4 J.3.2): an instance is committed when the index holds it under the
/// referenced SOP Class and its blob is present. Failure Reasons (PS3.4 J.3.3.1.1): 0112H when it is not held (or
/// its blob is gone), 0119H when it is held under another SOP Class.
/// </summary>
/// <remarks>The SHA-256 of the blob is not recomputed here: that is a read of every file, which a scrub job does.</remarks>
public sealed class StorageCommitmentService(IInstanceIndex index, IBlobStore store) : IStorageCommitmentScpHandler
{
    public async Task<StorageCommitmentResult> CommitAsync(StorageCommitmentRequest request, CancellationToken cancellationToken)
    {
        var committed = new List<StorageCommitmentReference>();
        var failed = new List<StorageCommitmentFailure>();
        foreach (var r in request.Instances)
        {
            var record = await index.FindInstanceAsync(r.SopInstanceUid, cancellationToken);
            if (record == null || !store.Exists(record.BlobKey))
                failed.Add(new StorageCommitmentFailure(r.SopClassUid, r.SopInstanceUid, Dicom.Network.Dimse.StorageCommitment.NoSuchObjectInstance));
            else if (!string.Equals(record.SopClassUid, r.SopClassUid, StringComparison.Ordinal))
                failed.Add(new StorageCommitmentFailure(r.SopClassUid, r.SopInstanceUid, Dicom.Network.Dimse.StorageCommitment.ClassInstanceConflict));
            else committed.Add(r);
        }
        return new StorageCommitmentResult(request.TransactionUid, committed, failed);
    }
}
