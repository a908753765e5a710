using MedNode.Dicom;

namespace MedNode.Core.Rules;

/// <summary>
/// What a rule is tested against: a completed series, represented by one of its instances' data sets (for the tag
/// conditions), how it arrived, and how many instances it holds.
/// </summary>
public sealed record RuleSubject(DicomDataset Dataset, string? CallingAeTitle, string? CalledAeTitle, int SliceCount)
{
    public string Modality => Dataset.GetString(DicomTags.Modality) ?? "";

    public string BodyPart => Dataset.GetString(DicomTags.BodyPartExamined) ?? "";

    public string SopClassUid => Dataset.GetString(DicomTags.SOPClassUID) ?? "";

    public string SeriesDescription => Dataset.GetString(DicomTags.SeriesDescription) ?? "";
}
