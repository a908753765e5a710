using System.Globalization;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Dicom;
using MedNode.Dicom.Objects.Fallback;
using MedNode.Dicom.Objects.Segmentation;
using MedNode.Dicom.Objects.StructuredReport;
using ObjectCode = MedNode.Dicom.Objects.Coding.CodedConcept;

namespace MedNode.Analysis.Results;

/// <summary>Which result objects a destination receives: SEG + SR, the SC + KOS fallback for PACS without SEG, or both.</summary>
[Flags]
public enum ResultObjects
{
    SegmentationAndReport = 1,
    SecondaryCaptureAndKeyObjects = 2,
    All = SegmentationAndReport | SecondaryCaptureAndKeyObjects,
}

/// <summary>The DICOM objects that carry one analysis result; those not asked for are null or empty.</summary>
public sealed record EncodedResult(
    DicomDataset? Segmentation, DicomDataset? MeasurementReport, IReadOnlyList<DicomDataset> SecondaryCaptures, DicomDataset? KeyObjectSelection)
{
    /// <summary>Every object, in the order a sender should store them (the SEG before the SR that references it).</summary>
    public IEnumerable<DicomDataset> All =>
        new[] { Segmentation, MeasurementReport }.OfType<DicomDataset>().Concat(SecondaryCaptures).Concat(new[] { KeyObjectSelection }.OfType<DicomDataset>());
}

/// <summary>
/// Turns an <see cref="AnalysisResult"/> into DICOM objects on its source series: a Segmentation (PS3.3 A.51) with one
/// segment per lesion, labelled, coded and coloured from the model manifest; a Comprehensive 3D SR with TID 1500, one
/// TID 1411 volumetric group and one TID 1410 planar group (RECIST axes on the key slice) per lesion; and, for PACS that
/// cannot show SEG, a burned-in Secondary Capture per lesion and a Key Object Selection of the key slices.
/// A result whose geometry does not match the source series is refused with <see cref="ResultGeometryException"/>
/// before anything is built.
/// </summary>
public sealed class ResultEncoder(TimeProvider time)
{
    private const double PositionToleranceMm = 0.01, DirectionTolerance = 1e-4;

    /// <param name="result">A completed analysis with at least one lesion.</param>
    /// <param name="sourceImages">The source series' data sets (headers suffice for SEG + SR; the SC fallback needs the key slices' pixel data).</param>
    /// <param name="manifest">The manifest of the model that produced <paramref name="result"/>.</param>
    /// <param name="predecessorReports">Earlier reports the SR replaces (Predecessor Documents Sequence, PS3.3 C.17.2); none by default.</param>
    public EncodedResult Encode(AnalysisResult result, IReadOnlyList<DicomDataset> sourceImages, ModelManifest manifest, ResultObjects objects = ResultObjects.SegmentationAndReport,
        IReadOnlyList<SrDocumentReference>? predecessorReports = null)
    {
        if (result.Status != AnalysisStatus.Completed) throw new ArgumentException($"only a completed analysis can be encoded, not a {result.Status} one", nameof(result));
        if (result.Lesions.Count == 0) throw new ArgumentException("the analysis found no lesion: there is nothing to encode", nameof(result));
        if (!string.Equals(result.Model.Sha256, manifest.Sha256, StringComparison.OrdinalIgnoreCase) || result.Model.Id != manifest.Id)
            throw new ArgumentException($"the result was produced by model {result.Model.Id} {result.Model.Sha256}, not by the manifest's {manifest.Id} {manifest.Sha256}", nameof(manifest));
        var geometry = SourceGeometry.FromImages(sourceImages);
        var frameOfSlice = MapSlices(result, geometry);
        foreach (var lesion in result.Lesions) CheckBounds(lesion, result.SourceGeometry!);
        var lesions = result.Lesions.Select(l => new Lesion(l, $"{l.Class.Label} {l.Number.ToString(CultureInfo.InvariantCulture)}", DicomImplementation.NewUid())).ToList();

        DicomDataset? seg = null, sr = null;
        if (objects.HasFlag(ResultObjects.SegmentationAndReport))
        {
            seg = new SegmentationBuilder(time).Build(new SegmentationInput
            {
                SourceImages = sourceImages,
                Segments = lesions.Select(l => Segment(l, manifest, geometry, frameOfSlice)).ToList(),
                ExpectedImageOrientation = Orientation(result),
                ContentDescription = Truncate("AI segmentation: " + manifest.Name, 64),
            });
            sr = new MeasurementReportBuilder(time).Build(new MeasurementReportInput
            {
                SourceImages = sourceImages,
                Segmentation = seg,
                Lesions = lesions.Select((l, i) => Report(l, i + 1, geometry, frameOfSlice)).ToList(),
                AlgorithmName = Truncate(manifest.Name, 64),
                AlgorithmVersion = Truncate(manifest.Version, 64),
                PredecessorDocuments = predecessorReports ?? [],
            });
        }

        var captures = new List<DicomDataset>();
        DicomDataset? keyObjects = null;
        if (objects.HasFlag(ResultObjects.SecondaryCaptureAndKeyObjects))
        {
            var series = DicomImplementation.NewUid();
            var keyFrames = new List<int>();
            foreach (var (l, i) in lesions.Select((l, i) => (l, i)))
            {
                var recist = l.Detected.Measurements.Recist ?? throw new ArgumentException($"lesion {l.Label} has no RECIST measurement", nameof(result));
                var key = frameOfSlice[recist.SliceIndex];
                keyFrames.Add(key);
                var m = l.Detected.Measurements;
                captures.Add(new SecondaryCaptureBuilder(time).Build(new SecondaryCaptureInput
                {
                    SourceImages = sourceImages,
                    KeyFrameIndex = key,
                    KeySliceMask = SliceMask(l.Detected, recist.SliceIndex, geometry.Rows, geometry.Columns),
                    Recist = Axes(recist, key),
                    Text =
                    [
                        l.Label.ToUpperInvariant(),
                        string.Create(CultureInfo.InvariantCulture, $"LONG {recist.LongAxisMm:F1} MM SHORT {recist.ShortAxisMm:F1} MM"),
                        string.Create(CultureInfo.InvariantCulture, $"VOL {m.VolumePartial ?? m.VolumeMesh:F0} MM3"),
                    ],
                    SeriesInstanceUid = series,
                    InstanceNumber = i + 1,
                }));
            }
            keyObjects = new KeyObjectSelectionBuilder(time).Build(sourceImages, keyFrames);
        }
        return new EncodedResult(seg, sr, captures, keyObjects);
    }

    private sealed record Lesion(DetectedLesion Detected, string Label, string TrackingUid);

    /// <summary>For each slice (z) of the result's grid, the index of its frame among the source frames.</summary>
    private static int[] MapSlices(AnalysisResult result, SourceGeometry geometry)
    {
        var g = result.SourceGeometry ?? throw new ResultGeometryException("the result has no source geometry");
        if (result.Slices.Count != g.SizeZ) throw new ResultGeometryException($"the result has {result.Slices.Count} slice sources for {g.SizeZ} slices");
        if (g.SizeX != geometry.Columns || g.SizeY != geometry.Rows)
            throw new ResultGeometryException($"the result's grid is {g.SizeX}x{g.SizeY}, the source images are {geometry.Columns}x{geometry.Rows}");
        if (Math.Abs(g.Spacing.X - geometry.PixelSpacing[1]) > PositionToleranceMm || Math.Abs(g.Spacing.Y - geometry.PixelSpacing[0]) > PositionToleranceMm)
            throw new ResultGeometryException("the result's pixel spacing is not the source's");
        var map = new int[g.SizeZ];
        for (var z = 0; z < g.SizeZ; z++)
        {
            var s = result.Slices[z];
            var f = -1;
            for (var i = 0; i < geometry.Frames.Count && f < 0; i++)
            {
                var frame = geometry.Frames[i];
                if (frame.SopInstanceUid == s.SopInstanceUid && (frame.FrameNumber == 0 ? s.FrameIndex == 0 : frame.FrameNumber == s.FrameIndex + 1)) f = i;
            }
            if (f < 0) throw new ResultGeometryException($"slice {z} of the result comes from an image that is not among the source images");
            var expected = g.IndexToPatient(0, 0, z);
            var p = geometry.Frames[f].ImagePositionPatient;
            if (Math.Abs(p[0] - expected.X) > PositionToleranceMm || Math.Abs(p[1] - expected.Y) > PositionToleranceMm || Math.Abs(p[2] - expected.Z) > PositionToleranceMm)
                throw new ResultGeometryException($"slice {z} of the result is not where its source frame lies (Image Position (Patient))");
            map[z] = f;
        }
        return map;
    }

    private static double[] Orientation(AnalysisResult result)
    {
        var g = result.SourceGeometry!;
        return [g.RowDirection.X, g.RowDirection.Y, g.RowDirection.Z, g.ColumnDirection.X, g.ColumnDirection.Y, g.ColumnDirection.Z];
    }

    private static void CheckBounds(DetectedLesion l, Volumes.VolumeGeometry g)
    {
        var b = l.BoxInSource;
        if (b.MinX < 0 || b.MinY < 0 || b.MinZ < 0 || b.MaxX >= g.SizeX || b.MaxY >= g.SizeY || b.MaxZ >= g.SizeZ)
            throw new ResultGeometryException($"lesion {l.Number}: voxels out of bounds of the source grid");
        if (l.Mask.SizeX != b.SizeX || l.Mask.SizeY != b.SizeY || l.Mask.SizeZ != b.SizeZ)
            throw new ResultGeometryException($"lesion {l.Number}: the mask is not the size of its box");
        if (Math.Abs(Volumes.Vec3.Dot(g.RowDirection, g.ColumnDirection)) > DirectionTolerance)
            throw new ResultGeometryException("the result's row and column directions are not orthogonal");
    }

    private static SegmentDefinition Segment(Lesion l, ModelManifest manifest, SourceGeometry geometry, int[] frameOfSlice)
    {
        var size = geometry.Rows * geometry.Columns;
        var empty = new byte[size];
        var frames = new byte[geometry.Frames.Count][];
        Array.Fill(frames, empty);
        var b = l.Detected.BoxInSource;
        for (var z = b.MinZ; z <= b.MaxZ; z++) frames[frameOfSlice[z]] = SliceMask(l.Detected, z, geometry.Rows, geometry.Columns);
        var c = l.Detected.Class;
        return new SegmentDefinition
        {
            Label = l.Label,
            TrackingId = l.Label,
            TrackingUid = l.TrackingUid,
            Category = Code(c.Category),
            PropertyType = Code(c.Type),
            AlgorithmName = Truncate(manifest.Name, 64),
            AlgorithmVersion = Truncate(manifest.Version, 64),
            // Algorithm Source (0024,0202) is LO: the SHA-256 of the model file, 64 hex digits, fits exactly.
            AlgorithmSource = manifest.Sha256,
            CieLab = CieLab.FromHexRgb(c.Colour),
            Mask = frames,
        };
    }

    /// <summary>The lesion's mask on source slice <paramref name="z"/>, Rows*Columns, row-major.</summary>
    private static byte[] SliceMask(DetectedLesion l, int z, int rows, int columns)
    {
        var b = l.BoxInSource;
        var slice = new byte[rows * columns];
        if (z < b.MinZ || z > b.MaxZ) return slice;
        for (var y = 0; y < b.SizeY; y++)
        {
            for (var x = 0; x < b.SizeX; x++)
            {
                if (l.Mask[x, y, z - b.MinZ] != 0) slice[(y + b.MinY) * columns + x + b.MinX] = 1;
            }
        }
        return slice;
    }

    private static LesionReport Report(Lesion l, int segmentNumber, SourceGeometry geometry, int[] frameOfSlice)
    {
        var m = l.Detected.Measurements;
        double[] values = [m.VolumeMesh, m.VolumeVoxelCounting, m.VolumePartial ?? 0, m.SurfaceArea, m.Sphericity, m.Maximum3DDiameter, m.Elongation, m.Flatness];
        if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException($"lesion {l.Label} has a measurement that is not a finite number");
        PixelBox? box = null;
        RecistAxes? axes = null;
        if (m.Recist is { } r)
        {
            axes = Axes(r, frameOfSlice[r.SliceIndex]);
            box = InPlaneBox(SliceMask(l.Detected, r.SliceIndex, geometry.Rows, geometry.Columns), geometry.Columns);
        }
        return new LesionReport
        {
            TrackingId = l.Label,
            TrackingUid = l.TrackingUid,
            Finding = Code(l.Detected.Class.Type),
            SegmentNumber = segmentNumber,
            // The partial-volume estimate (the model's probabilities summed) is the reported volume; the IBSI mesh and
            // voxel-count volumes go beside it under their own IBSI codes.
            VolumeMm3 = m.VolumePartial ?? m.VolumeMesh,
            VolumeOfMeshMm3 = m.VolumeMesh,
            VolumeFromVoxelSummationMm3 = m.VolumeVoxelCounting,
            SurfaceAreaMm2 = m.SurfaceArea,
            Sphericity = m.Sphericity,
            Maximum3DDiameterMm = m.Maximum3DDiameter,
            Elongation = m.Elongation,
            Flatness = m.Flatness,
            Recist = axes,
            BoundingBox = box,
        };
    }

    private static RecistAxes Axes(Measurements.RecistMeasurement r, int keyFrame) =>
        new(keyFrame, r.LongAxisMm, Point(r.LongAxisFrom), Point(r.LongAxisTo), r.ShortAxisMm, Point(r.ShortAxisFrom), Point(r.ShortAxisTo));

    private static PatientPoint Point(Volumes.Vec3 v) => new(v.X, v.Y, v.Z);

    private static PixelBox? InPlaneBox(byte[] slice, int columns)
    {
        int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
        for (var i = 0; i < slice.Length; i++)
        {
            if (slice[i] == 0) continue;
            int x = i % columns, y = i / columns;
            minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
        }
        return maxX < 0 ? null : new PixelBox(minX, minY, maxX, maxY);
    }

    private static ObjectCode Code(Models.CodedConcept c) => new(c.Value, c.Scheme, c.Meaning);

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
