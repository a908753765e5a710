using System.Diagnostics;
using System.Globalization;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using Microsoft.Extensions.Logging;

namespace MedNode.Bench;

/// <summary>
/// The analysis pipeline (issue 6 benchmark): one series folder, one model, CPU or CUDA. Prints per-stage timings of
/// each run, the execution provider actually used and the process's peak resident set (VmHWM).
/// </summary>
public static class AnalysisBench
{
    /// <param name="tileBatch">Tiles per ONNX Runtime Run; 0 leaves the default (1 on CPU, 8 on CUDA).</param>
    public static int Run(string seriesDir, string modelDir, string device, int repeats, int threads, int tileBatch = 0)
    {
        var files = Directory.GetFiles(seriesDir, "*.dcm").Order(StringComparer.Ordinal).ToArray();
        var options = new InferenceOptions
        {
            Device = Enum.Parse<InferenceDevice>(device, ignoreCase: true),
            IntraOpNumThreads = threads,
            TileBatch = tileBatch > 0 ? tileBatch : null,
            CudnnConvAlgoSearch = Environment.GetEnvironmentVariable("MEDNODE_CUDNN_CONV_ALGO_SEARCH"),
        };
        var load = Stopwatch.StartNew();
        using var model = new ModelLoader(new ConsoleLogger()).Load(modelDir, options);
        load.Stop();
        Console.WriteLine(Invariant($"model {model.Manifest.Id} {model.Manifest.Version} on {model.Device}, loaded in {load.Elapsed.TotalSeconds:F2} s; {files.Length} files; intra-op threads {threads}; tile batch {model.TileBatch}; cudnn_conv_algo_search {options.CudnnConvAlgoSearch ?? "(default)"}"));
        var pipeline = new AnalysisPipeline(TimeProvider.System);
        var totals = new List<double>();
        for (var r = 0; r <= repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            var result = pipeline.AnalyzeFiles(files, model);
            sw.Stop();
            var stages = string.Join(", ", result.Timings.Select(t => Invariant($"{t.Stage} {t.Elapsed.TotalSeconds:F3}{(t.ProcessCpu is { } cpu ? $" (cpu {cpu.TotalSeconds:F3}, kernel {t.KernelCpu?.TotalSeconds:F3})" : "")}")));
            Console.WriteLine(Invariant($"{(r == 0 ? "warm-up" : "run " + r)}: {result.Status} on {result.Device}, {result.Lesions.Count} lesions ({result.Lesions.Sum(l => l.Measurements.VolumeVoxelCounting):F0} mm³), total {sw.Elapsed.TotalSeconds:F3} s ({stages}); peak RSS {PeakRssMb():F0} MB"));
            if (r > 0) totals.Add(sw.Elapsed.TotalSeconds);
        }
        totals.Sort();
        if (totals.Count > 0) Console.WriteLine(Invariant($"median total {totals[totals.Count / 2]:F3} s over {totals.Count} runs; peak RSS {PeakRssMb():F0} MB"));
        return 0;
    }

    private static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        }
        return double.NaN;
    }

    /// <summary>Writes warnings (the CUDA fallback) to standard error.</summary>
    private sealed class ConsoleLogger : ILogger<ModelLoader>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Console.Error.WriteLine($"{logLevel}: {formatter(state, exception)}");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
