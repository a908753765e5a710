using MedNode.Core.Storage;
using MedNode.Host.Health;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Prometheus;
using Serilog;

namespace MedNode.Host.Observability;

/// <summary>Serilog, Prometheus <c>/metrics</c> and the <c>/health/ready</c> checks, wired in the composition root.</summary>
public static class ObservabilityExtensions
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddMedNodeObservability(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var logging = configuration.GetSection(LoggingSettings.Section).Get<LoggingSettings>() ?? new LoggingSettings();
        builder.Services.AddSerilog((_, logger) => LoggingSetup.Configure(logger, configuration, logging));
        builder.Services.AddSingleton<PrometheusMetrics>();
        builder.Services.AddSingleton<ModelHealthCheck>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddCheck<StorageHealthCheck>("storage", tags: [ReadyTag])
            .AddCheck<DimseListenerHealthCheck>("dimse", tags: [ReadyTag])
            .AddCheck<ModelHealthCheck>("model", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>Request logging, HTTP metrics, <c>/metrics</c> and <c>/health/ready</c>. Call before the other endpoints.</summary>
    public static WebApplication UseMedNodeObservability(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<PrometheusMetrics>(); // starts the meter bridge before the listeners
        var store = app.Services.GetRequiredService<IBlobStore>();
        var dimse = app.Services.GetRequiredService<IOptions<DimseSettings>>().Value;
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            metrics.StorageMinFreeBytes.Set(dimse.MinFreeBytes);
            try
            {
                metrics.StorageFreeBytes.Set(store.AvailableBytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                metrics.StorageFreeBytes.Set(0);
            }
        });
        app.UseSerilogRequestLogging();
        app.UseHttpMetrics();
        var metricsEndpoint = app.MapMetrics("/metrics");
        if (app.Services.GetService<SecurityOptions>() is { MetricsRole.Length: > 0 } security)
            metricsEndpoint.RequireMedNodeRole(security.MetricsRole);
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = HealthResponseWriter.WriteAsync });
        return app;
    }
}
