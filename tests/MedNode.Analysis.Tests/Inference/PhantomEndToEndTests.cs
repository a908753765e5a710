using System.Globalization;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Measurements;
using MedNode.Analysis.Models;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Volumes;
using MedNode.TestSupport;
using Xunit.Abstractions;

namespace MedNode.Analysis.Tests.Inference;

/// <summary>
/// The bundled phantom-lesion model on a synthetic CT series written as DICOM files, against the analytic ellipsoids.
/// </summary>
public class PhantomEndToEndTests(ITestOutputHelper output)
{
    internal static readonly CtPhantomSpec Spec = new()
    {
        Columns = 160,
        Rows = 160,
        Slices = 48,
        PixelSpacing = 0.8,
        SliceSpacing = 1.5,
        Origin = new Vec3(-64, -64, -36),
        NoiseSigma = 10,
        Seed = 42,
        Lesions =
        [
            new PhantomEllipsoid(new Vec3(-25, -15, -10), new Vec3(12, 10, 9), 130),
            new PhantomEllipsoid(new Vec3(20, 15, 5), new Vec3(8, 8, 8), 120),
            new PhantomEllipsoid(new Vec3(-15, 25, 15), new Vec3(6, 5, 5), 140),
            new PhantomEllipsoid(new Vec3(30, -20, -15), new Vec3(4, 4, 3.5), 125),
            new PhantomEllipsoid(new Vec3(35, 30, 20), new Vec3(2.5, 2.5, 2.5), 130),
        ],
    };

    [Fact]
    public void AnalyzeFiles_PhantomSeries_FindsEveryLesionWithAnalyticShape()
    {
        using var dir = new TempDir();
        var files = CtPhantom.WriteSeries(Spec, dir.Path);
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });

        var result = new AnalysisPipeline(TimeProvider.System).AnalyzeFiles(files, model);

        result.Status.Should().Be(AnalysisStatus.Completed, result.Reason);
        result.Model.Sha256.Should().Be(model.Manifest.Sha256);
        result.Device.Should().Be("cpu");
        result.Quality!.Passed.Should().BeTrue();
        result.Timings.Select(t => t.Stage).Should().Equal("assembly", "quality", "resample", "normalise", "inference", "refine", "postprocess");
        result.Lesions.Should().HaveCount(Spec.Lesions.Count);

        var g = result.SourceGeometry!;
        var predicted = new Volume<byte>(g);
        foreach (var lesion in result.Lesions) LesionMasks.Paste(predicted, lesion);
        var truth = CtPhantom.AnalyticMask(Spec);
        var overall = LesionMasks.Dice(predicted, truth);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overall Dice {overall:F4}; stages: {string.Join(", ", result.Timings.Select(s => $"{s.Stage} {s.Elapsed.TotalSeconds:F2} s"))}"));

        var dices = new double[Spec.Lesions.Count];
        var volumeErrors = new double[Spec.Lesions.Count];
        var centroidErrors = new double[Spec.Lesions.Count];
        var partialErrors = new double[Spec.Lesions.Count];
        for (var i = 0; i < Spec.Lesions.Count; i++)
        {
            var truthLesion = Spec.Lesions[i];
            var match = result.Lesions.OrderBy(l => Vec3.Distance(l.Measurements.Centroid, truthLesion.Centre)).First();
            centroidErrors[i] = Vec3.Distance(match.Measurements.Centroid, truthLesion.Centre);
            var lesionMask = new Volume<byte>(g);
            LesionMasks.Paste(lesionMask, match);
            var truthMask = CtPhantom.AnalyticMask(Spec, i);
            dices[i] = LesionMasks.Dice(lesionMask, truthMask);
            volumeErrors[i] = (match.Measurements.VolumeMesh - truthLesion.Volume) / truthLesion.Volume;
            partialErrors[i] = (match.Measurements.VolumePartial!.Value - truthLesion.Volume) / truthLesion.Volume;
            // The analytic mask's own mesh volume: what a perfect segmentation on this grid would report (IBSI mesh volume
            // of a voxel mask cuts corners, most for small objects).
            var perfect = MaskMesh.Measure(truthMask).Volume;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lesion {i} radii {truthLesion.Radii}: Dice {dices[i]:F4}, centroid error {centroidErrors[i]:F2} mm, mesh volume {match.Measurements.VolumeMesh:F1} vs {truthLesion.Volume:F1} mm³ ({volumeErrors[i]:P2}), voxel volume {match.Measurements.VolumeVoxelCounting:F1}, partial-volume estimate {match.Measurements.VolumePartial:F1} ({partialErrors[i]:P2}); analytic mask: mesh volume {perfect:F1} mm³ ({(perfect - truthLesion.Volume) / truthLesion.Volume:P2})"));
        }

        // Issue targets: every lesion ≥ 5 mm found, Dice ≥ 0.9 and volumes within 5 %. All five lesions, down to 5 mm
        // across, are found, each with Dice ≥ 0.9. Volumes are within 5 % for every lesion with radii ≥ 5 mm (≥ 10 mm
        // across, RECIST-measurable). The 8 mm and 5 mm lesions (refined by the second pass) are held to 10 %: at these
        // sizes a 0.1 mm shift of the boundary moves the volume by 5–10 %, and PhantomSweepTests shows single small
        // lesions scattering by up to about that. Measured values: models/phantom-lesion/MODEL_CARD.md.
        overall.Should().BeGreaterThanOrEqualTo(0.95);
        centroidErrors.Should().OnlyContain(e => e < 0.5);
        // The partial-volume estimate (the model's probabilities summed; not limited by the staircase of a voxel mask) is
        // within 5 % for every lesion, the 5 mm one included. It is the volume the SR reports as (118565006, SCT, "Volume")
        // (ResultEncoderEndToEndTests.Encode_PhantomSeries_SrReadsBackTheMeasurements); the IBSI mesh volume checked below
        // goes beside it as (RNU0, IBSI, "Volume of Mesh").
        for (var i = 0; i < Spec.Lesions.Count; i++) Math.Abs(partialErrors[i]).Should().BeLessThanOrEqualTo(VolumeTolerance, $"lesion {i}'s partial-volume estimate");
        for (var i = 0; i < Spec.Lesions.Count; i++)
        {
            var r = Spec.Lesions[i].Radii;
            if (Math.Min(r.X, Math.Min(r.Y, r.Z)) < 5)
            {
                dices[i].Should().BeGreaterThanOrEqualTo(SmallLesionDiceFloor, $"lesion {i}");
                Math.Abs(volumeErrors[i]).Should().BeLessThanOrEqualTo(SmallLesionVolumeTolerance, $"lesion {i}");
                continue;
            }
            dices[i].Should().BeGreaterThanOrEqualTo(DiceFloor, $"lesion {i}");
            Math.Abs(volumeErrors[i]).Should().BeLessThanOrEqualTo(VolumeTolerance, $"lesion {i}");
        }
    }

    [Fact]
    public void AnalyzeFiles_ModelWithNaNOutput_FailsWithReason()
    {
        var spec = Spec with { Columns = 48, Rows = 48, Slices = 24, BodyRadii = (18, 16), Origin = new Vec3(-19, -19, -18), Lesions = [] };
        using var dir = new TempDir();
        var files = CtPhantom.WriteSeries(spec, dir.Path);
        var modelDir = Path.Combine(AppContext.BaseDirectory, "TestModels", "nan-output");
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(modelDir, new InferenceOptions { Device = InferenceDevice.Cpu });

        var result = new AnalysisPipeline(TimeProvider.System).AnalyzeFiles(files, model);

        result.Status.Should().Be(AnalysisStatus.Failed);
        result.Reason.Should().StartWith("the model output NaN at tile (0, 0, 0)");
        result.Lesions.Should().BeEmpty();
    }

    [Fact]
    public void AnalyzeFiles_MissingSlice_SkippedWithReason()
    {
        var spec = Spec with { Columns = 48, Rows = 48, Slices = 24, BodyRadii = (18, 16), Origin = new Vec3(-19, -19, -18), Lesions = [] };
        using var dir = new TempDir();
        var files = CtPhantom.WriteSeries(spec, dir.Path).Where((_, k) => k != 10);
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });

        var result = new AnalysisPipeline(TimeProvider.System).AnalyzeFiles(files, model);

        result.Status.Should().Be(AnalysisStatus.Skipped);
        result.Reason.Should().Be("missing slice: a gap of 3.00 mm between -4.50 and -1.50 mm along the normal, where the spacing is 1.50 mm");
    }

    [Fact]
    public void Analyze_Cancelled_Throws()
    {
        var spec = Spec with { Columns = 48, Rows = 48, Slices = 24, BodyRadii = (18, 16), Origin = new Vec3(-19, -19, -18), Lesions = [] };
        var series = Analysis.Assembly.SeriesAssembler.AssembleDatasets(CtPhantom.CreateSeries(spec)).Series!;
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var act = () => new AnalysisPipeline(TimeProvider.System).Analyze(series, model, cts.Token);

        act.Should().Throw<OperationCanceledException>();
    }

    private const double DiceFloor = 0.9;
    private const double VolumeTolerance = 0.05;
    private const double SmallLesionDiceFloor = 0.9;
    private const double SmallLesionVolumeTolerance = 0.1;
}
