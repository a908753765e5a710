using Microsoft.Extensions.Configuration.Json;

namespace MedNode.Host.Configuration;

/// <summary>
/// <c>mednode config check [--config FILE]</c>: runs <see cref="ConfigurationCheck"/>, the checks <c>mednode serve</c>
/// runs at start. Prints each problem on its own line and exits 1, or prints OK, the sections checked and the files read.
/// </summary>
public static class ConfigCommand
{
    public const string UsageText = "usage: mednode config check [--config FILE]";

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] != "check") throw new UsageException(UsageText);
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, $"appsettings.{environment}.json"), optional: true);
        IConfigurationRoot configuration;
        try
        {
            configuration = builder.AddMedNodeSources(args[1..]).Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException)
        {
            Console.Out.WriteLine("not JSON: " + ex.Message.ReplaceLineEndings(" "));
            return 1;
        }
        var problems = ConfigurationCheck.Problems(configuration);
        if (problems.Count > 0)
        {
            foreach (var p in problems) Console.Out.WriteLine(p);
            return 1;
        }
        Console.Out.WriteLine("OK");
        Console.Out.WriteLine($"sections checked ({ConfigurationCheck.Sections.Count}): {string.Join(", ", ConfigurationCheck.Sections.Select(s => s.Key))}");
        Console.Out.WriteLine($"files read: {string.Join(", ", FilesRead(configuration).DefaultIfEmpty("none"))}; then environment variables and arguments");
        return 0;
    }

    /// <summary>The JSON files that exist among the configuration's sources, in increasing precedence.</summary>
    private static IEnumerable<string> FilesRead(IConfigurationRoot configuration) =>
        configuration.Providers.OfType<JsonConfigurationProvider>()
            .Select(p => p.Source.FileProvider?.GetFileInfo(p.Source.Path ?? ""))
            .Where(f => f is { Exists: true, PhysicalPath: not null })
            .Select(f => f!.PhysicalPath!);
}
