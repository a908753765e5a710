using System.Globalization;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Volumes;
using MedNode.TestSupport;
using Xunit.Abstractions;

namespace MedNode.Analysis.Tests.Inference;

/// <summary>
/// The bundled phantom-lesion model on phantoms it has never seen: per seed, six ellipsoids with random radii (2.5–8 mm),
/// shapes, contrasts and sub-voxel positions, on a random pixel spacing (0.6–1.0 mm), each against its analytic mask.
/// </summary>
public class PhantomSweepTests(ITestOutputHelper output)
{
    /// <summary>Seeds 1–5, and 6–8 that the model card's evaluation added; none is a seed the volume estimate was developed on (11–20).</summary>
    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AnalyzeFiles_RandomSmallLesions_AllFoundWithDiceAndVolumeWithinBars(int seed)
    {
        var spec = RandomSpec(seed);
        using var dir = new TempDir();
        var files = CtPhantom.WriteSeries(spec, dir.Path);
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });

        var result = new AnalysisPipeline(TimeProvider.System).AnalyzeFiles(files, model);

        result.Status.Should().Be(AnalysisStatus.Completed, result.Reason);
        result.Lesions.Should().HaveCount(spec.Lesions.Count, "every lesion is found and nothing else");
        var g = result.SourceGeometry!;
        var errors = new List<double>();
        var partialErrors = new List<double>();
        for (var i = 0; i < spec.Lesions.Count; i++)
        {
            var truth = spec.Lesions[i];
            var match = result.Lesions.OrderBy(l => Vec3.Distance(l.Measurements.Centroid, truth.Centre)).First();
            Vec3.Distance(match.Measurements.Centroid, truth.Centre).Should().BeLessThan(1, $"lesion {i} is found where it is");
            var mask = new Volume<byte>(g);
            LesionMasks.Paste(mask, match);
            var dice = LesionMasks.Dice(mask, CtPhantom.AnalyticMask(spec, i));
            var error = (match.Measurements.VolumeMesh - truth.Volume) / truth.Volume;
            errors.Add(Math.Abs(error));
            var partial = (match.Measurements.VolumePartial!.Value - truth.Volume) / truth.Volume;
            partialErrors.Add(Math.Abs(partial));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lesion {i} radii {truth.Radii} HU {truth.Hu}: Dice {dice:F3}, mesh volume {error:P1}, voxel volume {(match.Measurements.VolumeVoxelCounting - truth.Volume) / truth.Volume:P1}, partial-volume estimate {partial:P1} ({match.Measurements.VolumePartialMethod})"));
            dice.Should().BeGreaterThanOrEqualTo(0.9, $"lesion {i}");
            Math.Abs(error).Should().BeLessThanOrEqualTo(0.12, $"lesion {i}");
        }
        // Lesions 5–16 mm across: single lesions under 10 mm across scatter by up to about ±11 % (a 0.1 mm shift of the
        // boundary of a 3 mm-radius sphere is 10 % of its volume); on average they are within a few per cent.
        errors.Average().Should().BeLessThanOrEqualTo(0.05);
        // The partial-volume estimate is not held back by a voxel mask's staircase (the analytic voxel-centre mask of a
        // lesion 5 mm across is itself off by up to ±10 %). For lesions up to 20 mm across it is the volume of an ellipsoid
        // fitted to the image where the fit passes its checks (SmallLesionVolume), else the probability sum, whose image
        // noise (σ = 10 HU) put single lesions 5–8 mm across up to 8.7 % off: issue #6's 5 % for every lesion, and 2 % on
        // average per phantom. MODEL_CARD.md gives the measured values.
        partialErrors.Should().OnlyContain(e => e <= 0.05);
        partialErrors.Average().Should().BeLessThanOrEqualTo(0.02);
    }

    internal static CtPhantomSpec RandomSpec(int seed)
    {
        var rng = new Random(seed * 7919);
        Vec3[] centres = [new(-25, -15, -10), new(20, 15, 5), new(-15, 25, 15), new(30, -20, -15), new(35, 30, 20), new(-30, 30, -18)];
        var lesions = new List<PhantomEllipsoid>();
        foreach (var c in centres)
        {
            var r = 2.5 + (rng.NextDouble() * 5.5);
            var jitter = new Vec3(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5, rng.NextDouble() - 0.5);
            lesions.Add(new PhantomEllipsoid(c + jitter, new Vec3(r, r * (0.8 + (0.2 * rng.NextDouble())), r * (0.8 + (0.2 * rng.NextDouble()))), 110 + rng.Next(40)));
        }
        var px = 0.6 + (0.4 * rng.NextDouble());
        var size = (int)Math.Ceiling(128 / px);
        return PhantomEndToEndTests.Spec with { Seed = seed, Lesions = lesions, PixelSpacing = px, Columns = size, Rows = size };
    }
}
