using MedNode.Dicom.Objects.Coding;
using MedNode.Dicom.Objects.Common;
using MedNode.Dicom.Objects.Segmentation;
using static MedNode.Dicom.Objects.StructuredReport.ContentItem;

namespace MedNode.Dicom.Objects.StructuredReport;

/// <summary>
/// Builds a Comprehensive 3D SR (PS3.3 A.35.13) carrying TID 1500 "Measurement Report" (PS3.16): language (TID 1204),
/// a device observer (TID 1002/1004), procedure reported, an image library (TID 1600), and per lesion one TID 1411
/// volumetric group (referenced segment, source series, TID 1419 measurements with TID 4019 algorithm identification),
/// one TID 1410 planar group on the key slice whose ROI is the lesion's Referenced Segmentation Frame and whose RECIST
/// long and short axes are SCOORD POLYLINEs selected from that image, and one TID 1410 group whose Image Region is the
/// bounding box on that image.
/// </summary>
/// <remarks>
/// The box has its own group and Tracking UID (Tracking Identifier: the lesion's, followed by
/// <see cref="BoundingBoxSuffix"/>): OHIF 3.13.2 merges the groups of one Tracking UID and, when any of them has a top-level
/// SCOORD, draws only that SCOORD; without one it draws the SCOORDs the NUMs are inferred from, i.e. the RECIST axes.
/// </remarks>
public sealed class MeasurementReportBuilder(TimeProvider time)
{
    /// <summary>Appended to a lesion's Tracking Identifier to name the TID 1410 group of its bounding box.</summary>
    public const string BoundingBoxSuffix = " bounding box";

    public DicomDataset Build(MeasurementReportInput input)
    {
        var geometry = SourceGeometry.FromImages(input.SourceImages);
        var seg = input.Segmentation;
        if (seg.GetString(DicomTags.FrameOfReferenceUID) != geometry.FrameOfReferenceUid)
            throw new ResultGeometryException("the SEG is not in the source series' frame of reference");
        int segments = seg.GetSequence(DicomTags.SegmentSequence).Count;
        foreach (var l in input.Lesions)
        {
            if (l.SegmentNumber < 1 || l.SegmentNumber > segments) throw new ResultGeometryException($"lesion {l.TrackingId} references segment {l.SegmentNumber}, which the SEG does not have");
            if (l.Recist is { } r && (r.KeyFrameIndex < 0 || r.KeyFrameIndex >= geometry.Frames.Count))
                throw new ResultGeometryException($"lesion {l.TrackingId}: key frame {r.KeyFrameIndex} is outside the source series");
            if (l.BoundingBox is { } b && (b.MinColumn < 0 || b.MinRow < 0 || b.MaxColumn >= geometry.Columns || b.MaxRow >= geometry.Rows || b.MinColumn > b.MaxColumn || b.MinRow > b.MaxRow))
                throw new ResultGeometryException($"lesion {l.TrackingId}: the bounding box is out of bounds");
        }
        var now = time.GetLocalNow();
        var sr = new DicomDataset();
        DerivedModules.CopyPatientAndStudy(geometry.FirstImage, sr);
        DerivedModules.AddSopCommon(sr, DicomUids.Comprehensive3DSRStorage, DicomImplementation.NewUid(), now);
        // SR Document Series (C.17.1).
        sr.AddOrUpdate(DicomTags.Modality, DicomVR.CS, "SR");
        sr.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
        sr.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, DerivedModules.Int(input.SeriesNumber));
        sr.AddOrUpdate(DicomTags.SeriesDescription, DicomVR.LO, input.SeriesDescription);
        sr.Add(new DicomSequence(DicomTags.ReferencedPerformedProcedureStepSequence));
        DerivedModules.AddEquipment(sr, input.DeviceSerialNumber);
        // SR Document General (C.17.2).
        sr.AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, DerivedModules.Int(input.InstanceNumber));
        sr.AddOrUpdate(DicomTags.CompletionFlag, DicomVR.CS, "COMPLETE");
        sr.AddOrUpdate(DicomTags.VerificationFlag, DicomVR.CS, "UNVERIFIED");
        sr.AddOrUpdate(DicomTags.ContentDate, DicomVR.DA, DerivedModules.Date(now));
        sr.AddOrUpdate(DicomTags.ContentTime, DicomVR.TM, DerivedModules.Time(now));
        sr.Add(new DicomSequence(DicomTags.PerformedProcedureCodeSequence));
        sr.AddOrUpdate(DicomTags.CurrentRequestedProcedureEvidenceSequence, Evidence(geometry, seg));
        if (input.PredecessorDocuments.Count > 0) sr.AddOrUpdate(DicomTags.PredecessorDocumentsSequence, Predecessors(input.PredecessorDocuments));

        // SR Document Content (C.17.3): the root container of TID 1500.
        sr.AddOrUpdate(DicomTags.ValueType, DicomVR.CS, "CONTAINER");
        sr.AddOrUpdate(DicomTags.ConceptNameCodeSequence, Codes.ImagingMeasurementReport.ToItem());
        sr.AddOrUpdate(DicomTags.ContinuityOfContent, DicomVR.CS, "SEPARATE");
        var template = new DicomDataset();
        template.AddOrUpdate(DicomTags.MappingResource, DicomVR.CS, "DCMR");
        template.AddOrUpdate(DicomTags.TemplateIdentifier, DicomVR.CS, "1500");
        sr.AddOrUpdate(DicomTags.ContentTemplateSequence, template);

        var measurements = Container(Contains, Codes.ImagingMeasurements);
        foreach (var lesion in input.Lesions)
        {
            Add(measurements, Volumetric(lesion, input, geometry, seg));
            if (lesion.Recist != null) Add(measurements, Planar(lesion, geometry, seg));
            if (lesion.Recist != null && lesion.BoundingBox != null) Add(measurements, Box(lesion, geometry));
        }
        Add(sr,
            Code(HasConceptMod, Codes.LanguageOfContentItemAndDescendants, Codes.EnglishUnitedStates),
            Code(HasObsContext, Codes.ObserverType, Codes.Device),
            UidRef(HasObsContext, Codes.DeviceObserverUid, input.DeviceObserverUid),
            Text(HasObsContext, Codes.DeviceObserverName, input.DeviceObserverName),
            Text(HasObsContext, Codes.DeviceObserverManufacturer, DerivedModules.Manufacturer),
            Text(HasObsContext, Codes.DeviceObserverModelName, "MedNode " + DicomImplementation.ProductVersion),
            Code(HasConceptMod, Codes.ProcedureReported, input.ProcedureReported),
            Container(Contains, Codes.ImageLibrary, Container(Contains, Codes.ImageLibraryGroup,
                geometry.Frames.DistinctBy(f => f.SopInstanceUid).Select(f => Image(Contains, null, f.SopClassUid, f.SopInstanceUid)).ToArray())),
            measurements);
        return sr;
    }

    private static DicomDataset Volumetric(LesionReport l, MeasurementReportInput input, SourceGeometry geometry, DicomDataset seg)
    {
        DicomDataset Measure(CodedConcept name, double value, CodedConcept unit) => Num(Contains, name, value, unit,
            Text(HasConceptMod, Codes.AlgorithmName, input.AlgorithmName), Text(HasConceptMod, Codes.AlgorithmVersion, input.AlgorithmVersion));

        List<DicomDataset> volumes = [Measure(Codes.Volume, l.VolumeMm3, Codes.CubicMillimeter)];
        if (l.VolumeOfMeshMm3 is { } mesh) volumes.Add(Measure(Codes.VolumeOfMesh, mesh, Codes.CubicMillimeter));
        if (l.VolumeFromVoxelSummationMm3 is { } voxels) volumes.Add(Measure(Codes.VolumeFromVoxelSummation, voxels, Codes.CubicMillimeter));
        var group = Container(Contains, Codes.MeasurementGroup,
        [
            Text(HasObsContext, Codes.TrackingIdentifier, l.TrackingId),
            UidRef(HasObsContext, Codes.TrackingUniqueIdentifier, l.TrackingUid),
            Code(Contains, Codes.Finding, l.Finding),
            Image(Contains, Codes.ReferencedSegment, seg.GetString(DicomTags.SOPClassUID)!, seg.GetString(DicomTags.SOPInstanceUID)!, segmentNumber: l.SegmentNumber),
            UidRef(Contains, Codes.SourceSeriesForSegmentation, geometry.SeriesInstanceUid),
            .. volumes,
            Measure(Codes.SurfaceAreaOfMesh, l.SurfaceAreaMm2, Codes.SquareMillimeter),
            Measure(Codes.Sphericity, l.Sphericity, Codes.NoUnits),
            Measure(Codes.Maximum3DDiameterOfAMesh, l.Maximum3DDiameterMm, Codes.Millimeter),
            Measure(Codes.Elongation, l.Elongation, Codes.NoUnits),
            Measure(Codes.Flatness, l.Flatness, Codes.NoUnits),
        ]);
        AddTemplate(group, "1411");
        return group;
    }

    private static DicomDataset KeyImage(SourceFrame frame) => Image(SelectedFrom, null, frame.SopClassUid, frame.SopInstanceUid, frame.FrameNumber);

    /// <summary>TID 1410 on the key slice: the ROI is the SEG frame of the lesion's segment there; the RECIST axes are NUMs
    /// INFERRED FROM two-point SCOORD POLYLINEs.</summary>
    private static DicomDataset Planar(LesionReport l, SourceGeometry geometry, DicomDataset seg)
    {
        var r = l.Recist!;
        var frame = geometry.Frames[r.KeyFrameIndex];
        double[] Line(PatientPoint a, PatientPoint b)
        {
            var (c1, r1) = geometry.ToPixel(frame, [a.X, a.Y, a.Z]);
            var (c2, r2) = geometry.ToPixel(frame, [b.X, b.Y, b.Z]);
            // Pixel centres lie at +0.5 in SCOORD image coordinates (PS3.3 C.18.6.1.1).
            return [c1 + 0.5, r1 + 0.5, c2 + 0.5, r2 + 0.5];
        }
        int segFrame = SegmentationFrame(seg, l.SegmentNumber, frame)
            ?? throw new ResultGeometryException($"lesion {l.TrackingId}: the SEG has no frame of segment {l.SegmentNumber} on the key frame");
        var group = Container(Contains, Codes.MeasurementGroup,
            Text(HasObsContext, Codes.TrackingIdentifier, l.TrackingId),
            UidRef(HasObsContext, Codes.TrackingUniqueIdentifier, l.TrackingUid),
            Code(Contains, Codes.Finding, l.Finding),
            // The frame implies the segment: Referenced Segment Number shall not be present with a Referenced Frame Number (PS3.3 Table 10-3).
            Image(Contains, Codes.ReferencedSegmentationFrame, seg.GetString(DicomTags.SOPClassUID)!, seg.GetString(DicomTags.SOPInstanceUID)!, segFrame),
            Image(Contains, Codes.SourceImageForSegmentation, frame.SopClassUid, frame.SopInstanceUid, frame.FrameNumber),
            Num(Contains, Codes.LongAxis, r.LongAxisMm, Codes.Millimeter, Scoord(InferredFrom, null, "POLYLINE", Line(r.LongAxisFrom, r.LongAxisTo), KeyImage(frame))),
            Num(Contains, Codes.ShortAxis, r.ShortAxisMm, Codes.Millimeter, Scoord(InferredFrom, null, "POLYLINE", Line(r.ShortAxisFrom, r.ShortAxisTo), KeyImage(frame))));
        AddTemplate(group, "1410");
        return group;
    }

    /// <summary>TID 1410 with the bounding box on the key slice as a closed POLYLINE Image Region, under its own Tracking UID.</summary>
    private static DicomDataset Box(LesionReport l, SourceGeometry geometry)
    {
        var frame = geometry.Frames[l.Recist!.KeyFrameIndex];
        var b = l.BoundingBox!.Value;
        double x0 = b.MinColumn, y0 = b.MinRow, x1 = b.MaxColumn + 1, y1 = b.MaxRow + 1;
        var group = Container(Contains, Codes.MeasurementGroup,
            Text(HasObsContext, Codes.TrackingIdentifier, l.TrackingId + BoundingBoxSuffix),
            UidRef(HasObsContext, Codes.TrackingUniqueIdentifier, DicomImplementation.NewUid()),
            Code(Contains, Codes.Finding, l.Finding),
            Scoord(Contains, Codes.ImageRegion, "POLYLINE", [x0, y0, x1, y0, x1, y1, x0, y1, x0, y0], KeyImage(frame)));
        AddTemplate(group, "1410");
        return group;
    }

    /// <summary>The number of the SEG frame (PS3.3 C.8.20.3) of segment <paramref name="segment"/> derived from
    /// <paramref name="source"/>: Segment Identification and Derivation Image in its per-frame functional groups.</summary>
    private static int? SegmentationFrame(DicomDataset seg, int segment, SourceFrame source)
    {
        var frames = seg.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence);
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            if (f.GetSequence(DicomTags.SegmentIdentificationSequence).FirstOrDefault()?.GetInt(DicomTags.ReferencedSegmentNumber) != segment) continue;
            var image = f.GetSequence(DicomTags.DerivationImageSequence).FirstOrDefault()?.GetSequence(DicomTags.SourceImageSequence).FirstOrDefault();
            if (image?.GetString(DicomTags.ReferencedSOPInstanceUID) == source.SopInstanceUid && (image.GetInt(DicomTags.ReferencedFrameNumber) ?? 0) == source.FrameNumber)
                return i + 1;
        }
        return null;
    }

    private static void AddTemplate(DicomDataset item, string id)
    {
        var t = new DicomDataset();
        t.AddOrUpdate(DicomTags.MappingResource, DicomVR.CS, "DCMR");
        t.AddOrUpdate(DicomTags.TemplateIdentifier, DicomVR.CS, id);
        item.AddOrUpdate(DicomTags.ContentTemplateSequence, t);
    }

    /// <summary>Hierarchical SOP Instance Reference Macro (PS3.3 Table C.17-3): the source images and the SEG.</summary>
    /// <summary>
    /// Predecessor Documents Sequence (0040,A360, PS3.3 C.17.2): one item per study, each in the Hierarchical SOP Instance
    /// Reference Macro (Table C.17-3): Study Instance UID, Referenced Series Sequence, Referenced SOP Sequence.
    /// </summary>
    private static DicomDataset[] Predecessors(IReadOnlyList<SrDocumentReference> documents) =>
        documents.GroupBy(d => d.StudyInstanceUid, StringComparer.Ordinal).Select(study =>
        {
            var item = new DicomDataset();
            item.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, study.Key);
            item.AddOrUpdate(DicomTags.ReferencedSeriesSequence, study.GroupBy(d => d.SeriesInstanceUid, StringComparer.Ordinal).Select(series =>
            {
                var s = new DicomDataset();
                s.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, series.Key);
                s.AddOrUpdate(DicomTags.ReferencedSOPSequence, series.DistinctBy(d => d.SopInstanceUid, StringComparer.Ordinal).Select(d =>
                {
                    var sop = new DicomDataset();
                    sop.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, d.SopClassUid);
                    sop.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, d.SopInstanceUid);
                    return sop;
                }).ToArray());
                return s;
            }).ToArray());
            return item;
        }).ToArray();

    private static DicomDataset Evidence(SourceGeometry geometry, DicomDataset seg)
    {
        static DicomDataset Sop(string cls, string inst)
        {
            var d = new DicomDataset();
            d.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, cls);
            d.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, inst);
            return d;
        }
        var source = new DicomDataset();
        source.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, geometry.SeriesInstanceUid);
        source.AddOrUpdate(DicomTags.ReferencedSOPSequence, geometry.Frames.DistinctBy(f => f.SopInstanceUid).Select(f => Sop(f.SopClassUid, f.SopInstanceUid)).ToArray());
        var segSeries = new DicomDataset();
        segSeries.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, seg.GetString(DicomTags.SeriesInstanceUID)!);
        segSeries.AddOrUpdate(DicomTags.ReferencedSOPSequence, Sop(seg.GetString(DicomTags.SOPClassUID)!, seg.GetString(DicomTags.SOPInstanceUID)!));
        var study = new DicomDataset();
        study.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, geometry.FirstImage.GetString(DicomTags.StudyInstanceUID)!);
        study.AddOrUpdate(DicomTags.ReferencedSeriesSequence, source, segSeries);
        return study;
    }
}
