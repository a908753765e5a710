namespace MedNode.Host.Observability;

/// <summary>Where the console log goes and in which shape.</summary>
public enum ConsoleLogFormat
{
    /// <summary>Human text when stdout is a terminal, compact JSON (CLEF) when it is redirected.</summary>
    Auto,
    Text,
    Json,
    None,
}

/// <summary>
/// The <c>MedNode:Logging</c> section: the sinks MedNode sets up itself. Levels and any extra sinks come from the
/// standard <c>Serilog</c> section (MinimumLevel, Override, WriteTo), read by Serilog.Settings.Configuration.
/// </summary>
public sealed class LoggingSettings
{
    public const string Section = "MedNode:Logging";

    public ConsoleLogFormat Console { get; set; } = ConsoleLogFormat.Auto;

    /// <summary>Rolling log file (compact JSON); the date is inserted before the extension. Empty: no file.</summary>
    public string? FilePath { get; set; } = "logs/mednode-.json";

    /// <summary>Days of log files kept.</summary>
    public int RetainedFileCount { get; set; } = 14;

    /// <summary>A file rolls over early when it reaches this size.</summary>
    public long FileSizeLimitBytes { get; set; } = 100L << 20;
}
