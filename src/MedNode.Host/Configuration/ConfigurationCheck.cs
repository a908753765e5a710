using MedNode.Core.Audit.Export;
using MedNode.Core.Completion;
using MedNode.Core.Export;
using MedNode.Core.Jobs;
using MedNode.Core.Retention;
using MedNode.Core.Rules;
using MedNode.Host.Health;
using MedNode.Host.Observability;
using MedNode.Persistence;
using MedNode.Web.DicomWeb;
using MedNode.Web.Security;
using Microsoft.Extensions.Options;
using Serilog;

namespace MedNode.Host.Configuration;

/// <summary>
/// One configuration section that <see cref="ConfigurationCheck"/> validates: its key, the MedNode type bound from it
/// (for a list section, the type of its entries; null for <c>Kestrel</c> and <c>Serilog</c>, read by their own
/// libraries), and the check, which returns every problem, each starting with the full key of its setting.
/// </summary>
public sealed record CheckedSection(string Key, Type? OptionsType, Func<IConfiguration, IEnumerable<string>> Problems);

/// <summary>
/// The one validation path of the configuration: each section binds (a value of the wrong type names its setting) and
/// passes its checks, and the <c>Serilog</c> section builds a logger. <c>mednode serve</c> runs it before anything is
/// built and refuses to start on a problem; <c>mednode config check</c> prints the same problems. The services that
/// read these sections later only bind them. A guard test fails when a MedNode options type with a <c>Validate</c>
/// method is missing from <see cref="Sections"/>.
/// </summary>
public static class ConfigurationCheck
{
    public static IReadOnlyList<CheckedSection> Sections { get; } =
    [
        Validated(DimseSettings.Section, new DimseSettingsValidator()),
        Validated(DatabaseOptions.Section, new DatabaseOptionsValidator()),
        Validated(LoggingSettings.Section, new LoggingSettingsValidator()),
        Validated(ModelSettings.Section, new ModelSettingsValidator()),
        Validated(DicomWebOptions.Section, new DicomWebOptionsValidator()),
        Validated(StorageSettings.Section, new StorageSettingsValidator()),
        new("Kestrel", null, KestrelHttpsCheck.Problems),
        Validated(SecurityOptions.Section, new SecurityOptionsValidator()),
        new("Serilog", null, SerilogProblems),
        Bound<CompletionOptions>("MedNode:Completion", o => o.Validate()),
        new(DestinationsSection, typeof(ExportDestination), DestinationProblems),
        new(RulesSection, typeof(RoutingRule), RuleProblems),
        Bound<JobOptions>("MedNode:Jobs", o => o.Validate()),
        Bound<ExportOptions>("MedNode:Export", o => o.Validate()),
        Bound<AnalysisSettings>(AnalysisSettings.Section, AnalysisProblems),
        Bound<RetentionOptions>(RetentionOptions.Section, o => o.Validate()),
        Bound<AuditExportOptions>(AuditExportOptions.Section, o => o.Validate()),
    ];

    private const string DestinationsSection = "MedNode:Destinations";
    private const string RulesSection = "MedNode:Rules";

    /// <summary>Every problem of every section, in the order of <see cref="Sections"/>; empty when the configuration is valid.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration) =>
        Sections.SelectMany(s => s.Problems(configuration)).Select(OneLine).ToList();

    /// <summary>
    /// Registers the options sections with their validators and <c>ValidateOnStart</c>, after checking the whole
    /// configuration now (<see cref="Problems"/>) so that a bad value stops start-up before anything is built, with one
    /// line naming each setting.
    /// </summary>
    public static IServiceCollection AddMedNodeOptionsValidation(this IServiceCollection services, IConfiguration configuration)
    {
        var problems = Problems(configuration);
        if (problems.Count > 0) throw new InvalidOperationException("invalid configuration: " + string.Join("; ", problems));
        Register<DimseSettings, DimseSettingsValidator>(services, DimseSettings.Section);
        Register<DatabaseOptions, DatabaseOptionsValidator>(services, DatabaseOptions.Section);
        Register<LoggingSettings, LoggingSettingsValidator>(services, LoggingSettings.Section);
        Register<ModelSettings, ModelSettingsValidator>(services, ModelSettings.Section);
        Register<DicomWebOptions, DicomWebOptionsValidator>(services, DicomWebOptions.Section);
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

    private static CheckedSection Validated<T>(string key, IValidateOptions<T> validator)
        where T : class, new() =>
        Bound<T>(key, value => validator.Validate(Options.DefaultName, value) is { Failed: true } r ? r.Failures ?? [r.FailureMessage] : []);

    private static CheckedSection Bound<T>(string key, Func<T, IEnumerable<string>> check)
        where T : class, new() =>
        new(key, typeof(T), configuration => TryBind(configuration, key, out T? value, out var error) ? check(value ?? new T()) : [error!]);

    /// <summary>Binds a section; a value that does not convert fails with the binder's message, after the key it names.</summary>
    private static bool TryBind<T>(IConfiguration configuration, string key, out T? value, out string? error)
        where T : class
    {
        try
        {
            value = configuration.GetSection(key).Get<T>();
            error = null;
            return true;
        }
        catch (InvalidOperationException ex)
        {
            value = null;
            error = $"{BinderKey(ex.Message) ?? key}: {ex.Message}";
            return false;
        }
    }

    /// <summary>The key in the binder's "Failed to convert configuration value 'x' at 'MedNode:Jobs:Lease' to type ...".</summary>
    private static string? BinderKey(string message)
    {
        const string at = " at '";
        var start = message.IndexOf(at, StringComparison.Ordinal);
        if (start < 0) return null;
        start += at.Length;
        var end = message.IndexOf('\'', start);
        return end > start ? message[start..end] : null;
    }

    private static IEnumerable<string> DestinationProblems(IConfiguration configuration) =>
        TryBind(configuration, DestinationsSection, out List<ExportDestination>? list, out var error)
            ? DestinationCatalog.Validate(list ?? [], DestinationsSection)
            : [error!];

    private static IEnumerable<string> RuleProblems(IConfiguration configuration)
    {
        if (!TryBind(configuration, RulesSection, out List<RoutingRule>? rules, out var error)) return [error!];
        // A rule may name only a configured destination; when the destinations do not bind, that section says so.
        ISet<string>? known = TryBind(configuration, DestinationsSection, out List<ExportDestination>? destinations, out _)
            ? (destinations ?? []).Select(d => d.Name).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : null;
        return RuleEngine.Validate(rules ?? [], known, section: RulesSection);
    }

    private static IEnumerable<string> AnalysisProblems(AnalysisSettings settings)
    {
        try
        {
            settings.ToInferenceOptions().Validate();
            return [];
        }
        catch (ArgumentException e)
        {
            // InferenceOptions' messages start with the name of the setting ("TileBatch must be ...").
            var message = e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            return [message.StartsWith(e.ParamName + " ", StringComparison.Ordinal) ? $"{AnalysisSettings.Section}:{message}" : $"{AnalysisSettings.Section}:{e.ParamName}: {message}"];
        }
    }

    private static IEnumerable<string> SerilogProblems(IConfiguration configuration)
    {
        try
        {
            new LoggerConfiguration().ReadFrom.Configuration(configuration).CreateLogger().Dispose();
            return [];
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or InvalidCastException)
        {
            return ["Serilog: " + ex.Message];
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
