using MedNode.Dicom.Objects.Coding;
using MedNode.Dicom.Objects.Segmentation;

namespace MedNode.Dicom.Objects.StructuredReport;

/// <summary>
/// Reads the lesions back from a TID 1500 Measurement Report: TID 1411 volumetric groups (the numbers and the referenced
/// segment) and TID 1410 planar groups (RECIST axes), joined by Tracking UID, and the TID 1410 bounding-box groups, joined to
/// their lesion by Tracking Identifier (the lesion's followed by <see cref="MeasurementReportBuilder.BoundingBoxSuffix"/>).
/// An Image Region in a lesion's own group is read as its bounding box too. SCOORD image coordinates are mapped back to
/// patient coordinates through the referenced source image.
/// </summary>
public static class MeasurementReportReader
{
    public static IReadOnlyList<LesionReport> Read(DicomDataset sr, IReadOnlyList<DicomDataset> sourceImages)
    {
        if (!Codes.ImagingMeasurementReport.Matches(CodedConcept.FromSequence(sr, DicomTags.ConceptNameCodeSequence)))
            throw new DicomValueException("not a TID 1500 Imaging Measurement Report");
        var geometry = SourceGeometry.FromImages(sourceImages);
        var lesions = new Dictionary<string, LesionReport>(StringComparer.Ordinal);
        var order = new List<string>();
        var measurements = Children(sr).FirstOrDefault(c => Is(c, Codes.ImagingMeasurements)) ?? throw new DicomValueException("the report has no Imaging Measurements container");
        var groups = Children(measurements).Where(c => Is(c, Codes.MeasurementGroup)).ToList();
        var boxes = groups.Where(IsBoxGroup).ToList();
        foreach (var group in groups.Except(boxes))
        {
            var items = Children(group);
            var uid = items.FirstOrDefault(c => Is(c, Codes.TrackingUniqueIdentifier))?.GetString(DicomTags.UID) ?? throw new DicomValueException("a measurement group has no Tracking UID");
            if (!lesions.TryGetValue(uid, out var lesion))
            {
                order.Add(uid);
                lesion = new LesionReport
                {
                    TrackingUid = uid,
                    TrackingId = TrackingIdentifier(items),
                    SegmentNumber = 0, VolumeMm3 = double.NaN, SurfaceAreaMm2 = double.NaN, Sphericity = double.NaN,
                    Maximum3DDiameterMm = double.NaN, Elongation = double.NaN, Flatness = double.NaN,
                };
            }
            if (items.FirstOrDefault(c => Is(c, Codes.Finding)) is { } finding && CodedConcept.FromSequence(finding, DicomTags.ConceptCodeSequence) is { } f)
                lesion = lesion with { Finding = f };
            if (items.FirstOrDefault(c => Is(c, Codes.ReferencedSegment)) is { } segment)
                lesion = lesion with { SegmentNumber = segment.GetSequence(DicomTags.ReferencedSOPSequence).FirstOrDefault()?.GetInt(DicomTags.ReferencedSegmentNumber) ?? 0 };
            double? Value(CodedConcept name) => items.FirstOrDefault(c => Is(c, name)) is { } n ? NumValue(n) : null;
            lesion = lesion with
            {
                VolumeMm3 = Value(Codes.Volume) ?? lesion.VolumeMm3,
                VolumeOfMeshMm3 = Value(Codes.VolumeOfMesh) ?? lesion.VolumeOfMeshMm3,
                VolumeFromVoxelSummationMm3 = Value(Codes.VolumeFromVoxelSummation) ?? lesion.VolumeFromVoxelSummationMm3,
                SurfaceAreaMm2 = Value(Codes.SurfaceAreaOfMesh) ?? lesion.SurfaceAreaMm2,
                Sphericity = Value(Codes.Sphericity) ?? lesion.Sphericity,
                Maximum3DDiameterMm = Value(Codes.Maximum3DDiameterOfAMesh) ?? lesion.Maximum3DDiameterMm,
                Elongation = Value(Codes.Elongation) ?? lesion.Elongation,
                Flatness = Value(Codes.Flatness) ?? lesion.Flatness,
            };
            var longAxis = items.FirstOrDefault(c => Is(c, Codes.LongAxis));
            var shortAxis = items.FirstOrDefault(c => Is(c, Codes.ShortAxis));
            if (longAxis != null && shortAxis != null)
            {
                var (frame, lf, lt) = Line(longAxis, geometry);
                var (_, sf, st) = Line(shortAxis, geometry);
                lesion = lesion with { Recist = new RecistAxes(frame, NumValue(longAxis), lf, lt, NumValue(shortAxis), sf, st) };
            }
            if (Box(items) is { } box) lesion = lesion with { BoundingBox = box };
            lesions[uid] = lesion;
        }
        foreach (var group in boxes)
        {
            var id = TrackingIdentifier(Children(group));
            var owner = order.FirstOrDefault(u => lesions[u].TrackingId + MeasurementReportBuilder.BoundingBoxSuffix == id);
            if (owner != null) lesions[owner] = lesions[owner] with { BoundingBox = Box(Children(group)) };
        }
        return order.Select(u => lesions[u]).ToList();
    }

    /// <summary>A group of only an Image Region (no NUM, no referenced segment) named as a lesion's bounding box.</summary>
    private static bool IsBoxGroup(DicomDataset group)
    {
        var items = Children(group);
        return TrackingIdentifier(items).EndsWith(MeasurementReportBuilder.BoundingBoxSuffix, StringComparison.Ordinal)
            && items.Any(c => Is(c, Codes.ImageRegion)) && !items.Any(c => c.GetString(DicomTags.ValueType) == "NUM" || Is(c, Codes.ReferencedSegment));
    }

    private static string TrackingIdentifier(IReadOnlyList<DicomDataset> items) =>
        items.FirstOrDefault(c => Is(c, Codes.TrackingIdentifier))?.GetString(DicomTags.TextValue) ?? "";

    /// <summary>The pixel box of a closed POLYLINE Image Region: its corners are pixel edges (PS3.3 C.18.6.1.1).</summary>
    private static PixelBox? Box(IReadOnlyList<DicomDataset> items)
    {
        if (items.FirstOrDefault(c => Is(c, Codes.ImageRegion)) is not { } region) return null;
        var p = region.GetDoubles(DicomTags.GraphicData);
        if (p.Length < 6) return null;
        var xs = p.Where((_, i) => i % 2 == 0).ToArray();
        var ys = p.Where((_, i) => i % 2 == 1).ToArray();
        return new PixelBox((int)Math.Round(xs.Min()), (int)Math.Round(ys.Min()), (int)Math.Round(xs.Max()) - 1, (int)Math.Round(ys.Max()) - 1);
    }

    private static IReadOnlyList<DicomDataset> Children(DicomDataset item) => item.GetSequence(DicomTags.ContentSequence);

    private static bool Is(DicomDataset item, CodedConcept name) => name.Matches(CodedConcept.FromSequence(item, DicomTags.ConceptNameCodeSequence));

    private static double NumValue(DicomDataset num)
    {
        var measured = num.GetSequence(DicomTags.MeasuredValueSequence).FirstOrDefault() ?? throw new DicomValueException("a NUM item has no Measured Value Sequence");
        return measured.GetDouble(DicomTags.FloatingPointValue) ?? measured.GetDouble(DicomTags.NumericValue) ?? throw new DicomValueException("a NUM item has no value");
    }

    /// <summary>The SCOORD POLYLINE a NUM is inferred from, mapped to patient coordinates on the image it was selected from.</summary>
    private static (int Frame, PatientPoint From, PatientPoint To) Line(DicomDataset num, SourceGeometry geometry)
    {
        var scoord = Children(num).FirstOrDefault(c => c.GetString(DicomTags.ValueType) == "SCOORD") ?? throw new DicomValueException("an axis has no SCOORD");
        var p = scoord.GetDoubles(DicomTags.GraphicData);
        if (p.Length != 4) throw new DicomValueException("an axis SCOORD must have two points");
        var reference = Children(scoord).FirstOrDefault()?.GetSequence(DicomTags.ReferencedSOPSequence).FirstOrDefault() ?? throw new DicomValueException("an axis SCOORD references no image");
        var uid = reference.GetString(DicomTags.ReferencedSOPInstanceUID);
        int frameNumber = reference.GetInt(DicomTags.ReferencedFrameNumber) ?? 0;
        int index = -1;
        for (int i = 0; i < geometry.Frames.Count; i++)
            if (geometry.Frames[i].SopInstanceUid == uid && geometry.Frames[i].FrameNumber == frameNumber) { index = i; break; }
        if (index < 0) throw new ResultGeometryException("an axis SCOORD references an image outside the source series");
        var frame = geometry.Frames[index];
        PatientPoint At(double x, double y)
        {
            var v = geometry.ToPatient(frame, x - 0.5, y - 0.5);
            return new PatientPoint(v[0], v[1], v[2]);
        }
        return (index, At(p[0], p[1]), At(p[2], p[3]));
    }
}
