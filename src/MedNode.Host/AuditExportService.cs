using MedNode.Core.Audit;
using MedNode.Core.Audit.Export;

namespace MedNode.Host;

/// <summary>
/// Runs the <see cref="AuditMessageExporter"/> (PS3.15 audit messages to a file and/or syslog, <c>MedNode:Audit:Export</c>) for
/// the life of the host (the container disposes the exporter, closing its file and sockets). Registered before the other hosted services so that it stops after them and still sends what they
/// appended last (Application Stop among it).
/// </summary>
public sealed class AuditExportHostedService(AuditMessageExporter exporter) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => exporter.RunAsync(stoppingToken);
}

public static class AuditExportServiceCollectionExtensions
{
    /// <summary>
    /// When <c>MedNode:Audit:Export</c> names a file or a syslog host: wraps the registered <see cref="IAuditTrail"/> so that
    /// every appended row is also exported, and registers the exporter's hosted loop. Call after the persistence registration.
    /// </summary>
    public static IServiceCollection AddMedNodeAuditExport(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AuditExportOptions.Section).Get<AuditExportOptions>() ?? new AuditExportOptions();
        // Validated before, with the other sections, by Configuration.ConfigurationCheck.
        if (!options.Enabled) return services;
        var trail = services.LastOrDefault(d => d.ServiceType == typeof(IAuditTrail))
            ?? throw new InvalidOperationException($"{AuditExportOptions.Section} needs an audit trail (register persistence first)");
        services.Remove(trail);
        services.AddSingleton(sp =>
        {
            var time = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            var audit = configuration.GetSection("MedNode:Audit").Get<AuditOptions>() ?? new AuditOptions();
            return new AuditMessageExporter(AuditMessageExporter.CreateSinks(options, time), options, audit, time, sp.GetRequiredService<ILogger<AuditMessageExporter>>());
        });
        services.AddSingleton<IAuditTrail>(sp => new ExportingAuditTrail(Create(trail, sp), sp.GetRequiredService<AuditMessageExporter>()));
        services.AddHostedService<AuditExportHostedService>();
        return services;
    }

    private static IAuditTrail Create(ServiceDescriptor d, IServiceProvider sp) => (IAuditTrail)(d.ImplementationInstance
        ?? d.ImplementationFactory?.Invoke(sp)
        ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));
}
