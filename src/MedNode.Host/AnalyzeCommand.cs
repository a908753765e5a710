using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Analysis.Results;
using MedNode.Dicom;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Host;

/// <summary>
/// `mednode analyze DIR --model ID --out result.json [--models DIR] [--device auto|cuda|cpu] [--threads N]
/// [--dicom-out DIR [--objects seg+sr|sc+kos|all]]`: runs the analysis pipeline on the DICOM files of one series in DIR
/// and writes the result (without the voxel masks) as JSON; with --dicom-out, also the result as DICOM objects on the
/// source series: seg.dcm and sr.dcm, and/or the fallback sc-NNN.dcm and ko.dcm (see <see cref="ResultEncoder"/>).
/// Exit code 0 when the analysis completed, 3 when the series was skipped, 4 when the analysis failed.
/// </summary>
public static class AnalyzeCommand
{
    private const string UsageText = "usage: mednode analyze DIR --model ID --out result.json [--models DIR] [--device auto|cuda|cpu] [--threads N] [--dicom-out DIR [--objects seg+sr|sc+kos|all]]";

    // Named literals, so that a measurement that is NaN (e.g. HU std of a one-voxel lesion) does not abort the write.
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static int Run(string[] args)
    {
        string[] valued = ["--model", "--out", "--models", "--device", "--threads", "--dicom-out", "--objects"];
        var positional = new List<string>();
        var options = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (valued.Contains(args[i]) && i + 1 < args.Length) options[args[i]] = args[++i];
            else if (args[i].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown or incomplete option '{args[i]}'");
            else positional.Add(args[i]);
        }
        if (positional.Count != 1 || !options.TryGetValue("--model", out var modelId) || !options.TryGetValue("--out", out var outPath)) throw new UsageException(UsageText);
        if (!Directory.Exists(positional[0])) throw new UsageException($"'{positional[0]}' is not a directory");
        var device = options.GetValueOrDefault("--device", "auto") switch
        {
            "auto" => InferenceDevice.Auto,
            "cuda" => InferenceDevice.Cuda,
            "cpu" => InferenceDevice.Cpu,
            var d => throw new UsageException($"--device must be auto, cuda or cpu, not '{d}'"),
        };
        var threads = 2;
        if (options.TryGetValue("--threads", out var t) && (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out threads) || threads < 1))
            throw new UsageException($"--threads must be a positive number, not '{t}'");
        var objects = options.GetValueOrDefault("--objects", "seg+sr") switch
        {
            "seg+sr" => ResultObjects.SegmentationAndReport,
            "sc+kos" => ResultObjects.SecondaryCaptureAndKeyObjects,
            "all" => ResultObjects.All,
            var o => throw new UsageException($"--objects must be seg+sr, sc+kos or all, not '{o}'"),
        };
        var modelsRoot = options.GetValueOrDefault("--models") ?? FindModelsRoot();

        using var model = new ModelLoader(NullLogger<ModelLoader>.Instance).Load(Path.Combine(modelsRoot, modelId), new InferenceOptions { Device = device, IntraOpNumThreads = threads });
        var files = Directory.EnumerateFiles(positional[0]).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        var result = new AnalysisPipeline(TimeProvider.System).AnalyzeFiles(files, model);
        File.WriteAllText(outPath, ToJson(result).ToJsonString(Json));
        Console.Error.WriteLine($"mednode: {result.Status.ToString().ToLowerInvariant()} on {result.Device}, {result.Lesions.Count} lesion(s){(result.Reason is { } r ? ": " + r : "")}");
        if (options.TryGetValue("--dicom-out", out var dicomOut) && result.Status == AnalysisStatus.Completed)
        {
            if (result.Lesions.Count == 0) Console.Error.WriteLine("mednode: no lesion, no DICOM result objects written");
            else WriteObjects(new ResultEncoder(TimeProvider.System).Encode(result, ResultSourceImages.Load(files, result, objects), model.Manifest, objects), dicomOut);
        }
        return result.Status switch
        {
            AnalysisStatus.Completed => 0,
            AnalysisStatus.Skipped => 3,
            _ => 4,
        };
    }

    private static void WriteObjects(EncodedResult encoded, string directory)
    {
        Directory.CreateDirectory(directory);
        void Write(string name, DicomDataset ds)
        {
            var path = Path.Combine(directory, name);
            using (var stream = File.Create(path)) DicomFileWriter.Write(stream, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            Console.Error.WriteLine($"mednode: wrote {path}");
        }
        if (encoded.Segmentation is { } seg) Write("seg.dcm", seg);
        if (encoded.MeasurementReport is { } sr) Write("sr.dcm", sr);
        for (var i = 0; i < encoded.SecondaryCaptures.Count; i++) Write($"sc-{i + 1:D3}.dcm", encoded.SecondaryCaptures[i]);
        if (encoded.KeyObjectSelection is { } ko) Write("ko.dcm", ko);
    }

    private static string FindModelsRoot()
    {
        foreach (var root in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            var candidate = Path.Combine(root, "models");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new UsageException("no models folder in the current or the program's directory; pass --models DIR");
    }

    private static JsonObject ToJson(AnalysisResult result) => new()
    {
        ["status"] = result.Status.ToString(),
        ["reason"] = result.Reason,
        ["model"] = JsonSerializer.SerializeToNode(result.Model, Json),
        ["device"] = result.Device,
        ["quality"] = JsonSerializer.SerializeToNode(result.Quality, Json),
        ["sourceGeometry"] = JsonSerializer.SerializeToNode(result.SourceGeometry, Json),
        ["slices"] = JsonSerializer.SerializeToNode(result.Slices, Json),
        ["timingsMs"] = new JsonObject(result.Timings.Select(s => KeyValuePair.Create(s.Stage, (JsonNode?)JsonValue.Create(Math.Round(s.Elapsed.TotalMilliseconds, 1))))),
        ["lesions"] = new JsonArray(result.Lesions.Select(l => (JsonNode?)new JsonObject
        {
            ["number"] = l.Number,
            ["label"] = l.Class.Label,
            ["category"] = JsonSerializer.SerializeToNode(l.Class.Category, Json),
            ["type"] = JsonSerializer.SerializeToNode(l.Class.Type, Json),
            ["meanProbability"] = Math.Round(l.MeanProbability, 4),
            ["boxInSource"] = JsonSerializer.SerializeToNode(l.BoxInSource, Json),
            ["measurements"] = JsonSerializer.SerializeToNode(l.Measurements, Json),
        }).ToArray()),
    };
}
