using System.Globalization;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;

namespace MedNode.Analysis.Structures;

/// <summary>An RT Structure Set that cannot be turned into a mask on the requested grid.</summary>
public sealed class RtStructException(string message) : Exception(message);

/// <summary>Limits checked before any contour is rasterised.</summary>
public sealed record RtStructLimits
{
    /// <summary>At most this many contours in the ROI.</summary>
    public int MaxContours { get; init; } = 100_000;

    /// <summary>At most this many points in one contour.</summary>
    public int MaxPointsPerContour { get; init; } = 1_000_000;

    /// <summary>How far (mm, along the slice normal) a contour point may lie from the nearest slice centre.</summary>
    public double PlaneToleranceMm { get; init; } = 0.1;
}

/// <summary>
/// Turns one ROI of an RT Structure Set (PS3.3 C.8.8.5 Structure Set module, C.8.8.6 ROI Contour module) into a binary
/// mask on an image grid. Each CLOSED_PLANAR contour (Contour Geometric Type, PS3.3 C.8.8.6.1) is mapped to a slice by
/// its position along the slice normal, not by its Contour Image Sequence: derived series (crops, re-exports) keep
/// contours that reference SOP instances other than the images they are drawn on. A voxel is inside when its centre is
/// inside the polygon (crossing-number rule, half-open in y); the contours of one slice combine by even-odd (XOR), so a
/// contour inside another cuts a hole, as PS3.3 C.8.8.6.3 describes for inner contours.
/// </summary>
public static class RtStructRasterizer
{
    /// <summary>The names of the ROIs in the Structure Set ROI Sequence (3006,0020).</summary>
    public static IReadOnlyList<string> RoiNames(DicomDataset rtstruct) =>
        rtstruct.GetSequence(DicomTags.StructureSetROISequence).Select(r => r.GetString(DicomTags.ROIName) ?? "").ToList();

    /// <summary>
    /// Rasterises the ROI named <paramref name="roiName"/> onto <paramref name="grid"/>. When
    /// <paramref name="frameOfReferenceUid"/> is given, the ROI's Referenced Frame of Reference UID must match it.
    /// </summary>
    /// <exception cref="RtStructException">No such ROI, a contour that is not CLOSED_PLANAR, malformed Contour Data,
    /// a contour off every slice, a limit exceeded, or a different frame of reference.</exception>
    public static Volume<byte> Rasterize(DicomDataset rtstruct, string roiName, VolumeGeometry grid, string? frameOfReferenceUid = null, RtStructLimits? limits = null)
    {
        limits ??= new RtStructLimits();
        var roi = rtstruct.GetSequence(DicomTags.StructureSetROISequence).FirstOrDefault(r => r.GetString(DicomTags.ROIName) == roiName)
            ?? throw new RtStructException($"the structure set has no ROI named '{roiName}' (it has: {string.Join(", ", RoiNames(rtstruct).Select(n => $"'{n}'"))})");
        var number = roi.GetInt(DicomTags.ROINumber) ?? throw new RtStructException($"ROI '{roiName}' has no ROI Number (3006,0022)");
        if (frameOfReferenceUid != null && roi.GetString(DicomTags.ReferencedFrameOfReferenceUID) is { } roiFrame && roiFrame != frameOfReferenceUid)
            throw new RtStructException($"ROI '{roiName}' is in frame of reference {roiFrame}, the images in {frameOfReferenceUid}");
        var contours = rtstruct.GetSequence(DicomTags.ROIContourSequence).FirstOrDefault(r => r.GetInt(DicomTags.ReferencedROINumber) == number)
            ?.GetSequence(DicomTags.ContourSequence)
            ?? throw new RtStructException($"ROI '{roiName}' (number {number}) has no item in the ROI Contour Sequence (3006,0039)");
        if (contours.Count > limits.MaxContours) throw new RtStructException($"ROI '{roiName}' has {contours.Count} contours; the limit is {limits.MaxContours}");

        var mask = new Volume<byte>(grid);
        var plane = new byte[grid.SizeX * grid.SizeY];
        for (var c = 0; c < contours.Count; c++)
        {
            var (u, v, slice) = ToSlice(contours[c], c + 1, grid, limits);
            Array.Clear(plane);
            FillPolygon(plane, grid.SizeX, grid.SizeY, u, v);
            var offset = slice * plane.Length;
            for (var i = 0; i < plane.Length; i++) mask.Data[offset + i] ^= plane[i];
        }
        return mask;
    }

    /// <summary>Checks one contour and returns its vertices in fractional pixel indices and the slice it lies on.</summary>
    private static (double[] U, double[] V, int Slice) ToSlice(DicomDataset contour, int ordinal, VolumeGeometry grid, RtStructLimits limits)
    {
        var type = contour.GetString(DicomTags.ContourGeometricType)?.Trim();
        if (type != "CLOSED_PLANAR")
            throw new RtStructException($"contour {ordinal} has Contour Geometric Type '{type ?? "(none)"}'; only CLOSED_PLANAR contours enclose an area");
        var declared = contour.GetInt(DicomTags.NumberOfContourPoints);
        if (declared is not { } n || n < 3) throw new RtStructException($"contour {ordinal} has {declared?.ToString(CultureInfo.InvariantCulture) ?? "no"} points; a closed contour needs at least 3");
        if (n > limits.MaxPointsPerContour) throw new RtStructException($"contour {ordinal} has {n} points; the limit is {limits.MaxPointsPerContour}");
        var data = contour.GetDoubles(DicomTags.ContourData);
        if (data.Length != 3 * n) throw new RtStructException($"contour {ordinal}: Contour Data has {data.Length} values, Number of Contour Points says {n} × 3");

        var u = new double[n];
        var v = new double[n];
        var first = double.NaN;
        var slice = -1;
        for (var i = 0; i < n; i++)
        {
            var p = new Vec3(data[3 * i], data[(3 * i) + 1], data[(3 * i) + 2]);
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y) || !double.IsFinite(p.Z)) throw new RtStructException($"contour {ordinal} has a non-finite coordinate");
            var index = grid.PatientToIndex(p);
            u[i] = index.X;
            v[i] = index.Y;
            if (i == 0)
            {
                first = index.Z;
                slice = (int)Math.Round(index.Z);
                var offMm = Math.Abs(index.Z - slice) * grid.Spacing.Z;
                if (slice < 0 || slice >= grid.SizeZ || offMm > limits.PlaneToleranceMm)
                    throw new RtStructException(FormattableString.Invariant($"contour {ordinal} lies at slice index {index.Z:F3} along the normal, not on any of the {grid.SizeZ} image slices (tolerance {limits.PlaneToleranceMm} mm)"));
            }
            else if (Math.Abs(index.Z - first) * grid.Spacing.Z > limits.PlaneToleranceMm)
            {
                throw new RtStructException($"contour {ordinal} is not planar in the image slice plane (point {i + 1} leaves slice {slice})");
            }
        }
        return (u, v, slice);
    }

    /// <summary>
    /// Sets the pixels whose centres (integer indices) lie inside the polygon (even-odd). For each pixel row y the edges
    /// that cross it (one end above, the other at or below: half-open) give sorted crossings c0 &lt; c1 &lt; …; centres with
    /// c(2i) ≤ x &lt; c(2i+1) are inside, which is the crossing-number test counting crossings to the right of the centre.
    /// </summary>
    private static void FillPolygon(byte[] plane, int sizeX, int sizeY, double[] u, double[] v)
    {
        var n = u.Length;
        double minV = v.Min(), maxV = v.Max();
        var y0 = Math.Max(0, (int)Math.Ceiling(minV));
        var y1 = Math.Min(sizeY - 1, (int)Math.Floor(maxV));
        var crossings = new List<double>();
        for (var y = y0; y <= y1; y++)
        {
            crossings.Clear();
            for (int i = 0, j = n - 1; i < n; j = i++)
            {
                if ((v[i] > y) != (v[j] > y)) crossings.Add(u[i] + ((y - v[i]) * (u[j] - u[i]) / (v[j] - v[i])));
            }
            crossings.Sort();
            var row = y * sizeX;
            for (var k = 0; k + 1 < crossings.Count; k += 2)
            {
                var xa = Math.Max(0, (int)Math.Ceiling(crossings[k]));
                var xb = (int)Math.Ceiling(crossings[k + 1]) - 1; // x < c(2i+1)
                xb = Math.Min(sizeX - 1, xb);
                for (var x = xa; x <= xb; x++) plane[row + x] ^= 1;
            }
        }
    }
}
