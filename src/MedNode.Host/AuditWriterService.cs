using MedNode.Core.Audit;

namespace MedNode.Host;

/// <summary>
/// Runs the <see cref="BackgroundAuditWriter"/> for the life of the host: the query and retrieve paths post their audit
/// events (PS3.15 §A.5.3.3, §A.5.3.6, §A.5.3.10) to it without waiting, and it appends them to the trail. Registered before
/// the DIMSE listener so that it stops after it and writes what the last requests posted.
/// </summary>
public sealed class AuditWriterHostedService(BackgroundAuditWriter writer) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => writer.RunAsync(stoppingToken);
}

public static class AuditWriterServiceCollectionExtensions
{
    /// <summary>Registers the writer as <see cref="IAuditSink"/> over the registered <see cref="IAuditTrail"/>, and its hosted loop.</summary>
    public static IServiceCollection AddMedNodeAuditWriter(this IServiceCollection services)
    {
        services.AddSingleton(sp => new BackgroundAuditWriter(sp.GetRequiredService<IAuditTrail>(), sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<BackgroundAuditWriter>>()));
        services.AddSingleton<IAuditSink>(sp => sp.GetRequiredService<BackgroundAuditWriter>());
        services.AddHostedService<AuditWriterHostedService>();
        return services;
    }
}
