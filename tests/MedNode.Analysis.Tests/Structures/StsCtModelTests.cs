using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Analysis.Tests.Inference;
using MedNode.Analysis.Volumes;
using MedNode.TestSupport;
using Xunit.Abstractions;

namespace MedNode.Analysis.Tests.Structures;

/// <summary>
/// The bundled sts-ct model through the same pipeline as <c>mednode analyze</c> (<see cref="AnalysisPipeline.AnalyzeFiles"/>),
/// scored against the expert GTV rasterised by MedNode's RTSTRUCT rasteriser. The reference numbers come from the
/// training script's own evaluation (models/sts-ct/metrics.json, PyTorch with a NumPy re-implementation of the
/// pipeline), so the C# pipeline must reproduce what the model card reports.
/// </summary>
public class StsCtModelTests(ITestOutputHelper output)
{
    private static string ModelDir => Path.Combine(SharedData.RepoRoot, "models", "sts-ct");

    /// <summary>How far the C# Dice may lie from the training script's for the same patient: the two pipelines differ
    /// only in float rounding (resampling, ONNX Runtime versus PyTorch), which moves a few boundary voxels.</summary>
    private const double ReproductionTolerance = 0.02;

    [Fact]
    public void Load_BundledStsCtModel_HashMatchesManifestAndTrainingRecord()
    {
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });

        using var stream = File.OpenRead(Path.Combine(ModelDir, "model.onnx"));
        var sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        model.Manifest.Id.Should().Be("sts-ct");
        model.Manifest.Sha256.Should().Be(sha);
        Metrics().RootElement.GetProperty("sha256").GetString().Should().Be(sha, "metrics.json records the hash Python's hashlib computed at export");
        model.Manifest.Modality.Should().Be("CT");
        new FileInfo(Path.Combine(ModelDir, "model.onnx")).Length.Should().BeLessThan(20 << 20);
    }

    /// <summary>Validation patients (never trained on, models/sts-ct/MODEL_CARD.md): Dice at least the floor and
    /// within <see cref="ReproductionTolerance"/> of the training script's value.</summary>
    [RequiresTheory(StsCt.Data)]
    // Floors about 0.1 below the training script's Dice for these patients (0.84 and 0.73, metrics.json). The model's
    // validation mean is only 0.38 (MODEL_CARD.md): it misses the three small tumours entirely.
    [InlineData("STS_027", 0.74)]
    [InlineData("STS_047", 0.63)]
    public void AnalyzeFiles_ValidationPatient_ReproducesScriptDice(string patient, double floor) => Check(patient, floor, "validation");

    /// <summary>Issue #6's smoke test: three training patients, Dice above 0.5.</summary>
    [RequiresTheory(StsCt.Data)]
    [InlineData("STS_005")]
    [InlineData("STS_010")]
    [InlineData("STS_048")]
    public void AnalyzeFiles_TrainingPatient_DiceAboveHalf(string patient) => Check(patient, 0.5, "training");

    private void Check(string patient, double floor, string split)
    {
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelDir, new InferenceOptions { Device = InferenceDevice.Cpu, IntraOpNumThreads = 2 });
        var files = Directory.GetFiles(StsCt.ImageDir(patient), "*.dcm");

        var result = new AnalysisPipeline(TimeProvider.System).AnalyzeFiles(files, model);

        result.Status.Should().Be(AnalysisStatus.Completed, result.Reason);
        var series = StsCt.Series(patient);
        var truth = StsCt.GtvMask(patient, series);
        var predicted = new Volume<byte>(result.SourceGeometry!);
        foreach (var lesion in result.Lesions) LesionMasks.Paste(predicted, lesion);
        var dice = LesionMasks.Dice(predicted, truth);
        var record = Metrics().RootElement.GetProperty("patients").GetProperty(patient);
        var scriptDice = record.GetProperty("dice").GetDouble();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{patient}: C# Dice {dice:F4}, training script {scriptDice:F4}, lesions {result.Lesions.Count}"));

        record.GetProperty("split").GetString().Should().Be(split);
        dice.Should().BeGreaterThanOrEqualTo(floor);
        dice.Should().BeApproximately(scriptDice, ReproductionTolerance);
    }

    private static JsonDocument Metrics() => JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelDir, "metrics.json")));
}
