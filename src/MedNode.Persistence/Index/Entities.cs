using MedNode.Core.Index;
using MedNode.Core.Query;

namespace MedNode.Persistence.Index;

/// <summary>
/// One row per instance, denormalised: it holds every attribute that C-FIND and QIDO-RS match at any level, so a query at
/// any level is one filtered scan of one table (no joins to translate per key), grouped by the level's UID. The study and
/// series tables hold only the aggregates and a representative instance, kept current on ingest.
/// </summary>
public sealed class InstanceEntity
{
    public string SopInstanceUid { get; set; } = "";
    public string SopClassUid { get; set; } = "";
    public string SeriesInstanceUid { get; set; } = "";
    public string StudyInstanceUid { get; set; } = "";
    public string PatientId { get; set; } = "";
    public string PatientName { get; set; } = "";
    /// <summary><see cref="QueryMatcher.NormalizePersonName"/> of <see cref="PatientName"/>: PN matching is case-insensitive.</summary>
    public string PatientNameKey { get; set; } = "";
    public string PatientBirthDate { get; set; } = "";
    public string PatientSex { get; set; } = "";
    public string StudyDate { get; set; } = "";
    public string StudyTime { get; set; } = "";
    public string AccessionNumber { get; set; } = "";
    public string StudyId { get; set; } = "";
    public string StudyDescription { get; set; } = "";
    public string ReferringPhysicianName { get; set; } = "";
    public string ReferringPhysicianNameKey { get; set; } = "";
    public string Modality { get; set; } = "";
    public string SeriesNumber { get; set; } = "";
    public string SeriesDescription { get; set; } = "";
    public string BodyPartExamined { get; set; } = "";
    public string InstanceNumber { get; set; } = "";
    public int? Rows { get; set; }
    public int? Columns { get; set; }
    public int? NumberOfFrames { get; set; }
    public string SpecificCharacterSet { get; set; } = "";
    public string TransferSyntaxUid { get; set; } = "";
    public string BlobKey { get; set; } = "";
    public long Size { get; set; }
    public string Sha256 { get; set; } = "";
    public string? CallingAeTitle { get; set; }
    public string? Channel { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    public static InstanceEntity From(InstanceRecord r) => new InstanceEntity().CopyFrom(r);

    public InstanceEntity CopyFrom(InstanceRecord r)
    {
        SopInstanceUid = r.SopInstanceUid; SopClassUid = r.SopClassUid; SeriesInstanceUid = r.SeriesInstanceUid;
        StudyInstanceUid = r.StudyInstanceUid; PatientId = r.PatientId; PatientName = r.PatientName;
        PatientNameKey = QueryMatcher.NormalizePersonName(r.PatientName); PatientBirthDate = r.PatientBirthDate;
        PatientSex = r.PatientSex; StudyDate = r.StudyDate; StudyTime = r.StudyTime; AccessionNumber = r.AccessionNumber;
        StudyId = r.StudyId; StudyDescription = r.StudyDescription; ReferringPhysicianName = r.ReferringPhysicianName;
        ReferringPhysicianNameKey = QueryMatcher.NormalizePersonName(r.ReferringPhysicianName); Modality = r.Modality;
        SeriesNumber = r.SeriesNumber; SeriesDescription = r.SeriesDescription; BodyPartExamined = r.BodyPartExamined;
        InstanceNumber = r.InstanceNumber; Rows = r.Rows; Columns = r.Columns; NumberOfFrames = r.NumberOfFrames;
        SpecificCharacterSet = r.SpecificCharacterSet; TransferSyntaxUid = r.TransferSyntaxUid; BlobKey = r.BlobKey;
        Size = r.Size; Sha256 = r.Sha256; CallingAeTitle = r.CallingAeTitle; Channel = r.Channel;
        ReceivedAt = r.ReceivedAt.ToUniversalTime(); // Npgsql writes timestamptz only from UTC (offset 0).
        return this;
    }

    public InstanceRecord ToRecord() => new()
    {
        SopInstanceUid = SopInstanceUid, SopClassUid = SopClassUid, SeriesInstanceUid = SeriesInstanceUid,
        StudyInstanceUid = StudyInstanceUid, PatientId = PatientId, PatientName = PatientName,
        PatientBirthDate = PatientBirthDate, PatientSex = PatientSex, StudyDate = StudyDate, StudyTime = StudyTime,
        AccessionNumber = AccessionNumber, StudyId = StudyId, StudyDescription = StudyDescription,
        ReferringPhysicianName = ReferringPhysicianName, Modality = Modality, SeriesNumber = SeriesNumber,
        SeriesDescription = SeriesDescription, BodyPartExamined = BodyPartExamined, InstanceNumber = InstanceNumber,
        Rows = Rows, Columns = Columns, NumberOfFrames = NumberOfFrames, SpecificCharacterSet = SpecificCharacterSet,
        TransferSyntaxUid = TransferSyntaxUid, BlobKey = BlobKey, Size = Size, Sha256 = Sha256,
        CallingAeTitle = CallingAeTitle, Channel = Channel, ReceivedAt = ReceivedAt,
    };
}

/// <summary>Study aggregates (PS3.4 C.6.1.1.4): numbers of related series and instances, modalities in study.</summary>
public sealed class StudyEntity
{
    public string StudyInstanceUid { get; set; } = "";
    public string PatientId { get; set; } = "";
    public int NumberOfStudyRelatedSeries { get; set; }
    public int NumberOfStudyRelatedInstances { get; set; }
    /// <summary>Distinct modalities, each enclosed in backslashes (<c>\CT\SEG\</c>), so that one LIKE finds one modality.</summary>
    public string ModalitiesInStudy { get; set; } = "";
}

/// <summary>Series aggregates (PS3.4 C.6.1.1.5): number of series related instances.</summary>
public sealed class SeriesEntity
{
    public string SeriesInstanceUid { get; set; } = "";
    public string StudyInstanceUid { get; set; } = "";
    public int NumberOfSeriesRelatedInstances { get; set; }
}
