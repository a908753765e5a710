using System.Data.Common;
using System.Text.Json;
using System.Text.RegularExpressions;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Issue 9, container and deployment. No Docker engine runs here, so the images are not built; instead Debian's
/// <c>docker-compose</c> (1.29) validates and resolves docker-compose.yml, and the Dockerfiles are checked against what the
/// code really loads: every native library named by a P/Invoke in src/ maps (through <c>dpkg -S</c> on this machine) to a
/// Debian package that each Dockerfile's runtime stage installs.
/// </summary>
public sealed partial class DeploymentTests
{
    private const string Password = "compose-test-secret";
    private static readonly string Root = SharedData.RepoRoot;

    /// <summary>Libraries of the C runtime, present in every base image (no package to install).</summary>
    private static readonly HashSet<string> CRuntime = new(StringComparer.Ordinal) { "c", "libc", "dl", "libdl", "m", "libm", "pthread", "libpthread" };

    [RequiresFact(null, "docker-compose", "python3")]
    public void Compose_Config_ValidAndWiredTogether()
    {
        var config = ComposeConfig();
        var services = config.GetProperty("services");
        services.EnumerateObject().Select(s => s.Name).Should().BeEquivalentTo("mednode", "postgres", "orthanc", "ohif");
        foreach (var service in services.EnumerateObject())
            service.Value.TryGetProperty("healthcheck", out _).Should().BeTrue($"service {service.Name} has a health check");

        // MedNode's index is the postgres service's database, with its user and (interpolated) password.
        var mednode = services.GetProperty("mednode");
        var env = mednode.GetProperty("environment");
        env.GetProperty("MedNode__Database__Provider").GetString().Should().Be("PostgreSQL");
        var connection = new DbConnectionStringBuilder { ConnectionString = env.GetProperty("MedNode__Database__ConnectionString").GetString() };
        var postgresEnv = services.GetProperty("postgres").GetProperty("environment");
        connection["Host"].Should().Be("postgres", "the host is the compose service's name");
        connection["Database"].Should().Be(postgresEnv.GetProperty("POSTGRES_DB").GetString());
        connection["Username"].Should().Be(postgresEnv.GetProperty("POSTGRES_USER").GetString());
        connection["Password"].Should().Be(Password, "POSTGRES_PASSWORD from the environment reaches MedNode");
        postgresEnv.GetProperty("POSTGRES_PASSWORD").GetString().Should().Be(Password);
        mednode.GetProperty("depends_on").GetProperty("postgres").GetProperty("condition").GetString().Should().Be("service_healthy");

        // Published ports reach what MedNode listens on: its DIMSE port setting and the port of its Urls.
        var dimsePort = int.Parse(env.GetProperty("MedNode__Dimse__Port").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var httpPort = new Uri(env.GetProperty("Urls").GetString()!).Port;
        var ports = Ports(mednode);
        ports.Should().Contain((dimsePort, dimsePort)).And.Contain((8080, httpPort));
        Ports(services.GetProperty("ohif")).Should().Contain((3000, 80));
        Ports(services.GetProperty("orthanc")).Should().Contain((4242, 4242));

        // The configuration file mounted into MedNode is the one in the repository.
        var mount = mednode.GetProperty("volumes").EnumerateArray().Select(v => v.GetString()!).Single(v => v.EndsWith(":/etc/mednode/mednode.json:ro", StringComparison.Ordinal));
        Path.GetFullPath(mount.Split(':')[0]).Should().Be(Path.Combine(Root, "deploy", "mednode", "mednode.json"));
        mednode.GetProperty("command").EnumerateArray().Select(a => a.GetString()).Should().Equal("--config", "/etc/mednode/mednode.json");
    }

    [RequiresFact(null, "docker-compose", "python3")]
    public void Compose_AeTitles_RegisteredBothWays()
    {
        var config = ComposeConfig();
        var mednodeEnv = config.GetProperty("services").GetProperty("mednode").GetProperty("environment");
        var mednodeAe = mednodeEnv.GetProperty("MedNode__Dimse__AeTitle").GetString();
        var mednodePort = int.Parse(mednodeEnv.GetProperty("MedNode__Dimse__Port").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        using var orthancDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy", "orthanc", "orthanc.json")));
        using var mednodeDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy", "mednode", "mednode.json")));
        var orthanc = orthancDoc.RootElement;
        var orthancAe = orthanc.GetProperty("DicomAet").GetString();
        var orthancPort = orthanc.GetProperty("DicomPort").GetInt32();

        // Orthanc knows MedNode as a modality (for C-MOVE/C-STORE to it) and as a DICOMweb server.
        var modality = orthanc.GetProperty("DicomModalities").GetProperty("mednode").EnumerateArray().ToList();
        modality[0].GetString().Should().Be(mednodeAe);
        modality[1].GetString().Should().Be("mednode", "the compose service's name");
        modality[2].GetInt32().Should().Be(mednodePort);
        orthanc.GetProperty("DicomWeb").GetProperty("Servers").GetProperty("mednode")[0].GetString().Should().Be("http://mednode:8080/dicomweb/");
        orthanc.GetProperty("Plugins").EnumerateArray().Select(p => p.GetString()).Should().Contain(OrthancPeer.DicomWebPlugin,
            "the image installs Debian's orthanc-dicomweb, the plugin the interop tests load");

        // MedNode knows Orthanc: as an allowed calling peer, as a C-MOVE destination and as the results' destination.
        var dimse = mednodeDoc.RootElement.GetProperty("MedNode").GetProperty("Dimse");
        foreach (var list in new[] { "AllowedPeers", "MoveDestinations" })
            dimse.GetProperty(list).EnumerateArray().Should().Contain(p => p.GetProperty("AeTitle").GetString() == orthancAe
                && p.GetProperty("Host").GetString() == "orthanc" && p.GetProperty("Port").GetInt32() == orthancPort, list);
        var destination = mednodeDoc.RootElement.GetProperty("MedNode").GetProperty("Destinations").EnumerateArray().Single();
        destination.GetProperty("AeTitle").GetString().Should().Be(orthancAe);
        destination.GetProperty("Host").GetString().Should().Be("orthanc");
        destination.GetProperty("Port").GetInt32().Should().Be(orthancPort);

        // OHIF's nginx forwards /dicomweb to MedNode's HTTP port.
        var httpPort = new Uri(mednodeEnv.GetProperty("Urls").GetString()!).Port;
        File.ReadAllText(Path.Combine(Root, "deploy", "ohif", "nginx.conf")).Should().Contain($"proxy_pass http://mednode:{httpPort};");
    }

    [RequiresFact(null, OrthancPeer.Executable, "echoscu")]
    public async Task Compose_OrthancConfiguration_AcceptedByOrthancWithMedNodeRegistered()
    {
        // The compose stack's Orthanc is Debian's orthanc + orthanc-dicomweb, the packages installed here: run its file.
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { ConfigurationFile = Path.Combine(Root, "deploy", "orthanc", "orthanc.json") });
        (await orthanc.GetJsonAsync("system"))["DicomAet"]!.GetValue<string>().Should().Be("ORTHANC");
        (await orthanc.GetJsonAsync("plugins")).AsArray().Select(p => p!.GetValue<string>()).Should().Contain("dicom-web");
        var mednode = (await orthanc.GetJsonAsync("modalities?expand"))["mednode"]!;
        mednode["AET"]!.GetValue<string>().Should().Be("MEDNODE");
        mednode["Host"]!.GetValue<string>().Should().Be("mednode");
        mednode["Port"]!.GetValue<int>().Should().Be(11112);
        (await orthanc.GetJsonAsync("dicom-web/servers")).AsArray().Select(p => p!.GetValue<string>()).Should().Equal("mednode");

        var env = new Dictionary<string, string> { ["TCP_NODELAY"] = "1" };
        var port = orthanc.DicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var echo = Tools.Run("echoscu", ["-aet", "MEDNODE", "-aec", "ORTHANC", "127.0.0.1", port], env: env);
        echo.ExitCode.Should().Be(0, echo.StdErr + orthanc.Log);
        var wrong = Tools.Run("echoscu", ["-aet", "MEDNODE", "-aec", "NOT_ORTHANC", "127.0.0.1", port], env: env);
        wrong.ExitCode.Should().NotBe(0, "DicomCheckCalledAet is on: another called AE title is rejected");
    }

    [RequiresFact(null, "docker-compose", "python3")]
    public void Compose_MedNodeConfiguration_PassesConfigCheck()
    {
        // MedNode's own validation of what the container runs with: the mounted file plus the compose environment.
        var env = ComposeConfig().GetProperty("services").GetProperty("mednode").GetProperty("environment")
            .EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var run = Tools.Run("dotnet", [Mednode.Dll, "config", "check", "--config", Path.Combine(Root, "deploy", "mednode", "mednode.json")],
            TimeSpan.FromMinutes(2), workDir: Path.GetTempPath(), env: env);
        run.ExitCode.Should().Be(0, run.StdOut + run.StdErr);
        run.StdOut.Split('\n')[0].Should().Be("OK");
    }

    [RequiresFact(null, "dpkg-query")]
    public void Dockerfiles_RuntimeStage_InstallsEveryNativeLibraryTheCodeLoads()
    {
        var packages = NativeLibraryPackages();
        packages.Should().NotBeEmpty("src/ binds OpenJPEG and CharLS through P/Invoke");
        foreach (var dockerfile in new[] { "Dockerfile", "Dockerfile.gpu" })
        {
            var installed = RuntimeStageAptPackages(File.ReadAllText(Path.Combine(Root, dockerfile)));
            foreach (var (library, package) in packages)
                installed.Should().Contain(package, $"{dockerfile} must install {package}, which provides {library}");
        }
    }

    [Fact]
    public void Dockerfiles_RuntimeStage_NonRootWithHealthCheck()
    {
        foreach (var dockerfile in new[] { "Dockerfile", "Dockerfile.gpu" })
        {
            var stage = RuntimeStage(File.ReadAllText(Path.Combine(Root, dockerfile)));
            stage.Should().MatchRegex(@"(?m)^USER\s+mednode", dockerfile);
            stage.Should().MatchRegex(@"(?m)^HEALTHCHECK\s.*\n?.*curl\b.*/health/ready", dockerfile);
            stage.Should().MatchRegex(@"(?m)^ENTRYPOINT \[""dotnet"", ""/app/mednode.dll"", ""serve""\]", dockerfile);
        }
        RuntimeStage(File.ReadAllText(Path.Combine(Root, "Dockerfile.gpu"))).Should().MatchRegex(@"(?m)^FROM nvidia/cuda:13\.[0-9.]+-cudnn-runtime-ubuntu24\.04");
    }

    /// <summary>`docker-compose config` on the repository's compose file, its YAML read with python3-yaml (a dependency of docker-compose).</summary>
    private static JsonElement ComposeConfig()
    {
        var env = new Dictionary<string, string> { ["POSTGRES_PASSWORD"] = Password };
        var config = Tools.Run("docker-compose", ["-f", Path.Combine(Root, "docker-compose.yml"), "config"], workDir: Root, env: env);
        config.ExitCode.Should().Be(0, "docker-compose config must accept docker-compose.yml: " + config.StdErr);
        var yaml = Path.Combine(Path.GetTempPath(), $"mednode-compose-{Guid.NewGuid():N}.yml");
        try
        {
            File.WriteAllText(yaml, config.StdOut);
            var json = Tools.Run("python3", ["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", yaml]);
            json.ExitCode.Should().Be(0, json.StdErr);
            using var doc = JsonDocument.Parse(json.StdOut);
            return doc.RootElement.Clone();
        }
        finally
        {
            File.Delete(yaml);
        }
    }

    /// <summary>(published, target) of each port of a service, as `docker-compose config` writes them (long or short form).</summary>
    private static List<(int Published, int Target)> Ports(JsonElement service)
    {
        var result = new List<(int, int)>();
        foreach (var p in service.GetProperty("ports").EnumerateArray())
        {
            if (p.ValueKind == JsonValueKind.Object)
            {
                result.Add((int.Parse(p.GetProperty("published").ToString(), System.Globalization.CultureInfo.InvariantCulture), p.GetProperty("target").GetInt32()));
                continue;
            }
            var parts = p.GetString()!.Split('/')[0].Split(':'); // [ip:]published:target
            result.Add((int.Parse(parts[^2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[^1], System.Globalization.CultureInfo.InvariantCulture)));
        }
        return result;
    }

    /// <summary>
    /// Each library that src/ loads (the names in [DllImport]/[LibraryImport], resolved through string constants, and the
    /// sonames passed to NativeLibrary), mapped to the Debian package that ships it here (dpkg -S).
    /// </summary>
    private static List<(string Library, string Package)> NativeLibraryPackages()
    {
        var sources = Directory.GetFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(File.ReadAllText).ToList();
        var text = string.Join('\n', sources);
        var everywhere = ConstantRegex().Matches(text).ToLookup(m => m.Groups["name"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
        var sonames = SonameRegex().Matches(text).Select(m => m.Groups["soname"].Value).ToHashSet(StringComparer.Ordinal);

        var imports = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            // A constant of the file itself first (each binding has its own `const string Lib`), then one of src/ by name.
            var local = ConstantRegex().Matches(source).GroupBy(m => m.Groups["name"].Value, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First().Groups["value"].Value, StringComparer.Ordinal);
            foreach (Match m in ImportRegex().Matches(source))
                imports.Add(Resolve(m.Groups["arg"].Value.Trim(), local, everywhere));
        }
        imports.ExceptWith(CRuntime);
        imports.Should().NotBeEmpty("the codec bindings use [DllImport]");

        var libraries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var import in imports)
        {
            // The logical import name is bound to a versioned soname named in src/ (the DllImport resolver's table).
            var soname = import.Contains(".so", StringComparison.Ordinal) ? import
                : sonames.SingleOrDefault(s => s.StartsWith((import.StartsWith("lib", StringComparison.Ordinal) ? import : "lib" + import) + ".so", StringComparison.Ordinal));
            soname.Should().NotBeNull($"the import '{import}' must resolve to a soname named in src/");
            libraries.Add(soname!);
        }
        libraries.UnionWith(sonames);

        var result = new List<(string, string)>();
        foreach (var library in libraries)
        {
            var search = Tools.Run("dpkg-query", ["-S", "*/" + library]);
            search.ExitCode.Should().Be(0, $"{library} must be installed here (scripts/install-test-deps.sh) so dpkg can name its package: {search.StdErr}");
            var packages = search.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(':')[0].Split(',')[0].Trim())
                .Where(p => !p.EndsWith("-dev", StringComparison.Ordinal)).Distinct().ToList();
            packages.Should().ContainSingle($"one runtime package ships {library}");
            result.Add((library, packages[0]));
        }
        return result;
    }

    private static string Resolve(string argument, Dictionary<string, string> local, ILookup<string, string> everywhere)
    {
        for (int depth = 0; depth < 8; depth++)
        {
            if (argument.StartsWith('"')) return argument.Trim('"');
            var name = argument.Split('.')[^1];
            if (!argument.Contains('.') && local.TryGetValue(name, out var value))
            {
                argument = value.Trim();
                continue;
            }
            var candidates = everywhere[name].Distinct(StringComparer.Ordinal).ToList();
            if (candidates.Count != 1) throw new InvalidOperationException($"cannot resolve the import name '{argument}' in src/ ({candidates.Count} constants of that name)");
            argument = candidates[0].Trim();
        }
        throw new InvalidOperationException($"the import name '{argument}' is defined in a loop");
    }

    private static string RuntimeStage(string dockerfile)
    {
        var lines = dockerfile.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var last = Array.FindLastIndex(lines, l => l.StartsWith("FROM ", StringComparison.Ordinal));
        return string.Join('\n', lines[last..]);
    }

    /// <summary>The packages named by `apt-get install` in the last stage (continuation lines joined, options and comments skipped).</summary>
    private static HashSet<string> RuntimeStageAptPackages(string dockerfile)
    {
        var stage = string.Join('\n', RuntimeStage(dockerfile).Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        var joined = stage.Replace("\\\n", " ", StringComparison.Ordinal);
        var packages = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in AptInstallRegex().Matches(joined))
        {
            foreach (var word in m.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!word.StartsWith('-')) packages.Add(word);
            }
        }
        return packages;
    }

    [GeneratedRegex(@"const\s+string\s+(?<name>\w+)\s*=\s*(?<value>""[^""]*""|[\w.]+)\s*;")]
    private static partial Regex ConstantRegex();

    [GeneratedRegex(@"""(?<soname>lib[\w+-]+\.so(\.\d+)*)""")]
    private static partial Regex SonameRegex();

    [GeneratedRegex(@"\[(?:DllImport|LibraryImport)\(\s*(?<arg>""[^""]*""|[\w.]+)")]
    private static partial Regex ImportRegex();

    [GeneratedRegex(@"apt-get\s+install\s+(?<args>[^&;|\n]*)")]
    private static partial Regex AptInstallRegex();
}
