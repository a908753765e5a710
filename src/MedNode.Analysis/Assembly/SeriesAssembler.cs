using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.Dicom.Imaging.Codecs;

namespace MedNode.Analysis.Assembly;

/// <summary>Tolerances for <see cref="SeriesAssembler"/>.</summary>
public sealed record AssemblyOptions
{
    /// <summary>Largest allowed deviation of one slice gap from the median gap, as a fraction of the median.</summary>
    public double SpacingTolerance { get; init; } = 0.1;

    /// <summary>Largest allowed difference between direction cosines of two slices.</summary>
    public double OrientationTolerance { get; init; } = 1e-4;

    /// <summary>Fewest slices that make a volume.</summary>
    public int MinimumSlices { get; init; } = 3;
}

/// <summary>
/// A volume built from a series: values in modality units (HU for CT) on a grid in patient coordinates. Slice k of the
/// volume comes from <c>Slices[k]</c> and lies at <c>SlicePositionsMm[k]</c> along the slice normal.
/// </summary>
public sealed record AssembledSeries(
    Volume<float> Image,
    IReadOnlyList<SliceSource> Slices,
    IReadOnlyList<double> SlicePositionsMm,
    string Modality,
    string? SeriesInstanceUid,
    string? FrameOfReferenceUid,
    long PaddingVoxels);

/// <summary>The outcome of assembly: a series, or the reason it was skipped. No exception escapes.</summary>
public sealed record AssemblyResult(AssembledSeries? Series, string? SkipReason)
{
    public bool IsSuccess => Series != null;

    public static AssemblyResult Skip(string reason) => new(null, reason);
}

/// <summary>
/// Builds a volume from the images of one series. Slices are sorted by their position along the slice normal
/// (the cross product of the Image Orientation (Patient) row and column cosines, PS3.3 C.7.6.2.1.1); the series must
/// have one orientation, one Frame of Reference (PS3.3 C.7.4.1), equal Rows/Columns/Pixel Spacing, and uniform
/// spacing within <see cref="AssemblyOptions.SpacingTolerance"/>. Missing slices, irregular spacing, duplicate
/// positions and gantry tilt are refused with a reason, never resampled.
/// </summary>
public static class SeriesAssembler
{
    /// <summary>Reads and assembles the DICOM files at <paramref name="paths"/>.</summary>
    public static AssemblyResult AssembleFiles(IEnumerable<string> paths, AssemblyOptions? options = null)
    {
        var candidates = new List<SliceCandidate>();
        foreach (var path in paths)
        {
            try
            {
                var file = DicomFile.Open(path);
                var (slices, reason) = SliceReader.Read(file.Dataset, file.TransferSyntax);
                if (reason != null) return AssemblyResult.Skip(reason);
                candidates.AddRange(slices!);
            }
            catch (Exception e) when (e is DicomParseException or DicomValueException or IOException or UnauthorizedAccessException)
            {
                return AssemblyResult.Skip($"file {Path.GetFileName(path)} cannot be read: {e.Message}");
            }
        }
        return Assemble(candidates, options ?? new AssemblyOptions());
    }

    /// <summary>Assembles data sets already in memory (native, i.e. uncompressed, pixel data).</summary>
    public static AssemblyResult AssembleDatasets(IEnumerable<DicomDataset> datasets, AssemblyOptions? options = null)
    {
        var candidates = new List<SliceCandidate>();
        foreach (var ds in datasets)
        {
            var (slices, reason) = SliceReader.Read(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            if (reason != null) return AssemblyResult.Skip(reason);
            candidates.AddRange(slices!);
        }
        return Assemble(candidates, options ?? new AssemblyOptions());
    }

    private static AssemblyResult Assemble(List<SliceCandidate> slices, AssemblyOptions options)
    {
        if (slices.Count < options.MinimumSlices) return AssemblyResult.Skip($"the series has {slices.Count} slices; at least {options.MinimumSlices} are needed");
        var first = slices[0];
        if (slices.Select(s => s.SeriesInstanceUid).Distinct().Count() > 1) return AssemblyResult.Skip("the images belong to more than one series");
        if (slices.Select(s => s.FrameOfReferenceUid).Distinct().Count() > 1) return AssemblyResult.Skip("the images have more than one Frame of Reference UID");
        if (slices.Select(s => s.Modality).Distinct().Count() > 1) return AssemblyResult.Skip("the images have more than one modality");
        if (slices.Any(s => Math.Abs(s.GantryTilt) > 1e-3)) return AssemblyResult.Skip($"gantry tilt of {slices.First(s => Math.Abs(s.GantryTilt) > 1e-3).GantryTilt}° is not supported");
        foreach (var s in slices)
        {
            if (s.Rows != first.Rows || s.Columns != first.Columns) return AssemblyResult.Skip($"slices differ in size: {first.Columns}×{first.Rows} and {s.Columns}×{s.Rows}");
            if (Math.Abs(s.RowSpacing - first.RowSpacing) > 1e-4 || Math.Abs(s.ColumnSpacing - first.ColumnSpacing) > 1e-4) return AssemblyResult.Skip("slices differ in Pixel Spacing");
            if (Vec3.Distance(s.RowDirection, first.RowDirection) > options.OrientationTolerance || Vec3.Distance(s.ColumnDirection, first.ColumnDirection) > options.OrientationTolerance)
                return AssemblyResult.Skip("slices differ in Image Orientation (Patient)");
        }
        var normal = Vec3.Cross(first.RowDirection, first.ColumnDirection);
        if (normal.Length < 0.5) return AssemblyResult.Skip("Image Orientation (Patient) is degenerate");
        normal = normal.Normalized();

        var sorted = slices.OrderBy(s => Vec3.Dot(s.Position, normal)).ToList();
        var positions = sorted.Select(s => Vec3.Dot(s.Position, normal)).ToArray();
        var gaps = new double[positions.Length - 1];
        for (var i = 0; i < gaps.Length; i++) gaps[i] = positions[i + 1] - positions[i];
        var duplicate = Array.FindIndex(gaps, g => g < 1e-3);
        if (duplicate >= 0) return AssemblyResult.Skip($"two slices share the position {positions[duplicate]:F3} mm along the normal");
        var median = gaps.Order().ElementAt(gaps.Length / 2);
        for (var i = 0; i < gaps.Length; i++)
        {
            var ratio = gaps[i] / median;
            if (Math.Abs(ratio - 1) <= options.SpacingTolerance) continue;
            var at = FormattableString.Invariant($"between {positions[i]:F2} and {positions[i + 1]:F2} mm along the normal");
            return Math.Abs(ratio - Math.Round(ratio)) <= options.SpacingTolerance && ratio > 1.5
                ? AssemblyResult.Skip(FormattableString.Invariant($"missing slice: a gap of {gaps[i]:F2} mm {at}, where the spacing is {median:F2} mm"))
                : AssemblyResult.Skip(FormattableString.Invariant($"irregular slice spacing: a gap of {gaps[i]:F2} mm {at}, where the spacing is {median:F2} mm"));
        }
        // Each position must lie on the line first + k·normal; an offset across the normal means a tilted or sheared stack.
        foreach (var s in sorted)
        {
            var d = s.Position - sorted[0].Position;
            var across = d - normal * Vec3.Dot(d, normal);
            if (across.Length > Math.Max(0.01, 0.05 * Math.Min(first.RowSpacing, first.ColumnSpacing)) + 1e-3 * d.Length)
                return AssemblyResult.Skip(FormattableString.Invariant($"slice positions drift {across.Length:F2} mm across the slice normal (gantry tilt or a sheared stack)"));
        }

        var spacingZ = (positions[^1] - positions[0]) / (positions.Length - 1);
        // Pixel Spacing is (row spacing, column spacing): Δj then Δi (PS3.3 C.7.6.2.1.1 and 10.7.1.3).
        var geometry = new VolumeGeometry(first.Columns, first.Rows, sorted.Count, new Vec3(first.ColumnSpacing, first.RowSpacing, spacingZ), sorted[0].Position, first.RowDirection, first.ColumnDirection, normal);
        var data = new float[geometry.VoxelCount];
        long padding = 0;
        var plane = first.Rows * first.Columns;
        try
        {
            for (var k = 0; k < sorted.Count; k++)
            {
                var frame = sorted[k].Load();
                if (frame.Values.Length < plane) return AssemblyResult.Skip($"instance {sorted[k].Source.SopInstanceUid} has too little pixel data");
                Array.Copy(frame.Values, 0, data, (long)k * plane, plane);
                padding += frame.PaddingCount;
            }
        }
        catch (Exception e) when (e is DicomValueException or DicomCodecNotSupportedException or InvalidOperationException)
        {
            return AssemblyResult.Skip($"pixel data cannot be decoded: {e.Message}");
        }
        return new AssemblyResult(
            new AssembledSeries(new Volume<float>(geometry, data), sorted.Select(s => s.Source).ToArray(), positions, first.Modality, first.SeriesInstanceUid, first.FrameOfReferenceUid, padding),
            null);
    }
}
