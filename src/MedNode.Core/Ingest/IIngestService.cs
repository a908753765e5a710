using MedNode.Dicom;

namespace MedNode.Core.Ingest;

/// <summary>
/// The one path by which instances enter MedNode: C-STORE, STOW-RS and uploads all hand a spooled Part 10 file here.
/// The result is returned only after the instance is durable (fsync, rename, fsync of the folder) and indexed.
/// </summary>
public interface IIngestService
{
    Task<IngestResult> IngestAsync(IngestRequest request, CancellationToken cancellationToken);
}

/// <summary>Where an instance came from (for the index and the audit trail).</summary>
/// <param name="Channel">"DIMSE", "STOW-RS" or "UPLOAD".</param>
/// <param name="AssociationId">DIMSE: the association the instance came on (completion on association release).</param>
public sealed record IngestSource(string Channel, string? CallingAeTitle = null, string? CalledAeTitle = null, string? RemoteHost = null, string? User = null, string? AssociationId = null);

/// <summary>A spooled instance: a complete Part 10 file in the store's temporary folder (the service moves or deletes it).</summary>
/// <param name="TempFilePath">The spooled file; on the same file system as the store so that it can be renamed into place.</param>
/// <param name="ExpectedSopClassUid">From the C-STORE command: must match the data set's SOP Class UID, when given.</param>
/// <param name="ExpectedSopInstanceUid">From the C-STORE command: must match the data set's SOP Instance UID, when given.</param>
/// <param name="Parsed">The spooled file as the caller already parsed it, up to its pixel data
/// (<see cref="MedNode.Dicom.IO.DicomReadOptions.StopAtPixelData"/>), so that the service does not read it a second time;
/// null when the caller has not.</param>
public sealed record IngestRequest(string TempFilePath, IngestSource Source, string? ExpectedSopClassUid = null, string? ExpectedSopInstanceUid = null, DicomFile? Parsed = null);

public enum IngestOutcome { Stored, Duplicate, Failed }

/// <summary>The outcome, with the DIMSE status (PS3.4 Annex B.2.3) that C-STORE returns and the STOW-RS failure reason.</summary>
/// <param name="DimseStatus">0x0000 success, warnings for duplicates (see <see cref="IngestStatus"/>), 0xA700 out of resources, 0xA900 data set/SOP class mismatch, 0xC000 cannot understand.</param>
public sealed record IngestResult(IngestOutcome Outcome, ushort DimseStatus, string? SopClassUid, string? SopInstanceUid, string? StudyInstanceUid, string? Reason = null)
{
    public bool IsSuccess => Outcome != IngestOutcome.Failed;
}

/// <summary>What to do when an instance with a SOP Instance UID already held arrives again (configurable).</summary>
public enum DuplicatePolicy
{
    /// <summary>Keep the stored instance; answer with a warning.</summary>
    KeepFirst,
    /// <summary>Replace the stored instance; answer with a warning.</summary>
    Overwrite,
    /// <summary>Refuse the new one with a failure status.</summary>
    Reject,
}
