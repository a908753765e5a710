using MedNode.Core.Index;
using MedNode.Dicom;

namespace MedNode.Core.Query;

/// <summary>An attribute the index can match on, with the level that owns it and how to read it from an indexed instance.</summary>
public sealed record QueryAttribute(DicomTag Tag, string Keyword, DicomVR VR, QueryLevel Level, Func<InstanceRecord, string> Read)
{
    /// <summary>ModalitiesInStudy (0008,0061) is matched against the study's set of series modalities, not one instance.</summary>
    public bool IsStudyAggregate => Tag == DicomTags.ModalitiesInStudy;
}

/// <summary>The attributes held in the index (those of PS3.4 C.6.1.1/C.6.2.1 and PS3.18 Tables 10.6.3-3 to -5 that we keep).</summary>
public static class QueryAttributes
{
    private static string Num(int? n) => n?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";

    public static readonly IReadOnlyList<QueryAttribute> All =
    [
        new(DicomTags.PatientName, "PatientName", DicomVR.PN, QueryLevel.Patient, r => r.PatientName),
        new(DicomTags.PatientID, "PatientID", DicomVR.LO, QueryLevel.Patient, r => r.PatientId),
        new(DicomTags.PatientBirthDate, "PatientBirthDate", DicomVR.DA, QueryLevel.Patient, r => r.PatientBirthDate),
        new(DicomTags.PatientSex, "PatientSex", DicomVR.CS, QueryLevel.Patient, r => r.PatientSex),
        new(DicomTags.StudyInstanceUID, "StudyInstanceUID", DicomVR.UI, QueryLevel.Study, r => r.StudyInstanceUid),
        new(DicomTags.StudyDate, "StudyDate", DicomVR.DA, QueryLevel.Study, r => r.StudyDate),
        new(DicomTags.StudyTime, "StudyTime", DicomVR.TM, QueryLevel.Study, r => r.StudyTime),
        new(DicomTags.AccessionNumber, "AccessionNumber", DicomVR.SH, QueryLevel.Study, r => r.AccessionNumber),
        new(DicomTags.StudyID, "StudyID", DicomVR.SH, QueryLevel.Study, r => r.StudyId),
        new(DicomTags.StudyDescription, "StudyDescription", DicomVR.LO, QueryLevel.Study, r => r.StudyDescription),
        new(DicomTags.ReferringPhysicianName, "ReferringPhysicianName", DicomVR.PN, QueryLevel.Study, r => r.ReferringPhysicianName),
        new(DicomTags.ModalitiesInStudy, "ModalitiesInStudy", DicomVR.CS, QueryLevel.Study, r => r.Modality),
        new(DicomTags.SeriesInstanceUID, "SeriesInstanceUID", DicomVR.UI, QueryLevel.Series, r => r.SeriesInstanceUid),
        new(DicomTags.Modality, "Modality", DicomVR.CS, QueryLevel.Series, r => r.Modality),
        new(DicomTags.SeriesNumber, "SeriesNumber", DicomVR.IS, QueryLevel.Series, r => r.SeriesNumber),
        new(DicomTags.SeriesDescription, "SeriesDescription", DicomVR.LO, QueryLevel.Series, r => r.SeriesDescription),
        new(DicomTags.BodyPartExamined, "BodyPartExamined", DicomVR.CS, QueryLevel.Series, r => r.BodyPartExamined),
        new(DicomTags.SOPInstanceUID, "SOPInstanceUID", DicomVR.UI, QueryLevel.Image, r => r.SopInstanceUid),
        new(DicomTags.SOPClassUID, "SOPClassUID", DicomVR.UI, QueryLevel.Image, r => r.SopClassUid),
        new(DicomTags.InstanceNumber, "InstanceNumber", DicomVR.IS, QueryLevel.Image, r => r.InstanceNumber),
        new(DicomTags.Rows, "Rows", DicomVR.US, QueryLevel.Image, r => Num(r.Rows)),
        new(DicomTags.Columns, "Columns", DicomVR.US, QueryLevel.Image, r => Num(r.Columns)),
        new(DicomTags.NumberOfFrames, "NumberOfFrames", DicomVR.IS, QueryLevel.Image, r => Num(r.NumberOfFrames)),
    ];

    private static readonly Dictionary<DicomTag, QueryAttribute> ByTag = All.ToDictionary(a => a.Tag);

    public static QueryAttribute? Find(DicomTag tag) => ByTag.GetValueOrDefault(tag);

    /// <summary>Resolves a QIDO-RS attribute ID (PS3.18 §8.3.4.1): a PS3.6 keyword or eight hex digits.</summary>
    public static bool TryResolveTag(string attributeId, out DicomTag tag)
    {
        if (DicomTag.TryParse(attributeId, out tag) && attributeId.Length == 8) return DicomDictionary.Find(tag) != null || tag.IsPrivate;
        if (DicomDictionary.Find(attributeId) is { } entry && entry.Mask == 0xFFFFFFFF)
        {
            tag = entry.Tag;
            return true;
        }
        tag = default;
        return false;
    }
}
