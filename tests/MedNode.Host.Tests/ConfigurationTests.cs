using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Issue 9, configuration: `mednode config check` names each broken setting, environment variables override files in
/// the ASP.NET Core convention, and `mednode serve` refuses a bad value with one line naming it.
/// </summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-config-");

    private Tools.Result ConfigCheck(string? json = null, IDictionary<string, string>? env = null)
    {
        List<string> args = [Mednode.Dll, "config", "check"];
        if (json != null)
        {
            var file = _dir.File($"config-{Guid.NewGuid():N}.json");
            File.WriteAllText(file, json);
            args.AddRange(["--config", file]);
        }
        return Tools.Run("dotnet", args, TimeSpan.FromMinutes(2), workDir: _dir.Path, env: env);
    }

    [Fact]
    public void ConfigCheck_ShippedAppsettings_Ok()
    {
        var r = ConfigCheck();
        r.ExitCode.Should().Be(0, r.StdOut + r.StdErr);
        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines[0].Should().Be("OK");
        // The summary: every section checked, and the shipped file beside the program as the one file read.
        foreach (var section in MedNode.Host.Configuration.ConfigurationCheck.Sections) lines[1].Should().Contain(section.Key);
        lines[2].Should().Be($"files read: {Path.Combine(AppContext.BaseDirectory, "appsettings.json")}; then environment variables and arguments");
    }

    [Theory]
    [InlineData("""{ "MedNode": { "Dimse": { "Port": 70000 } } }""", "MedNode:Dimse:Port")]
    [InlineData("""{ "MedNode": { "Dimse": { "Port": "eleven" } } }""", "MedNode:Dimse:Port")]
    [InlineData("""{ "MedNode": { "Dimse": { "AeTitle": "A_TITLE_LONGER_THAN_16" } } }""", "MedNode:Dimse:AeTitle")]
    [InlineData("""{ "MedNode": { "Dimse": { "BindAddress": "localhost-ish" } } }""", "MedNode:Dimse:BindAddress")]
    [InlineData("""{ "MedNode": { "Dimse": { "IdleTimeoutSeconds": 0 } } }""", "MedNode:Dimse:IdleTimeoutSeconds")]
    [InlineData("""{ "MedNode": { "Dimse": { "DuplicatePolicy": "Sometimes" } } }""", "MedNode:Dimse:DuplicatePolicy")]
    [InlineData("""{ "MedNode": { "Dimse": { "TransferSyntaxPreference": [ "1.2.3.4" ] } } }""", "MedNode:Dimse:TransferSyntaxPreference:0")]
    [InlineData("""{ "MedNode": { "Dimse": { "AllowedPeers": [ { "AeTitle": "PACS", "Port": 0 } ] } } }""", "MedNode:Dimse:AllowedPeers:0:Port")]
    [InlineData("""{ "MedNode": { "Storage": { "VerifyOnRead": "Sometimes" } } }""", "MedNode:Storage:VerifyOnRead")]
    [InlineData("""{ "MedNode": { "Storage": { "ScrubBytesPerSecond": -1 } } }""", "MedNode:Storage:ScrubBytesPerSecond")]
    [InlineData("""{ "MedNode": { "Database": { "Provider": "Oracle" } } }""", "MedNode:Database:Provider")]
    [InlineData("""{ "MedNode": { "Database": { "Provider": "PostgreSQL", "ConnectionString": "" } } }""", "MedNode:Database:ConnectionString")]
    [InlineData("""{ "MedNode": { "Logging": { "Console": "Sometimes" } } }""", "MedNode:Logging:Console")]
    [InlineData("""{ "Serilog": { "MinimumLevel": "Loudest" } }""", "Serilog")]
    [InlineData("""{ "MedNode": { "Security": { "ApiKeys": [ { "Name": "pacs", "Sha256": "secret-in-plain-text", "Roles": [ "sender" ] } ] } } }""", "MedNode:Security:ApiKeys:0:Sha256")]
    [InlineData("""{ "MedNode": { "Security": { "Jwt": { "Issuers": [ "https://idp" ], "Audiences": [ "mednode" ], "SymmetricKeys": [ "c2hvcnQ=" ] } } } }""", "MedNode:Security:Jwt:SymmetricKeys:0")]
    public void ConfigCheck_BrokenSetting_NamesIt(string json, string setting)
    {
        var r = ConfigCheck(json);
        r.ExitCode.Should().Be(1, r.StdOut + r.StdErr);
        r.StdOut.Should().NotContain("OK").And.Contain(setting);
    }

    [Fact]
    public void ConfigCheck_EnvironmentVariable_OverridesConfigFile()
    {
        var bad = ConfigCheck(env: new Dictionary<string, string> { ["MedNode__Dimse__Port"] = "70000" });
        bad.ExitCode.Should().Be(1);
        bad.StdOut.Should().Contain("MedNode:Dimse:Port").And.Contain("70000");

        var fixedByEnv = ConfigCheck("""{ "MedNode": { "Dimse": { "Port": 70000 } } }""", new Dictionary<string, string> { ["MedNode__Dimse__Port"] = "11112" });
        fixedByEnv.ExitCode.Should().Be(0, fixedByEnv.StdOut);
    }

    [Fact]
    public void Serve_BadSetting_ExitsNonZeroWithOneLineNamingIt()
    {
        var r = Tools.Run("dotnet", [Mednode.Dll, "serve", "--urls", "http://127.0.0.1:0", "--MedNode:Dimse:MaxAssociations=0"], TimeSpan.FromMinutes(2), workDir: _dir.Path);
        r.ExitCode.Should().NotBe(0);
        var lines = (r.StdOut + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle().Which.Should().Contain("MedNode:Dimse:MaxAssociations");
    }

    [RequiresFact(null, "echoscu")]
    public void Serve_DimsePortFromEnvironment_ListensThere()
    {
        using var node = NodeProcess.Start(_dir.Path, dimsePortByEnvironment: true);
        var echo = Tools.Run("echoscu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText], env: new Dictionary<string, string> { ["TCP_NODELAY"] = "1" });
        echo.ExitCode.Should().Be(0, "MedNode__Dimse__Port overrides the port of appsettings.json: " + echo.StdErr);
    }

    public void Dispose() => _dir.Dispose();
}
