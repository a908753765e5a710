using MedNode.Analysis.Assembly;

namespace MedNode.Analysis.Quality;

/// <summary>What a model expects of a series, for the <see cref="QualityGate"/>.</summary>
public sealed record QualityExpectations
{
    /// <summary>Modality (0008,0060) the model was trained on, e.g. "CT".</summary>
    public required string Modality { get; init; }

    public int MinimumSlices { get; init; } = 8;

    /// <summary>Smallest extent along each axis, in mm.</summary>
    public double MinimumCoverageMm { get; init; } = 30;

    /// <summary>Largest acceptable noise estimate (HU for CT).</summary>
    public double MaximumNoise { get; init; } = 60;

    /// <summary>Largest acceptable fraction of Pixel Padding Value voxels.</summary>
    public double MaximumPaddingFraction { get; init; } = 0.5;
}

/// <summary>One check of the gate and its outcome.</summary>
public sealed record QualityCheck(string Name, bool Passed, string Detail);

/// <summary>The gate's verdict on a series: every check with its detail, and whether all passed.</summary>
public sealed record QualityReport(IReadOnlyList<QualityCheck> Checks, double NoiseEstimate, double PaddingFraction, double SliceSpacingMm, double CoverageMm)
{
    public bool Passed => Checks.All(c => c.Passed);

    /// <summary>The details of the failed checks.</summary>
    public IReadOnlyList<string> FailureReasons => Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}").ToArray();
}

/// <summary>
/// Checks an assembled series against what a model expects: modality, slice count, slice gaps, duplicate
/// positions and spacing consistency (from the slice positions), coverage, a noise estimate and pixel padding.
/// </summary>
public static class QualityGate
{
    public static QualityReport Evaluate(AssembledSeries series, QualityExpectations expected)
    {
        var image = series.Image;
        var g = image.Geometry;
        var checks = new List<QualityCheck>();
        var modality = string.Equals(series.Modality, expected.Modality, StringComparison.OrdinalIgnoreCase);
        checks.Add(new QualityCheck("modality", modality, $"series is {series.Modality}, model expects {expected.Modality}"));
        checks.Add(new QualityCheck("slices", g.SizeZ >= expected.MinimumSlices, $"{g.SizeZ} slices, at least {expected.MinimumSlices} needed"));

        var positions = series.SlicePositionsMm;
        double minGap = double.PositiveInfinity, maxGap = 0;
        for (var i = 1; i < positions.Count; i++)
        {
            var gap = positions[i] - positions[i - 1];
            minGap = Math.Min(minGap, gap);
            maxGap = Math.Max(maxGap, gap);
        }
        checks.Add(new QualityCheck("duplicate positions", minGap > 1e-3, FormattableString.Invariant($"smallest slice gap {minGap:F3} mm")));
        checks.Add(new QualityCheck("slice gaps", maxGap <= 1.5 * g.Spacing.Z, FormattableString.Invariant($"largest slice gap {maxGap:F3} mm, spacing {g.Spacing.Z:F3} mm")));
        checks.Add(new QualityCheck("spacing consistency", maxGap - minGap <= 0.1 * g.Spacing.Z, FormattableString.Invariant($"slice gaps from {minGap:F3} to {maxGap:F3} mm")));

        var coverage = Math.Min(g.SizeX * g.Spacing.X, Math.Min(g.SizeY * g.Spacing.Y, g.SizeZ * g.Spacing.Z));
        checks.Add(new QualityCheck("coverage", coverage >= expected.MinimumCoverageMm, FormattableString.Invariant($"smallest extent {coverage:F1} mm, at least {expected.MinimumCoverageMm:F1} mm needed")));

        var noise = EstimateNoise(image.Data, g.SizeX);
        checks.Add(new QualityCheck("noise", noise <= expected.MaximumNoise, FormattableString.Invariant($"noise estimate {noise:F1}, at most {expected.MaximumNoise:F1}")));

        var paddingFraction = (double)series.PaddingVoxels / g.VoxelCount;
        checks.Add(new QualityCheck("pixel padding", paddingFraction <= expected.MaximumPaddingFraction, FormattableString.Invariant($"{paddingFraction:P1} of voxels are padding")));
        return new QualityReport(checks, noise, paddingFraction, g.Spacing.Z, coverage);
    }

    /// <summary>
    /// Noise as the robust standard deviation (1.4826 · median absolute deviation) of the differences between
    /// horizontal neighbours, divided by √2, over voxels in the soft-tissue range (−200..300 HU), where edges are rare.
    /// </summary>
    internal static double EstimateNoise(float[] data, int sizeX)
    {
        var diffs = new List<float>();
        var stride = Math.Max(1, data.Length / 400_000);
        for (var i = 0; i + 1 < data.Length; i += stride)
        {
            if (i % sizeX == sizeX - 1) continue;
            float a = data[i], b = data[i + 1];
            if (a is < -200 or > 300 || b is < -200 or > 300) continue;
            diffs.Add(a - b);
        }
        if (diffs.Count < 100) return 0;
        diffs.Sort();
        var median = diffs[diffs.Count / 2];
        var deviations = diffs.Select(d => Math.Abs(d - median)).Order().ToArray();
        return 1.4826 * deviations[deviations.Length / 2] / Math.Sqrt(2);
    }
}
