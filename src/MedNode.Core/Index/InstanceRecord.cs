using MedNode.Core.Storage;
using MedNode.Dicom;

namespace MedNode.Core.Index;

/// <summary>
/// What the index keeps of one instance: the attributes that C-FIND and QIDO-RS match and return at the patient, study,
/// series and instance levels (PS3.4 C.6, PS3.18 Tables 10.6.3-3 to -5), plus where and how it is stored.
/// </summary>
public sealed record InstanceRecord
{
    public required string SopInstanceUid { get; init; }
    public required string SopClassUid { get; init; }
    public required string SeriesInstanceUid { get; init; }
    public required string StudyInstanceUid { get; init; }
    public string PatientId { get; init; } = "";
    public string PatientName { get; init; } = "";
    public string PatientBirthDate { get; init; } = "";
    public string PatientSex { get; init; } = "";
    public string StudyDate { get; init; } = "";
    public string StudyTime { get; init; } = "";
    public string AccessionNumber { get; init; } = "";
    public string StudyId { get; init; } = "";
    public string StudyDescription { get; init; } = "";
    public string ReferringPhysicianName { get; init; } = "";
    public string Modality { get; init; } = "";
    public string SeriesNumber { get; init; } = "";
    public string SeriesDescription { get; init; } = "";
    public string BodyPartExamined { get; init; } = "";
    public string InstanceNumber { get; init; } = "";
    public int? Rows { get; init; }
    public int? Columns { get; init; }
    public int? NumberOfFrames { get; init; }
    public string SpecificCharacterSet { get; init; } = "";
    public required string TransferSyntaxUid { get; init; }
    public required string BlobKey { get; init; }
    public long Size { get; init; }
    public string Sha256 { get; init; } = "";
    public string? CallingAeTitle { get; init; }
    public string? Channel { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Takes the indexed attributes from a data set (strings decoded with its character set).</summary>
    public static InstanceRecord FromDataset(DicomDataset ds, string transferSyntaxUid, BlobInfo blob, IngestMeta meta) => new()
    {
        SopInstanceUid = ds.GetString(DicomTags.SOPInstanceUID) ?? "",
        SopClassUid = ds.GetString(DicomTags.SOPClassUID) ?? "",
        SeriesInstanceUid = ds.GetString(DicomTags.SeriesInstanceUID) ?? "",
        StudyInstanceUid = ds.GetString(DicomTags.StudyInstanceUID) ?? "",
        PatientId = ds.GetString(DicomTags.PatientID) ?? "",
        PatientName = ds.GetRawString(DicomTags.PatientName) ?? "",
        PatientBirthDate = ds.GetString(DicomTags.PatientBirthDate) ?? "",
        PatientSex = ds.GetString(DicomTags.PatientSex) ?? "",
        StudyDate = ds.GetString(DicomTags.StudyDate) ?? "",
        StudyTime = ds.GetString(DicomTags.StudyTime) ?? "",
        AccessionNumber = ds.GetString(DicomTags.AccessionNumber) ?? "",
        StudyId = ds.GetString(DicomTags.StudyID) ?? "",
        StudyDescription = ds.GetString(DicomTags.StudyDescription) ?? "",
        ReferringPhysicianName = ds.GetRawString(DicomTags.ReferringPhysicianName) ?? "",
        Modality = ds.GetString(DicomTags.Modality) ?? "",
        SeriesNumber = ds.GetString(DicomTags.SeriesNumber) ?? "",
        SeriesDescription = ds.GetString(DicomTags.SeriesDescription) ?? "",
        BodyPartExamined = ds.GetString(DicomTags.BodyPartExamined) ?? "",
        InstanceNumber = ds.GetString(DicomTags.InstanceNumber) ?? "",
        Rows = ds.GetInt(DicomTags.Rows),
        Columns = ds.GetInt(DicomTags.Columns),
        NumberOfFrames = ds.GetInt(DicomTags.NumberOfFrames),
        SpecificCharacterSet = ds.GetRawString(DicomTags.SpecificCharacterSet) ?? "",
        TransferSyntaxUid = transferSyntaxUid,
        BlobKey = blob.Key,
        Size = blob.Size,
        Sha256 = blob.Sha256,
        CallingAeTitle = meta.CallingAeTitle,
        Channel = meta.Channel,
        ReceivedAt = meta.ReceivedAt,
    };
}

/// <summary>Provenance recorded with an indexed instance.</summary>
public sealed record IngestMeta(string Channel, string? CallingAeTitle, DateTimeOffset ReceivedAt);
