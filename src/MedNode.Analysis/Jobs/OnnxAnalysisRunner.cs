using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Analysis.Results;
using MedNode.Core.Export;
using MedNode.Core.Index;
using MedNode.Core.Jobs;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.Objects.StructuredReport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Analysis.Jobs;

/// <summary>
/// Runs a job with ONNX Runtime: the inputs' files go through <see cref="AnalysisPipeline"/> (assembly, quality gate,
/// inference, measurements), the result becomes SEG + SR and the SC + KOS fallback (<see cref="ResultEncoder"/>), and
/// the objects' UIDs are derived from the job id (<see cref="ResultUids"/>), so a job run again after a crash produces
/// the same instances. Each model is loaded once and kept (one session per model); a load that failed is tried again by the next job.
/// </summary>
public sealed class OnnxAnalysisRunner(string modelsRoot, IBlobStore blobs, InferenceOptions? inference = null, TimeProvider? timeProvider = null, ILoggerFactory? loggers = null) : IAnalysisRunner, IInstalledModels, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<LoadedModel>> _models = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ILoggerFactory _loggers = loggers ?? NullLoggerFactory.Instance;

    public string ModelsRoot => modelsRoot;

    /// <summary>The installed models' ids (folders with a model.json).</summary>
    public IReadOnlyList<string> InstalledModels() =>
        Directory.Exists(modelsRoot) ? Directory.EnumerateDirectories(modelsRoot).Where(d => File.Exists(Path.Combine(d, "model.json"))).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];

    /// <summary>The installed models with the version and hash their manifests give.</summary>
    public IReadOnlyList<InstalledModel> ListModels() =>
        InstalledModels().Select(id =>
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(modelsRoot, id, "model.json")));
            var root = doc.RootElement;
            return new InstalledModel(id, root.TryGetProperty("version", out var v) ? v.GetString() ?? "" : "", root.TryGetProperty("sha256", out var h) ? h.GetString() ?? "" : "");
        }).ToList();

    public string? ModelSha256(string modelId)
    {
        if (modelId.Length == 0 || modelId.IndexOfAny(['/', '\\', '.']) >= 0) return null;
        var manifest = Path.Combine(modelsRoot, modelId, "model.json");
        if (!File.Exists(manifest)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
        return doc.RootElement.TryGetProperty("sha256", out var sha) ? sha.GetString() : null;
    }

    public async Task<AnalysisRunResult> RunAsync(AnalysisJob job, IReadOnlyList<InstanceRecord> inputs, IReadOnlyList<SrDocumentReference> predecessorReports, string tempDirectory, CancellationToken cancellationToken)
    {
        var loading = _models.GetOrAdd(job.ModelId, id => new Lazy<LoadedModel>(() =>
            new ModelLoader(_loggers.CreateLogger<ModelLoader>()).Load(Path.Combine(modelsRoot, id), inference)));
        LoadedModel model;
        try
        {
            model = loading.Value;
        }
        catch (Exception)
        {
            // A model that failed to load (a damaged file, a hash that does not match its manifest) is loaded again for the
            // next job, so a job retried after the file is fixed runs; Lazy would otherwise keep the failure for good.
            _models.TryRemove(new KeyValuePair<string, Lazy<LoadedModel>>(job.ModelId, loading));
            throw;
        }
        if (!string.Equals(model.Manifest.Sha256, job.ModelSha256, StringComparison.OrdinalIgnoreCase))
            return new AnalysisRunResult(true, $"model {job.ModelId} changed since the job was queued ({job.ModelSha256} → {model.Manifest.Sha256})", [], new Dictionary<string, double>(), null);
        // Each input is checked against the SHA-256 recorded at ingest, as the store's read policy says.
        var files = inputs.Select(r => blobs.GetCheckedPath(r.BlobKey, r.Sha256)).ToArray();
        var result = await Task.Run(() => new AnalysisPipeline(_time).AnalyzeFiles(files, model, cancellationToken), cancellationToken);
        var timings = result.Timings.ToDictionary(t => t.Stage, t => t.Elapsed.TotalMilliseconds);
        // The process's CPU time during each stage beside its wall time ("assembly.cpu"), to tell a stage that waited
        // from one that worked (bench/RESULTS.md, "The loop").
        foreach (var t in result.Timings)
        {
            if (t.ProcessCpu is { } cpu) timings[t.Stage + ".cpu"] = cpu.TotalMilliseconds;
            if (t.KernelCpu is { } kernel) timings[t.Stage + ".kernel"] = kernel.TotalMilliseconds;
        }
        if (result.Status == AnalysisStatus.Skipped) return new AnalysisRunResult(true, result.Reason, [], timings, null, result.Device);
        if (result.Status != AnalysisStatus.Completed) throw new InvalidOperationException("the analysis failed: " + result.Reason);
        var measurements = JsonSerializer.Serialize(result.Lesions.Select(l => new { l.Number, label = l.Class.Label, l.Measurements }),
            new JsonSerializerOptions(JsonSerializerDefaults.Web) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        if (result.Lesions.Count == 0) return new AnalysisRunResult(false, null, [], timings, measurements, result.Device);

        var sw = Stopwatch.StartNew();
        var encoded = new ResultEncoder(_time).Encode(result, ResultSourceImages.Load(files, result, ResultObjects.All, cancellationToken), model.Manifest, ResultObjects.All, predecessorReports);
        var objects = new List<(DicomDataset Dataset, ResultKind Kind)>();
        if (encoded.Segmentation is { } seg) objects.Add((seg, ResultKind.Segmentation));
        if (encoded.MeasurementReport is { } sr) objects.Add((sr, ResultKind.StructuredReport));
        objects.AddRange(encoded.SecondaryCaptures.Select(sc => (sc, ResultKind.SecondaryCapture)));
        if (encoded.KeyObjectSelection is { } ko) objects.Add((ko, ResultKind.KeyObjectSelection));
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < objects.Count; i++)
        {
            var ds = objects[i].Dataset;
            if (ds.GetString(DicomTags.SOPInstanceUID) is { } sop) map[sop] = ResultUids.For(job.Id, $"sop/{objects[i].Kind}/{i}");
            if (ds.GetString(DicomTags.SeriesInstanceUID) is { } series && !map.ContainsKey(series) && !inputs.Any(r => r.SeriesInstanceUid == series))
                map[series] = ResultUids.For(job.Id, $"series/{objects[i].Kind}");
        }
        var written = new List<ResultFile>();
        foreach (var (ds, kind) in objects)
        {
            RemapUids(ds, map);
            var path = Path.Combine(tempDirectory, "result-" + Guid.NewGuid().ToString("N") + ".dcm");
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write)) DicomFileWriter.Write(stream, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            written.Add(new ResultFile(path, kind));
        }
        timings["encode"] = sw.Elapsed.TotalMilliseconds;
        return new AnalysisRunResult(false, null, written, timings, measurements, result.Device);
    }

    /// <summary>Replaces generated UIDs everywhere they occur (references between SR, SEG, SC and KOS included).</summary>
    private static void RemapUids(DicomDataset ds, IReadOnlyDictionary<string, string> map)
    {
        foreach (var item in ds.ToList())
        {
            if (item is DicomSequence seq)
            {
                foreach (var child in seq.Items) RemapUids(child, map);
            }
            else if (item.VR == DicomVR.UI)
            {
                var values = ds.GetStrings(item.Tag);
                if (values.Any(map.ContainsKey)) ds.AddOrUpdate(item.Tag, DicomVR.UI, values.Select(v => map.GetValueOrDefault(v, v)).ToArray());
            }
        }
    }

    public void Dispose()
    {
        foreach (var m in _models.Values)
            if (m.IsValueCreated) m.Value.Dispose();
    }
}
