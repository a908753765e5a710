namespace MedNode.Host.Configuration;

/// <summary>
/// The configuration sources of the node, in increasing precedence: appsettings.json beside the program (added by
/// the host builder), appsettings.json in the working directory, the file named by <c>--config FILE</c>, environment
/// variables (<c>MedNode__Dimse__Port</c> sets <c>MedNode:Dimse:Port</c>, the ASP.NET Core convention), then
/// <c>--Key=value</c> command-line arguments.
/// </summary>
public static class MedNodeConfiguration
{
    public static IConfigurationBuilder AddMedNodeSources(this IConfigurationBuilder configuration, string[] args)
    {
        configuration.AddJsonFile(Path.Combine(Environment.CurrentDirectory, "appsettings.json"), optional: true);
        if (ConfigFile(args) is { } file)
        {
            var full = Path.GetFullPath(file);
            if (!File.Exists(full)) throw new UsageException($"--config: {file} does not exist");
            configuration.AddJsonFile(full, optional: false);
        }
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
        return configuration;
    }

    /// <summary>The value of <c>--config FILE</c> or <c>--config=FILE</c>, if given.</summary>
    public static string? ConfigFile(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
                return i + 1 < args.Length ? args[i + 1] : throw new UsageException("--config needs a file");
            if (args[i].StartsWith("--config=", StringComparison.Ordinal)) return args[i]["--config=".Length..];
        }
        return null;
    }
}
