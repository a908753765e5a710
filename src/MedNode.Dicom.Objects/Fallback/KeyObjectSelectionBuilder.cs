using MedNode.Dicom.Objects.Coding;
using MedNode.Dicom.Objects.Common;
using MedNode.Dicom.Objects.Segmentation;
using static MedNode.Dicom.Objects.StructuredReport.ContentItem;

namespace MedNode.Dicom.Objects.Fallback;

/// <summary>
/// Builds a Key Object Selection Document (PS3.3 A.35.4) with TID 2010: title (113000, DCM, "Of Interest"), a
/// Key Object Description ("AI key images" by default) and one IMAGE item per key frame of the source series.
/// </summary>
public sealed class KeyObjectSelectionBuilder(TimeProvider time)
{
    /// <param name="sourceImages">The source series' data sets.</param>
    /// <param name="keyFrameIndices">Indices into the source frames (the order of <see cref="SourceGeometry.Frames"/>).</param>
    public DicomDataset Build(IReadOnlyList<DicomDataset> sourceImages, IReadOnlyList<int> keyFrameIndices, string description = "AI key images", int seriesNumber = 9004)
    {
        var geometry = SourceGeometry.FromImages(sourceImages);
        if (keyFrameIndices.Count == 0) throw new ResultGeometryException("a Key Object Selection needs at least one key image");
        if (keyFrameIndices.Any(i => i < 0 || i >= geometry.Frames.Count)) throw new ResultGeometryException("a key frame is outside the source series");
        var frames = keyFrameIndices.Distinct().Select(i => geometry.Frames[i]).ToList();
        var now = time.GetLocalNow();
        var ko = new DicomDataset();
        DerivedModules.CopyPatientAndStudy(geometry.FirstImage, ko);
        DerivedModules.AddSopCommon(ko, DicomUids.KeyObjectSelectionDocumentStorage, DicomImplementation.NewUid(), now);
        // Key Object Document Series (C.17.6.1).
        ko.AddOrUpdate(DicomTags.Modality, DicomVR.CS, "KO");
        ko.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
        ko.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, DerivedModules.Int(seriesNumber));
        ko.AddOrUpdate(DicomTags.SeriesDescription, DicomVR.LO, description);
        ko.Add(new DicomSequence(DicomTags.ReferencedPerformedProcedureStepSequence));
        DerivedModules.AddEquipment(ko, "MEDNODE-0001");
        // Key Object Document (C.17.6.2).
        ko.AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, "1");
        ko.AddOrUpdate(DicomTags.ContentDate, DicomVR.DA, DerivedModules.Date(now));
        ko.AddOrUpdate(DicomTags.ContentTime, DicomVR.TM, DerivedModules.Time(now));
        var refs = frames.DistinctBy(f => f.SopInstanceUid).Select(f =>
        {
            var d = new DicomDataset();
            d.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, f.SopClassUid);
            d.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, f.SopInstanceUid);
            return d;
        }).ToArray();
        var series = new DicomDataset();
        series.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, geometry.SeriesInstanceUid);
        series.AddOrUpdate(DicomTags.ReferencedSOPSequence, refs);
        var study = new DicomDataset();
        study.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, geometry.FirstImage.GetString(DicomTags.StudyInstanceUID)!);
        study.AddOrUpdate(DicomTags.ReferencedSeriesSequence, series);
        ko.AddOrUpdate(DicomTags.CurrentRequestedProcedureEvidenceSequence, study);
        // SR Document Content (C.17.3), TID 2010.
        ko.AddOrUpdate(DicomTags.ValueType, DicomVR.CS, "CONTAINER");
        ko.AddOrUpdate(DicomTags.ConceptNameCodeSequence, Codes.OfInterest.ToItem());
        ko.AddOrUpdate(DicomTags.ContinuityOfContent, DicomVR.CS, "SEPARATE");
        var template = new DicomDataset();
        template.AddOrUpdate(DicomTags.MappingResource, DicomVR.CS, "DCMR");
        template.AddOrUpdate(DicomTags.TemplateIdentifier, DicomVR.CS, "2010");
        ko.AddOrUpdate(DicomTags.ContentTemplateSequence, template);
        Add(ko, Text(Contains, Codes.KeyObjectDescription, description));
        Add(ko, frames.Select(f => Image(Contains, null, f.SopClassUid, f.SopInstanceUid, f.FrameNumber)).ToArray());
        return ko;
    }
}
