using System.Globalization;

namespace MedNode.Dicom.Objects.Segmentation;

/// <summary>One frame of the source series, with what a derived object must reference and where it lies.</summary>
/// <param name="FrameNumber">1-based frame within a multi-frame image; 0 for a single-frame image.</param>
public sealed record SourceFrame(
    string SopClassUid, string SopInstanceUid, int FrameNumber, double[] ImagePositionPatient, double[] ImageOrientationPatient,
    double[] PixelSpacing, double? SliceThickness);

/// <summary>
/// The geometry of a source series: its frames, their common orientation, spacing and size, and the frame of reference.
/// Read from single-frame images (PS3.3 C.7.6.2 Image Plane Module) or from one multi-frame image's functional groups
/// (PS3.3 C.7.6.16.2.1 Pixel Measures, C.7.6.16.2.3 Plane Position, C.7.6.16.2.4 Plane Orientation).
/// </summary>
public sealed class SourceGeometry
{
    private const double Tolerance = 1e-4;

    private SourceGeometry(DicomDataset first, List<SourceFrame> frames, int rows, int columns, string frameOfReferenceUid, string seriesInstanceUid)
    {
        FirstImage = first; Frames = frames; Rows = rows; Columns = columns; FrameOfReferenceUid = frameOfReferenceUid; SeriesInstanceUid = seriesInstanceUid;
    }

    /// <summary>The first source image: its Patient, Study and Frame of Reference modules are copied into derived objects.</summary>
    public DicomDataset FirstImage { get; }
    public IReadOnlyList<SourceFrame> Frames { get; }
    public int Rows { get; }
    public int Columns { get; }
    public string FrameOfReferenceUid { get; }
    public string SeriesInstanceUid { get; }
    public double[] ImageOrientationPatient => Frames[0].ImageOrientationPatient;
    public double[] PixelSpacing => Frames[0].PixelSpacing;

    /// <summary>The slice normal: row direction × column direction.</summary>
    public double[] Normal
    {
        get
        {
            var o = ImageOrientationPatient;
            return [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
        }
    }

    /// <summary>Reads and checks the geometry; throws <see cref="ResultGeometryException"/> when the images do not form one grid.</summary>
    public static SourceGeometry FromImages(IReadOnlyList<DicomDataset> images)
    {
        if (images.Count == 0) throw new ResultGeometryException("no source images were given");
        var first = images[0];
        var frames = new List<SourceFrame>();
        int rows = first.GetInt(DicomTags.Rows) ?? throw new ResultGeometryException("the source image has no Rows");
        int columns = first.GetInt(DicomTags.Columns) ?? throw new ResultGeometryException("the source image has no Columns");
        var forUid = first.GetString(DicomTags.FrameOfReferenceUID) ?? throw new ResultGeometryException("the source image has no Frame of Reference UID");
        var series = first.GetString(DicomTags.SeriesInstanceUID) ?? throw new ResultGeometryException("the source image has no Series Instance UID");
        foreach (var image in images)
        {
            if (image.GetInt(DicomTags.Rows) != rows || image.GetInt(DicomTags.Columns) != columns)
                throw new ResultGeometryException("the source images differ in Rows or Columns");
            if (image.GetString(DicomTags.FrameOfReferenceUID) != forUid)
                throw new ResultGeometryException("the source images are in different frames of reference");
            if (image.GetString(DicomTags.SeriesInstanceUID) != series)
                throw new ResultGeometryException("the source images belong to different series");
            var sopClass = image.GetString(DicomTags.SOPClassUID) ?? throw new ResultGeometryException("a source image has no SOP Class UID");
            var sopInstance = image.GetString(DicomTags.SOPInstanceUID) ?? throw new ResultGeometryException("a source image has no SOP Instance UID");
            if (image.Contains(DicomTags.PerFrameFunctionalGroupsSequence)) AddMultiFrame(image, sopClass, sopInstance, frames);
            else frames.Add(new SourceFrame(sopClass, sopInstance, 0, Vector(image, DicomTags.ImagePositionPatient, 3), Vector(image, DicomTags.ImageOrientationPatient, 6),
                Vector(image, DicomTags.PixelSpacing, 2), image.GetDouble(DicomTags.SliceThickness)));
        }
        var o = frames[0].ImageOrientationPatient;
        var s = frames[0].PixelSpacing;
        foreach (var f in frames)
        {
            if (!Close(f.ImageOrientationPatient, o)) throw new ResultGeometryException("the source frames differ in Image Orientation (Patient)");
            if (!Close(f.PixelSpacing, s)) throw new ResultGeometryException("the source frames differ in Pixel Spacing");
        }
        return new SourceGeometry(first, frames, rows, columns, forUid, series);
    }

    private static void AddMultiFrame(DicomDataset image, string sopClass, string sopInstance, List<SourceFrame> frames)
    {
        var shared = image.GetSequence(DicomTags.SharedFunctionalGroupsSequence) is { Count: > 0 } sh ? sh[0] : new DicomDataset();
        var perFrame = image.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence);
        int n = image.GetInt(DicomTags.NumberOfFrames) ?? perFrame.Count;
        if (perFrame.Count != n) throw new ResultGeometryException("Number of Frames does not match the Per-Frame Functional Groups Sequence");
        for (int i = 0; i < n; i++)
        {
            var position = Macro(perFrame[i], shared, DicomTags.PlanePositionSequence);
            var orientation = Macro(perFrame[i], shared, DicomTags.PlaneOrientationSequence);
            var measures = Macro(perFrame[i], shared, DicomTags.PixelMeasuresSequence);
            frames.Add(new SourceFrame(sopClass, sopInstance, i + 1, Vector(position, DicomTags.ImagePositionPatient, 3),
                Vector(orientation, DicomTags.ImageOrientationPatient, 6), Vector(measures, DicomTags.PixelSpacing, 2), measures.GetDouble(DicomTags.SliceThickness)));
        }
    }

    private static DicomDataset Macro(DicomDataset perFrame, DicomDataset shared, DicomTag sequence) =>
        perFrame.GetSequence(sequence) is { Count: > 0 } p ? p[0]
        : shared.GetSequence(sequence) is { Count: > 0 } s ? s[0]
        : throw new ResultGeometryException($"a source frame has no {sequence} functional group");

    private static double[] Vector(DicomDataset ds, DicomTag tag, int n)
    {
        var v = ds.GetDoubles(tag);
        if (v.Length != n || v.Any(double.IsNaN)) throw new ResultGeometryException($"{tag} must have {n.ToString(CultureInfo.InvariantCulture)} numeric values");
        return v;
    }

    internal static bool Close(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++) if (Math.Abs(a[i] - b[i]) > Tolerance) return false;
        return true;
    }

    /// <summary>The distance of a frame along the slice normal.</summary>
    public double SlicePosition(SourceFrame f)
    {
        var n = Normal;
        var p = f.ImagePositionPatient;
        return p[0] * n[0] + p[1] * n[1] + p[2] * n[2];
    }

    /// <summary>Patient coordinates (mm) of a point given in the frame's pixel space: column and row indices, pixel centres at integers.</summary>
    public double[] ToPatient(SourceFrame f, double column, double row)
    {
        var o = f.ImageOrientationPatient; var p = f.ImagePositionPatient; var s = f.PixelSpacing;
        return [p[0] + column * s[1] * o[0] + row * s[0] * o[3], p[1] + column * s[1] * o[1] + row * s[0] * o[4], p[2] + column * s[1] * o[2] + row * s[0] * o[5]];
    }

    /// <summary>Column and row indices (pixel centres at integers) of a patient point projected onto a frame's plane.</summary>
    public (double Column, double Row) ToPixel(SourceFrame f, double[] point)
    {
        var o = f.ImageOrientationPatient; var p = f.ImagePositionPatient; var s = f.PixelSpacing;
        double dx = point[0] - p[0], dy = point[1] - p[1], dz = point[2] - p[2];
        return ((dx * o[0] + dy * o[1] + dz * o[2]) / s[1], (dx * o[3] + dy * o[4] + dz * o[5]) / s[0]);
    }
}

/// <summary>A result whose geometry does not match its source series; raised before any object is written.</summary>
public sealed class ResultGeometryException(string message) : Exception(message);
