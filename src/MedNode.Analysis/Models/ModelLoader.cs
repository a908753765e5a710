using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace MedNode.Analysis.Models;

/// <summary>Where inference runs: try CUDA and fall back to CPU, CUDA (falling back likewise), or CPU only.</summary>
public enum InferenceDevice
{
    Auto,
    Cuda,
    Cpu,
}

/// <summary>Session settings for <see cref="ModelLoader"/>.</summary>
public sealed record InferenceOptions
{
    public InferenceDevice Device { get; init; } = InferenceDevice.Auto;

    /// <summary>Threads for one operator; set it to the cores given to inference (MODELS.md: 1 → 2 threads gave 1.6×).</summary>
    public int IntraOpNumThreads { get; init; } = 2;

    /// <summary>
    /// Tiles per <c>Run</c> of the sliding window, used only where the graph's batch axis is dynamic (both bundled
    /// models'); null: <see cref="DefaultCudaTileBatch"/> on CUDA and 1 on CPU. At most <see cref="MaxTileBatch"/>.
    /// Measured on an H100 (bench/RESULTS.md): 8 or 16 tiles per <c>Run</c> gained at most about 15 % of phantom-lesion's
    /// inference and made sts-ct's 4× slower under ONNX Runtime's default EXHAUSTIVE cuDNN search, so the default is 1.
    /// </summary>
    public int? TileBatch { get; init; }

    /// <summary>
    /// The CUDA execution provider's <c>cudnn_conv_algo_search</c>: EXHAUSTIVE, HEURISTIC or DEFAULT; null keeps ONNX
    /// Runtime's default (EXHAUSTIVE). Ignored when the model runs on CPU.
    /// </summary>
    public string? CudnnConvAlgoSearch { get; init; }

    /// <summary>
    /// The CUDA execution provider's <c>arena_extend_strategy</c>: kNextPowerOfTwo or kSameAsRequested; null keeps ONNX
    /// Runtime's default (kNextPowerOfTwo). Ignored when the model runs on CPU.
    /// </summary>
    public string? CudaArenaExtendStrategy { get; init; }

    public const int DefaultCudaTileBatch = 1;

    public const int MaxTileBatch = 64;

    internal static readonly string[] CudnnConvAlgoSearchValues = ["EXHAUSTIVE", "HEURISTIC", "DEFAULT"];

    internal static readonly string[] CudaArenaExtendStrategyValues = ["kNextPowerOfTwo", "kSameAsRequested"];

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is out of range.</summary>
    public void Validate()
    {
        if (TileBatch is { } b && (b < 1 || b > MaxTileBatch))
            throw new ArgumentException($"TileBatch must be between 1 and {MaxTileBatch}, not {b}", nameof(TileBatch));
        if (CudnnConvAlgoSearch is { } s && !CudnnConvAlgoSearchValues.Contains(s, StringComparer.Ordinal))
            throw new ArgumentException($"CudnnConvAlgoSearch must be one of {string.Join(", ", CudnnConvAlgoSearchValues)}, not '{s}'", nameof(CudnnConvAlgoSearch));
        if (CudaArenaExtendStrategy is { } a && !CudaArenaExtendStrategyValues.Contains(a, StringComparer.Ordinal))
            throw new ArgumentException($"CudaArenaExtendStrategy must be one of {string.Join(", ", CudaArenaExtendStrategyValues)}, not '{a}'", nameof(CudaArenaExtendStrategy));
    }
}

/// <summary>A manifest or model file that cannot be used; the message says why.</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A loaded model: its manifest, its ONNX Runtime session and the execution provider it runs on.</summary>
public sealed class LoadedModel : IDisposable
{
    internal LoadedModel(ModelManifest manifest, InferenceSession session, string device, int tileBatch = 1)
    {
        Manifest = manifest;
        Session = session;
        Device = device;
        TileBatch = tileBatch;
    }

    public ModelManifest Manifest { get; }

    /// <summary>"cuda" or "cpu".</summary>
    public string Device { get; }

    /// <summary>Tiles the sliding window gives the session per <c>Run</c>: 1 where the graph's batch axis is fixed.</summary>
    public int TileBatch { get; }

    internal InferenceSession Session { get; }

    public void Dispose() => Session.Dispose();
}

/// <summary>
/// Loads <c>model.json</c> and its ONNX graph, refusing a manifest whose SHA-256 or tensor shapes do not match the
/// graph. CUDA is probed by appending the provider and creating the session — <c>GetAvailableProviders()</c> lists
/// what was compiled in, not what can load — catching <see cref="OnnxRuntimeException"/> (GPU build without CUDA 13
/// / cuDNN 9) and <see cref="EntryPointNotFoundException"/> (CPU build). A failed probe is logged once per loader
/// and CPU is used from then on.
/// </summary>
public sealed class ModelLoader(ILogger<ModelLoader> logger)
{
    private static readonly Action<ILogger, string, Exception?> LogCudaUnavailable =
        LoggerMessage.Define<string>(LogLevel.Warning, new EventId(6001, "CudaUnavailable"), "CUDA execution provider unavailable, falling back to CPU: {Reason}");

    private static readonly Action<ILogger, string, string, string, Exception?> LogLoaded =
        LoggerMessage.Define<string, string, string>(LogLevel.Information, new EventId(6002, "ModelLoaded"), "Loaded model {Id} {Version} on {Device}");

    // Reflection-based, so that members missing from the file keep their initialisers (overlap, threshold, layout…);
    // the source generator's object initialiser would set them to default.
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly Lock _gate = new();
    private bool _cudaFailed;

    /// <summary>Reads <paramref name="directory"/>/model.json and the model file it names.</summary>
    public LoadedModel Load(string directory, InferenceOptions? options = null)
    {
        options ??= new InferenceOptions();
        options.Validate();
        var manifestPath = Path.Combine(directory, "model.json");
        ModelManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllBytes(manifestPath), JsonOptions)
                ?? throw new ModelLoadException($"{manifestPath} is empty");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"cannot read model manifest {manifestPath}: {e.Message}", e);
        }
        ManifestValidator.Validate(manifest);

        var modelPath = Path.Combine(directory, manifest.ModelFile);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(modelPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"cannot read model file {modelPath}: {e.Message}", e);
        }
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(sha, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new ModelLoadException($"model {manifest.Id}: SHA-256 mismatch: {manifest.ModelFile} hashes to {sha}, but model.json says {manifest.Sha256}");

        var (session, device) = CreateSession(bytes, options, manifest.Id);
        int batchAxis;
        try
        {
            ManifestValidator.CheckShapes(manifest, session);
            batchAxis = session.InputMetadata[manifest.Input.TensorName].Dimensions[0];
        }
        catch
        {
            session.Dispose();
            throw;
        }
        // A fixed batch axis (dimension > 0) takes one tile per Run; a dynamic one (-1) takes the configured batch.
        var tileBatch = batchAxis > 0 ? 1 : options.TileBatch ?? (device == "cuda" ? InferenceOptions.DefaultCudaTileBatch : 1);
        LogLoaded(logger, manifest.Id, manifest.Version, device, null);
        return new LoadedModel(manifest, session, device, tileBatch);
    }

    private (InferenceSession Session, string Device) CreateSession(byte[] bytes, InferenceOptions options, string id)
    {
        bool tryCuda;
        lock (_gate) tryCuda = options.Device != InferenceDevice.Cpu && !_cudaFailed;
        if (tryCuda)
        {
            var cudaOptions = NewOptions(options);
            OrtCUDAProviderOptions? providerOptions = null;
            try
            {
                if (options.CudnnConvAlgoSearch is null && options.CudaArenaExtendStrategy is null)
                {
                    cudaOptions.AppendExecutionProvider_CUDA(0);
                }
                else
                {
                    // The CPU build has no CUDA provider options either: the constructor throws like the append does.
                    providerOptions = new OrtCUDAProviderOptions();
                    var settings = new Dictionary<string, string>(StringComparer.Ordinal) { ["device_id"] = "0" };
                    if (options.CudnnConvAlgoSearch is { } search) settings["cudnn_conv_algo_search"] = search;
                    if (options.CudaArenaExtendStrategy is { } arena) settings["arena_extend_strategy"] = arena;
                    providerOptions.UpdateOptions(settings);
                    cudaOptions.AppendExecutionProvider_CUDA(providerOptions);
                }
                return (new InferenceSession(bytes, cudaOptions), "cuda");
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                lock (_gate)
                {
                    if (!_cudaFailed) LogCudaUnavailable(logger, e.GetType().Name + ": " + e.Message, null);
                    _cudaFailed = true;
                }
            }
            finally
            {
                providerOptions?.Dispose();
                cudaOptions.Dispose();
            }
        }
        using var cpuOptions = NewOptions(options);
        try
        {
            return (new InferenceSession(bytes, cpuOptions), "cpu");
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"model {id}: ONNX Runtime cannot load the graph: {e.Message}", e);
        }
    }

    private static SessionOptions NewOptions(InferenceOptions options)
    {
        var o = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, options.IntraOpNumThreads),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        // Spinning threads under oversubscription were catastrophic (MODELS.md); the node shares cores with its servers.
        o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return o;
    }
}
