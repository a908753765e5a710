using MedNode.Analysis.Models;
using MedNode.Core.Storage;
using MedNode.Dicom.Network.Server;
using MedNode.Persistence.Index;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace MedNode.Host.Health;

/// <summary>The index database answers a connection.</summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<MedNodeDbContext> factory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy($"{db.Database.ProviderName} reachable")
                : HealthCheckResult.Unhealthy($"{db.Database.ProviderName} not reachable");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("database not reachable: " + ex.GetType().Name);
        }
    }
}

/// <summary>
/// The instance store can take a commit: a probe file can be written, flushed and deleted in its spool folder, and the
/// free space is above <see cref="DimseSettings.MinFreeBytes"/>, the watermark below which C-STORE answers 0xA700.
/// </summary>
public sealed class StorageHealthCheck(IBlobStore store, IOptions<DimseSettings> settings) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var min = settings.Value.MinFreeBytes;
        long free;
        var probe = Path.Combine(store.TempDirectory, ".health-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var fs = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await fs.WriteAsync("ok"u8.ToArray(), cancellationToken);
                fs.Flush(flushToDisk: true);
            }
            File.Delete(probe);
            free = store.AvailableBytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return HealthCheckResult.Unhealthy("storage not writable: " + ex.GetType().Name);
        }
        var data = new Dictionary<string, object> { ["freeBytes"] = free, ["minFreeBytes"] = min };
        return min > 0 && free < min
            ? HealthCheckResult.Unhealthy($"storage below its watermark: {free} bytes free, MedNode:Dimse:MinFreeBytes is {min}", data: data)
            : HealthCheckResult.Healthy("storage writable", data);
    }
}

/// <summary>The DIMSE listener is bound and accepting (healthy with a note when DIMSE is disabled).</summary>
public sealed class DimseListenerHealthCheck(DicomServer server, IOptions<DimseSettings> settings) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!settings.Value.Enabled) return Task.FromResult(HealthCheckResult.Healthy("DIMSE disabled"));
        var data = new Dictionary<string, object> { ["port"] = server.Port, ["activeAssociations"] = server.ActiveAssociations };
        return Task.FromResult(server.IsListening
            ? HealthCheckResult.Healthy($"listening on port {server.Port}", data)
            : HealthCheckResult.Unhealthy("DIMSE listener not accepting", data: data));
    }
}

/// <summary>
/// Every model under <see cref="ModelSettings.Path"/> loads: manifest valid, SHA-256 and tensor shapes match (on CPU,
/// once per process; the models do not change while the node runs). No model installed is Degraded: the node stores
/// and serves without one, but analysis is unavailable.
/// </summary>
public sealed class ModelHealthCheck(IOptions<ModelSettings> settings, ILogger<ModelLoader> logger) : IHealthCheck
{
    private readonly Lazy<HealthCheckResult> _result = new(() => Probe(settings.Value, logger));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.FromResult(_result.Value);

    private static HealthCheckResult Probe(ModelSettings settings, ILogger<ModelLoader> logger)
    {
        var root = settings.ResolvePath();
        var dirs = root == null ? [] : Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "model.json"))).Order(StringComparer.Ordinal).ToList();
        if (dirs.Count == 0) return HealthCheckResult.Degraded($"no model installed under {settings.Path}; analysis unavailable");
        var loader = new ModelLoader(logger);
        var loaded = new List<string>();
        foreach (var dir in dirs)
        {
            try
            {
                using var model = loader.Load(dir, new InferenceOptions { Device = InferenceDevice.Cpu, IntraOpNumThreads = 1 });
                loaded.Add($"{model.Manifest.Id} {model.Manifest.Version}");
            }
            catch (ModelLoadException ex)
            {
                return HealthCheckResult.Unhealthy($"model in {Path.GetFileName(dir)} does not load: {ex.Message}");
            }
        }
        return HealthCheckResult.Healthy("models loadable: " + string.Join(", ", loaded), new Dictionary<string, object> { ["models"] = loaded });
    }
}
