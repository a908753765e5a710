using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Volumes;
using MedNode.TestSupport;
using Microsoft.Extensions.Logging;

namespace MedNode.Analysis.Tests.Inference;

/// <summary>
/// Several tiles per ONNX Runtime <c>Run</c> (issue #6): the same probabilities as one tile per <c>Run</c>, both computed
/// by ONNX Runtime on the CPU, with the last batch partial and edge tiles padded.
/// </summary>
public class TileBatchTests
{
    // 100 × 61 × 45 voxels under 48³ tiles at 25 % overlap: x starts 0, 36, 52; y 0, 13; z 0 with the tile padded from
    // 45 to 48 slices: 6 tiles, so batches of 4 end with 2, of 5 with 1, and 8 is one batch of 6.
    private static readonly CtPhantomSpec Spec = new()
    {
        Columns = 100,
        Rows = 61,
        Slices = 45,
        PixelSpacing = 1.5,
        SliceSpacing = 1.5,
        Origin = new Vec3(-75, -45, -33),
        BodyRadii = (70, 42),
        Seed = 7,
        Lesions =
        [
            new PhantomEllipsoid(new Vec3(-30, 0, 0), new Vec3(10, 9, 8), 130),
            new PhantomEllipsoid(new Vec3(25, 10, 5), new Vec3(7, 7, 6), 130),
        ],
    };

    private static string StsCtModelDir => Path.Combine(SharedData.RepoRoot, "models", "sts-ct");

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    public void Predict_BatchedTiles_MatchOneTilePerRun(int batch)
    {
        var loader = new ModelLoader(new CapturingLogger<ModelLoader>());
        using var single = loader.Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu, TileBatch = 1 });
        using var batched = loader.Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu, TileBatch = batch });
        batched.TileBatch.Should().Be(batch);
        var m = single.Manifest;
        var normalised = AnalysisPipeline.Normalise(CtPhantom.Render(Spec).Data, m.Normalisation);
        var pad = AnalysisPipeline.Normalise([-1024f], m.Normalisation)[0];

        var expected = SlidingWindow.Predict(single, normalised, Spec.Columns, Spec.Rows, Spec.Slices, pad, CancellationToken.None)[0];
        var actual = SlidingWindow.Predict(batched, normalised, Spec.Columns, Spec.Rows, Spec.Slices, pad, CancellationToken.None)[0];

        expected.Max().Should().BeGreaterThan(0.5f, "the lesions must light up, or agreeing says little");
        expected.Min().Should().BeLessThan(0.5f);
        actual.Should().HaveCount(expected.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        worst.Should().BeLessThanOrEqualTo(1e-5f);
    }

    [Fact]
    public void Load_BundledModels_HaveDynamicBatchAxis()
    {
        var loader = new ModelLoader(new CapturingLogger<ModelLoader>());
        foreach (var dir in new[] { ModelLoaderTests.PhantomModelDir, StsCtModelDir })
        {
            using var model = loader.Load(dir, new InferenceOptions { Device = InferenceDevice.Cpu, TileBatch = 3 });
            model.Session.InputMetadata[model.Manifest.Input.TensorName].Dimensions[0].Should().Be(-1, dir);
            model.TileBatch.Should().Be(3);
        }
    }

    [Fact]
    public void Load_NoTileBatchOnCpu_OneTilePerRun()
    {
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });
        model.TileBatch.Should().Be(1);
    }

    [Fact]
    public void Load_CudaProviderOptionsWithoutCuda_IgnoredAndFallsBackToCpu()
    {
        var logger = new CapturingLogger<ModelLoader>();
        using var model = new ModelLoader(logger).Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions
        {
            Device = InferenceDevice.Cuda,
            CudnnConvAlgoSearch = "HEURISTIC",
            CudaArenaExtendStrategy = "kSameAsRequested",
        });

        model.Device.Should().Be("cpu");
        model.TileBatch.Should().Be(1, "the CUDA default batch applies only where the model runs on CUDA");
        logger.Entries.Where(e => e.Level == LogLevel.Warning).Should().ContainSingle()
            .Which.Message.Should().StartWith("CUDA execution provider unavailable, falling back to CPU:");
    }

    [Theory]
    [InlineData(0, null, null, "TileBatch")]
    [InlineData(65, null, null, "TileBatch")]
    [InlineData(null, "FAST", null, "CudnnConvAlgoSearch")]
    [InlineData(null, null, "kDouble", "CudaArenaExtendStrategy")]
    public void Load_OptionOutOfRange_ThrowsNamingTheSetting(int? batch, string? search, string? arena, string setting)
    {
        var act = () => new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelLoaderTests.PhantomModelDir,
            new InferenceOptions { Device = InferenceDevice.Cpu, TileBatch = batch, CudnnConvAlgoSearch = search, CudaArenaExtendStrategy = arena });
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(setting);
    }
}
