using System.Reflection;
using MedNode.Host.Configuration;
using MedNode.TestSupport;
using Microsoft.Extensions.Options;

namespace MedNode.Host.Tests;

/// <summary>
/// `mednode config check` and `mednode serve` validate through one path (<see cref="ConfigurationCheck"/>): for each
/// section, a bad value makes `config check` exit 1 naming the full key, and `serve` refuse to start with the same
/// messages. A guard fails when an options type with a Validate method is left out of the check.
/// </summary>
public sealed class ConfigurationSectionsTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-config-sections-");

    /// <summary>One bad value per section of <see cref="ConfigurationCheck.Sections"/> (more for Jobs and Export, once missed), and the key it must name.</summary>
    public static TheoryData<string, string, string> BadValues => new()
    {
        { "MedNode:Dimse", """{ "MedNode": { "Dimse": { "MoveDestinations": [ { "AeTitle": "PACS", "Host": "127.0.0.1" } ] } } }""", "MedNode:Dimse:MoveDestinations:0:Port" },
        { "MedNode:Dimse", """{ "MedNode": { "Dimse": { "AdditionalAeTitles": [ "A_TITLE_LONGER_THAN_16" ] } } }""", "MedNode:Dimse:AdditionalAeTitles:0" },
        { "MedNode:Database", """{ "MedNode": { "Database": { "SqliteSynchronous": "SOMETIMES" } } }""", "MedNode:Database:SqliteSynchronous" },
        { "MedNode:Logging", """{ "MedNode": { "Logging": { "RetainedFileCount": 0 } } }""", "MedNode:Logging:RetainedFileCount" },
        { "MedNode:Models", """{ "MedNode": { "Models": { "Path": " " } } }""", "MedNode:Models:Path" },
        { "MedNode:DicomWeb", """{ "MedNode": { "DicomWeb": { "MaxQueryResults": 0 } } }""", "MedNode:DicomWeb:MaxQueryResults" },
        { "MedNode:Storage", """{ "MedNode": { "Storage": { "ScrubBytesPerSecond": -1 } } }""", "MedNode:Storage:ScrubBytesPerSecond" },
        { "Kestrel", """{ "Kestrel": { "Endpoints": { "Https": { "Url": "https://127.0.0.1:0", "Certificate": { "Path": "/no/such/cert.pem" } } } } }""", "Kestrel:Endpoints:Https:Certificate:Path" },
        { "MedNode:Security", """{ "MedNode": { "Security": { "RateLimit": { "PermitLimit": 0 } } } }""", "MedNode:Security:RateLimit:PermitLimit" },
        { "Serilog", """{ "Serilog": { "MinimumLevel": "Loudest" } }""", "Serilog" },
        { "MedNode:Completion", """{ "MedNode": { "Completion": { "QuietPeriod": "00:00:00" } } }""", "MedNode:Completion:QuietPeriod" },
        { "MedNode:Destinations", """{ "MedNode": { "Destinations": [ { "Name": "pacs", "Kind": "Dimse", "AeTitle": "PACS", "Host": "127.0.0.1", "Port": 0 } ] } }""", "MedNode:Destinations:0:Port" },
        { "MedNode:Rules", """{ "MedNode": { "Rules": [ { "Name": "ct", "Action": { "Kind": "Analyze" } } ] } }""", "MedNode:Rules:0:Action:Model" },
        { "MedNode:Jobs", """{ "MedNode": { "Jobs": { "Workers": -1 } } }""", "MedNode:Jobs:Workers" },
        { "MedNode:Jobs", """{ "MedNode": { "Jobs": { "PollInterval": "00:00:00" } } }""", "MedNode:Jobs:PollInterval" },
        { "MedNode:Jobs", """{ "MedNode": { "Jobs": { "StageDelayForTesting": "01:00:00" } } }""", "MedNode:Jobs:StageDelayForTesting" },
        { "MedNode:Jobs", """{ "MedNode": { "Jobs": { "Lease": "ten minutes" } } }""", "MedNode:Jobs:Lease" },
        { "MedNode:Export", """{ "MedNode": { "Export": { "SendDelayForTesting": "01:00:00" } } }""", "MedNode:Export:SendDelayForTesting" },
        { "MedNode:Export", """{ "MedNode": { "Export": { "MaxAttempts": 0 } } }""", "MedNode:Export:MaxAttempts" },
        { "MedNode:Export", """{ "MedNode": { "Export": { "CommitmentReportWait": "-00:00:01" } } }""", "MedNode:Export:CommitmentReportWait" },
        { "MedNode:Analysis", """{ "MedNode": { "Analysis": { "TileBatch": 0 } } }""", "MedNode:Analysis:TileBatch" },
        { "MedNode:Retention", """{ "MedNode": { "Retention": { "BatchSize": 0 } } }""", "MedNode:Retention:BatchSize" },
        { "MedNode:Audit:Export", """{ "MedNode": { "Audit": { "Export": { "Syslog": { "Host": "127.0.0.1", "Facility": 24 } } } } }""", "MedNode:Audit:Export:Syslog:Facility" },
    };

    // Should a case slip through the check, the node it starts listens on loopback and free ports only.
    private static readonly string[] LoopbackOnly = ["--urls", "http://127.0.0.1:0", "--MedNode:Dimse:BindAddress=127.0.0.1", "--MedNode:Dimse:Port=0"];

    private Tools.Result Run(string verb, string configFile) =>
        Tools.Run("dotnet", [Mednode.Dll, .. verb.Split(' '), "--config", configFile, .. LoopbackOnly], TimeSpan.FromMinutes(1), workDir: _dir.Path);

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ConfigCheckAndServe_BadValueInSection_BothNameTheKeyWithTheSameMessages(string section, string json, string key)
    {
        var file = _dir.File($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);

        var check = Run("config check", file);
        check.ExitCode.Should().Be(1, $"{section}: {check.StdOut}{check.StdErr}");
        var problems = check.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        problems.Should().Contain(p => p.StartsWith(key, StringComparison.Ordinal), "each message starts with the full key of its setting");
        problems.Should().NotContain("OK");

        var serve = Run("serve", file);
        serve.ExitCode.Should().Be(1, $"serve must refuse to start: {serve.StdOut}{serve.StdErr}");
        var lines = (serve.StdOut + serve.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var refusal = lines.Should().ContainSingle().Which;
        refusal.Should().StartWith("mednode: invalid configuration: ");
        foreach (var problem in problems) refusal.Should().Contain(problem, "serve refuses with the messages of config check");
    }

    [Fact]
    public void BadValues_CoverEverySectionOfTheCheck()
    {
        var covered = BadValues.Select(row => (string)row[0]!).ToHashSet(StringComparer.Ordinal);
        ConfigurationCheck.Sections.Select(s => s.Key).Should().OnlyContain(k => covered.Contains(k), "each section needs a bad-value case above");
        covered.Should().BeSubsetOf(ConfigurationCheck.Sections.Select(s => s.Key));
    }

    /// <summary>
    /// Types with a Validate method that are not configuration sections of their own, with the reason they need no entry.
    /// </summary>
    private static readonly Dictionary<string, string> NotSections = new(StringComparer.Ordinal)
    {
        ["MedNode.Dicom.Network.AssociationOptions"] = "options of one association, set in code by the SCU and SCP",
        ["MedNode.Dicom.Network.Server.DicomServerAccess"] = "built by DicomServer from MedNode:Dimse:AeTitle, AdditionalAeTitles and AllowedPeers, which DimseSettingsValidator checks",
    };

    [Fact]
    public void ConfigurationCheck_EveryOptionsTypeWithAValidateMethod_IsCovered()
    {
        var assemblies = MedNodeAssemblies();
        assemblies.Select(a => a.GetName().Name).Should().Contain(["MedNode.Core", "MedNode.Web", "MedNode.Persistence", "MedNode.Analysis", "MedNode.Dicom.Network"]);
        var types = assemblies.SelectMany(a => a.GetTypes()).ToList();
        static bool IsOptionsValidator(Type t) => t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidateOptions<>));
        var validated = types.Where(t => !IsOptionsValidator(t) && t.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).Any(m => m.Name == "Validate"))
            .Concat(types.SelectMany(t => t.GetInterfaces())
                .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidateOptions<>))
                .Select(i => i.GetGenericArguments()[0]))
            .Where(t => assemblies.Contains(t.Assembly))
            .ToHashSet();
        validated.Should().Contain([typeof(MedNode.Core.Jobs.JobOptions), typeof(MedNode.Core.Export.ExportOptions), typeof(DimseSettings)], "the search finds the known ones");

        var covered = Reachable(ConfigurationCheck.Sections.Select(s => s.OptionsType).OfType<Type>(), assemblies);
        var missing = validated.Where(t => !covered.Contains(t) && !NotSections.ContainsKey(t.FullName!)).Select(t => t.FullName).ToList();
        missing.Should().BeEmpty("each options type with a Validate method belongs in ConfigurationCheck.Sections (or in NotSections, with the reason)");
        NotSections.Keys.Should().BeSubsetOf(validated.Select(t => t.FullName!), "NotSections names only types that still have a Validate method");

        // The guard catches a forgotten section: without its entry, each validated section type is no longer covered.
        foreach (var section in ConfigurationCheck.Sections.Where(s => s.OptionsType != null && validated.Contains(s.OptionsType)))
        {
            var others = ConfigurationCheck.Sections.Where(s => s != section).Select(s => s.OptionsType).OfType<Type>();
            Reachable(others, assemblies).Should().NotContain(section.OptionsType!, $"{section.Key} is covered only by its own entry");
        }
    }

    /// <summary>The host (mednode) and the MedNode assemblies it references, directly or not.</summary>
    private static HashSet<Assembly> MedNodeAssemblies()
    {
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>([typeof(ConfigurationCheck).Assembly]);
        while (pending.TryPop(out var assembly))
        {
            if (!found.TryAdd(assembly.GetName().Name!, assembly)) continue;
            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => r.Name!.StartsWith("MedNode.", StringComparison.Ordinal)))
                if (!found.ContainsKey(reference.Name!)) pending.Push(Assembly.Load(reference));
        }
        return [.. found.Values];
    }

    /// <summary>
    /// The section types and every type they hold (a property, or the entries of a list or dictionary property) or turn
    /// into (a public method's result, as AnalysisSettings.ToInferenceOptions), so a nested settings class is covered
    /// through its section.
    /// </summary>
    private static HashSet<Type> Reachable(IEnumerable<Type> roots, HashSet<Assembly> ours)
    {
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(roots);
        while (pending.TryPop(out var type))
        {
            if (!seen.Add(type)) continue;
            var held = type.GetProperties(BindingFlags.Instance | BindingFlags.Public).Select(p => p.PropertyType)
                .Concat(type.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly).Where(m => !m.IsSpecialName).Select(m => m.ReturnType));
            foreach (var t in held.SelectMany(Unwrap).Where(t => ours.Contains(t.Assembly)))
                pending.Push(t);
        }
        return seen;
    }

    private static IEnumerable<Type> Unwrap(Type type)
    {
        var inner = Nullable.GetUnderlyingType(type) ?? type;
        if (inner.IsArray) return Unwrap(inner.GetElementType()!);
        if (inner.IsGenericType) return inner.GetGenericArguments().SelectMany(Unwrap);
        return [inner];
    }

    public void Dispose() => _dir.Dispose();
}
