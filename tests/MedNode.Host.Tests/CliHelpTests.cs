namespace MedNode.Host.Tests;

/// <summary>Every `mednode` command answers --help with its usage and exit code 0, and does nothing else (no server
/// starts, no database is touched).</summary>
public sealed class CliHelpTests : IDisposable
{
    private readonly MedNode.TestSupport.TempDir _dir = new("mednode-help-");

    public static TheoryData<string[]> Verbs => new()
    {
        new[] { "serve" }, new[] { "echo" }, new[] { "store" }, new[] { "dump" }, new[] { "json" }, new[] { "xml" },
        new[] { "transcode" }, new[] { "pixels" }, new[] { "analyze" }, new[] { "find" }, new[] { "move" }, new[] { "get" },
        new[] { "config", "check" }, new[] { "audit", "verify" }, new[] { "migrate" }, new[] { "models", "list" },
    };

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Command_Help_PrintsItsUsageAndExitsZeroWithoutSideEffects(string[] verb)
    {
        var r = Mednode.RunIn(_dir.Path, [.. verb, "--help"]);
        r.ExitCode.Should().Be(0, r.StdOut + r.StdErr);
        r.StdOut.Should().Contain("mednode " + verb[0]);
        Directory.EnumerateFileSystemEntries(_dir.Path).Should().BeEmpty("--help creates no database, store or log");
    }

    [Fact]
    public void Command_Unknown_ExitsOneNamingIt_NoArguments_ExitsTwoWithUsage()
    {
        var unknown = Mednode.Run("frobnicate");
        unknown.ExitCode.Should().Be(1);
        unknown.StdErr.Should().Contain("unknown command 'frobnicate'");
        var none = Mednode.Run();
        none.ExitCode.Should().Be(2);
        none.StdOut.Should().Contain("usage: mednode <command>");
    }

    public void Dispose() => _dir.Dispose();
}
