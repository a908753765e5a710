using System.Text.Json.Nodes;
using MedNode.Analysis.Models;
using MedNode.TestSupport;
using Microsoft.Extensions.Logging;

namespace MedNode.Analysis.Tests.Inference;

public class ModelLoaderTests
{
    internal static string PhantomModelDir => Path.Combine(SharedData.RepoRoot, "models", "phantom-lesion");

    [Fact]
    public void Load_PhantomLesionOnCpu_LoadsWithManifestIdentity()
    {
        var loader = new ModelLoader(new CapturingLogger<ModelLoader>());
        using var model = loader.Load(PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });
        model.Device.Should().Be("cpu");
        model.Manifest.Id.Should().Be("phantom-lesion");
        model.Manifest.Classes.Should().ContainSingle().Which.Label.Should().Be("Lesion");
    }

    [Fact]
    public void Load_WrongHash_RefusedWithMismatchMessage()
    {
        using var dir = CopyModel(json => json["sha256"] = new string('0', 64));
        var loader = new ModelLoader(new CapturingLogger<ModelLoader>());

        var act = () => loader.Load(dir.Path, new InferenceOptions { Device = InferenceDevice.Cpu });

        act.Should().Throw<ModelLoadException>()
            .WithMessage($"model phantom-lesion: SHA-256 mismatch: model.onnx hashes to *, but model.json says {new string('0', 64)}");
    }

    [Theory]
    [InlineData("zoom", 1.0, "refinement.zoom must be above 1 and at most 4")]
    [InlineData("zoom", 8.0, "refinement.zoom must be above 1 and at most 4")]
    [InlineData("marginMm", -1.0, "refinement.marginMm must be between 0 and 200")]
    [InlineData("maxVoxels", 0.0, "refinement.maxVoxels must be positive")]
    public void Load_BadRefinement_RefusedNamingTheSetting(string setting, double value, string message)
    {
        using var dir = CopyModel(json => json["refinement"]![setting] = setting == "maxVoxels" ? JsonValue.Create((int)value) : JsonValue.Create(value));
        var loader = new ModelLoader(new CapturingLogger<ModelLoader>());

        var act = () => loader.Load(dir.Path, new InferenceOptions { Device = InferenceDevice.Cpu });

        act.Should().Throw<ModelLoadException>().WithMessage($"model phantom-lesion: {message}");
    }

    [Fact]
    public void Load_ManifestWithTwoSigmoidClasses_RefusedAsShapeMismatch()
    {
        using var dir = CopyModel(json =>
        {
            var classes = json["classes"]!.AsArray();
            var second = classes[0]!.DeepClone();
            second["channel"] = 1;
            classes.Add(second);
        });
        var loader = new ModelLoader(new CapturingLogger<ModelLoader>());

        var act = () => loader.Load(dir.Path, new InferenceOptions { Device = InferenceDevice.Cpu });

        act.Should().Throw<ModelLoadException>().WithMessage("model phantom-lesion: shape mismatch: the output has 1 channels; the manifest implies 2");
    }

    [Fact]
    public void Load_WrongInputName_RefusedAsShapeMismatch()
    {
        using var dir = CopyModel(json => json["input"]!["tensorName"] = "input");
        var act = () => new ModelLoader(new CapturingLogger<ModelLoader>()).Load(dir.Path, new InferenceOptions { Device = InferenceDevice.Cpu });
        act.Should().Throw<ModelLoadException>().WithMessage("model phantom-lesion: shape mismatch: the graph has no input 'input' (it has image)");
    }

    [Fact]
    public void Load_CudaRequestedWithoutCuda_FallsBackToCpuAndLogsOnce()
    {
        var logger = new CapturingLogger<ModelLoader>();
        var loader = new ModelLoader(logger);

        using var first = loader.Load(PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cuda });
        using var second = loader.Load(PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Auto });

        first.Device.Should().Be("cpu");
        second.Device.Should().Be("cpu");
        logger.Entries.Where(e => e.Level == LogLevel.Warning).Should().ContainSingle()
            .Which.Message.Should().StartWith("CUDA execution provider unavailable, falling back to CPU:");
    }

    private static TempDir CopyModel(Action<JsonNode> edit)
    {
        var dir = new TempDir();
        File.Copy(Path.Combine(PhantomModelDir, "model.onnx"), dir.File("model.onnx"));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(PhantomModelDir, "model.json")))!;
        edit(json);
        File.WriteAllText(dir.File("model.json"), json.ToJsonString());
        return dir;
    }
}
