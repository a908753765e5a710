using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.Persistence.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace MedNode.Host;

/// <summary>The <c>MedNode:Storage</c> section: how stored files are checked against the SHA-256 recorded at ingest.</summary>
public sealed class StorageSettings
{
    public const string Section = "MedNode:Storage";

    /// <summary>Always, WhenChanged (default) or Never: when a read of a stored file (any reader) hashes it first (<see cref="VerifyOnRead"/>).</summary>
    public VerifyOnRead VerifyOnRead { get; set; } = VerifyOnRead.WhenChanged;

    /// <summary>Time between scrubs, each of which re-verifies every indexed file; 0 turns the scrub off. Default one day.</summary>
    public TimeSpan ScrubInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Time from start-up to the first scrub (start-up has its own I/O: journal recovery, migrations). Default 10 minutes.</summary>
    public TimeSpan ScrubFirstDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Read rate cap of the scrub, bytes per second; 0: uncapped. Default 50 MB/s.</summary>
    public long ScrubBytesPerSecond { get; set; } = 50_000_000;

    /// <summary>Verified files remembered (WhenChanged); about 0.5 KiB each. Default 100,000.</summary>
    public int VerifiedCacheEntries { get; set; } = 100_000;

    public BlobIntegrityOptions ToOptions() => new()
    {
        VerifyOnRead = VerifyOnRead,
        MaxVerifiedEntries = VerifiedCacheEntries,
        ScrubBytesPerSecond = ScrubBytesPerSecond,
    };
}

/// <summary>Checks of <see cref="StorageSettings"/>.</summary>
public sealed class StorageSettingsValidator : IValidateOptions<StorageSettings>
{
    private const string S = StorageSettings.Section;

    public ValidateOptionsResult Validate(string? name, StorageSettings o)
    {
        List<string> problems = [];
        if (!Enum.IsDefined(o.VerifyOnRead)) problems.Add($"{S}:VerifyOnRead: must be Always, WhenChanged or Never");
        if (o.ScrubInterval < TimeSpan.Zero) problems.Add($"{S}:ScrubInterval: must not be negative (0 turns the scrub off)");
        if (o.ScrubFirstDelay < TimeSpan.Zero) problems.Add($"{S}:ScrubFirstDelay: must not be negative");
        if (o.ScrubBytesPerSecond < 0) problems.Add($"{S}:ScrubBytesPerSecond: must not be negative (0: uncapped)");
        if (o.VerifiedCacheEntries < 0) problems.Add($"{S}:VerifiedCacheEntries: must not be negative");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>
/// Runs the storage scrub (<see cref="BlobIntegrityService.ScrubAsync"/>) over every indexed instance, first
/// <see cref="StorageSettings.ScrubFirstDelay"/> after start-up, then every <see cref="StorageSettings.ScrubInterval"/>.
/// </summary>
public sealed partial class BlobScrubService(BlobIntegrityService integrity, IInstanceIndex index, IOptions<StorageSettings> settings, TimeProvider time, ILogger<BlobScrubService> logger) : BackgroundService
{
    private const int PageSize = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var s = settings.Value;
        if (s.ScrubInterval <= TimeSpan.Zero || index is not IRecentInstances recent) return;
        var wait = s.ScrubFirstDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, time, stoppingToken);
                await integrity.ScrubAsync(BlobIntegrityService.AllInstancesAsync(recent, PageSize, stoppingToken), index, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                LogScrubFailed(logger, ex.GetType().Name);
            }
            wait = s.ScrubInterval;
        }
    }

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Storage scrub stopped early ({Error}); the next one runs at its interval")]
    private static partial void LogScrubFailed(ILogger logger, string error);
}

/// <summary>
/// Degraded while a stored file is known not to match its SHA-256 (found by a read or the scrub, not verified since): the
/// node still serves everything else, so readiness stays up, but the state shows on <c>/health/ready</c>.
/// </summary>
public sealed class StorageIntegrityHealthCheck(BlobIntegrityService integrity) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = integrity.Status;
        var data = new Dictionary<string, object> { ["corrupted"] = status.Corrupted, ["verifyOnRead"] = integrity.Policy.ToString() };
        if (status.LastScrub is { } scrub)
        {
            data["lastScrubCompletedAt"] = scrub.CompletedAt;
            data["lastScrubChecked"] = scrub.Checked;
        }
        return Task.FromResult(status.Corrupted > 0
            ? HealthCheckResult.Degraded($"{status.Corrupted} stored file(s) do not match the SHA-256 recorded at ingest", data: data)
            : HealthCheckResult.Healthy("stored files match their SHA-256 as far as checked", data));
    }
}

public static class StorageIntegrityServiceCollectionExtensions
{
    /// <summary>The integrity checker with <c>MedNode:Storage</c>'s policy, its scrub and health check (needs the blob store and index).</summary>
    public static IServiceCollection AddMedNodeStorageIntegrity(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(StorageSettings.Section).Get<StorageSettings>() ?? new StorageSettings();
        services.AddSingleton(settings.ToOptions());
        // The store's own: every read of the store goes through it, and commits record their hashes in it.
        services.AddSingleton(sp => sp.GetRequiredService<IBlobStore>() is FileSystemBlobStore fs ? fs.Integrity
            : new BlobIntegrityService(sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<BlobIntegrityOptions>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BlobIntegrityService>>()));
        services.AddHostedService<BlobScrubService>();
        services.AddHealthChecks().AddCheck<StorageIntegrityHealthCheck>("storage-integrity", tags: ["ready"]);
        return services;
    }
}
