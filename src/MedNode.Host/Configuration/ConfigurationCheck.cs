using MedNode.Host.Health;
using MedNode.Host.Observability;
using MedNode.Persistence;
using Microsoft.Extensions.Options;
using Serilog;

namespace MedNode.Host.Configuration;

/// <summary>
/// Validates the whole configuration: each options section binds (a value of the wrong type names its setting) and
/// passes its validator, and the <c>Serilog</c> section builds a logger. <c>mednode serve</c> refuses to start on the
/// first problem list; <c>mednode config check</c> prints it.
/// </summary>
public static class ConfigurationCheck
{
    public static IReadOnlyList<string> Problems(IConfiguration configuration)
    {
        List<string> problems = [];
        Check(configuration, DimseSettings.Section, new DimseSettingsValidator(), problems);
        Check(configuration, DatabaseOptions.Section, new DatabaseOptionsValidator(), problems);
        Check(configuration, LoggingSettings.Section, new LoggingSettingsValidator(), problems);
        Check(configuration, ModelSettings.Section, new ModelSettingsValidator(), problems);
        Check(configuration, MedNode.Web.DicomWeb.DicomWebOptions.Section, new DicomWebOptionsValidator(), problems);
        Check(configuration, StorageSettings.Section, new StorageSettingsValidator(), problems);
        problems.AddRange(KestrelHttpsCheck.Problems(configuration));
        Check(configuration, MedNode.Web.Security.SecurityOptions.Section, new SecurityOptionsValidator(), problems);
        try
        {
            new LoggerConfiguration().ReadFrom.Configuration(configuration).CreateLogger().Dispose();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or InvalidCastException)
        {
            problems.Add("Serilog: " + OneLine(ex.Message));
        }
        return problems;
    }

    /// <summary>
    /// Registers the options sections with their validators and <c>ValidateOnStart</c>, after checking them now so
    /// that a bad value stops start-up before anything is built, with one line naming the setting.
    /// </summary>
    public static IServiceCollection AddMedNodeOptionsValidation(this IServiceCollection services, IConfiguration configuration)
    {
        var problems = Problems(configuration);
        if (problems.Count > 0) throw new InvalidOperationException("invalid configuration: " + string.Join("; ", problems));
        Register<DimseSettings, DimseSettingsValidator>(services, DimseSettings.Section);
        Register<DatabaseOptions, DatabaseOptionsValidator>(services, DatabaseOptions.Section);
        Register<LoggingSettings, LoggingSettingsValidator>(services, LoggingSettings.Section);
        Register<ModelSettings, ModelSettingsValidator>(services, ModelSettings.Section);
        Register<MedNode.Web.DicomWeb.DicomWebOptions, DicomWebOptionsValidator>(services, MedNode.Web.DicomWeb.DicomWebOptions.Section);
        Register<StorageSettings, StorageSettingsValidator>(services, StorageSettings.Section);
        return services;
    }

    private static void Register<T, TValidator>(IServiceCollection services, string section)
        where T : class
        where TValidator : class, IValidateOptions<T>
    {
        services.AddSingleton<IValidateOptions<T>, TValidator>();
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    private static void Check<T>(IConfiguration configuration, string section, IValidateOptions<T> validator, List<string> problems)
        where T : class, new()
    {
        T value;
        try
        {
            value = configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            problems.Add(OneLine(ex.Message));
            return;
        }
        var result = validator.Validate(Options.DefaultName, value);
        if (result.Failed) problems.AddRange(result.Failures ?? [result.FailureMessage]);
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}

/// <summary><c>mednode config check [--config FILE]</c>: prints OK, or each problem on its own line and exits 1.</summary>
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
        IConfiguration configuration;
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
        if (problems.Count == 0)
        {
            Console.Out.WriteLine("OK");
            return 0;
        }
        foreach (var p in problems) Console.Out.WriteLine(p);
        return 1;
    }
}
