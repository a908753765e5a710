using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace MedNode.Host.Observability;

/// <summary>
/// Serilog for the host: console (text on a terminal, compact JSON otherwise), a rolling JSON file, and whatever the
/// <c>Serilog</c> section adds. Scopes become properties (<c>AssociationId</c> from the DIMSE listener,
/// <c>RequestId</c>/<c>TraceId</c> from ASP.NET Core), so each line can be tied to its association or request. Nothing
/// here logs data set contents; the components log UIDs and AE titles at most (STYLE.md, Habits 7).
/// </summary>
public static class LoggingSetup
{
    private const string TextTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj} {AssociationId}{RequestId}{NewLine}{Exception}";

    public static void Configure(LoggerConfiguration logger, IConfiguration configuration, LoggingSettings settings)
    {
        logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            .ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext();
        var console = settings.Console == ConsoleLogFormat.Auto
            ? (System.Console.IsOutputRedirected ? ConsoleLogFormat.Json : ConsoleLogFormat.Text)
            : settings.Console;
        switch (console)
        {
            case ConsoleLogFormat.Json:
                logger.WriteTo.Console(new CompactJsonFormatter());
                break;
            case ConsoleLogFormat.Text:
                logger.WriteTo.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
                break;
        }
        if (!string.IsNullOrWhiteSpace(settings.FilePath))
        {
            logger.WriteTo.File(new CompactJsonFormatter(), settings.FilePath, rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: settings.RetainedFileCount, fileSizeLimitBytes: settings.FileSizeLimitBytes, rollOnFileSizeLimit: true);
        }
    }
}
