using System.Text.RegularExpressions;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Issue 9, README: the quick start works on a fresh clone. scripts/readme-quickstart.sh clones the committed HEAD of this
/// repository into a temp folder, runs the command the README marks as the quick start (building from scratch), C-ECHOes
/// the node with DCMTK's echoscu, stops it with SIGTERM and checks its exit status. Slow: the clone builds the node.
/// </summary>
public sealed partial class ReadmeQuickstartTests
{
    [RequiresFact(null, "echoscu", "dotnet", "python3", "setsid")]
    public void Readme_QuickstartOnFreshClone_EchoesAndStopsCleanly()
    {
        var root = SharedData.RepoRoot;
        var readmeCommand = QuickstartCommand(File.ReadAllText(Path.Combine(root, "README.md")));
        readmeCommand.Should().Contain("serve", "the quick start runs the node");
        // A git checkout is cloned at its committed HEAD; a plain source tree (CI may export one) is copied without build output.
        var head = Tools.Find("git") != null ? Tools.Run("git", ["-C", root, "rev-parse", "HEAD"]) : null;

        var run = Tools.Run("bash", [Path.Combine(root, "scripts", "readme-quickstart.sh"), root], TimeSpan.FromMinutes(20));
        var output = run.StdOut + run.StdErr;
        run.ExitCode.Should().Be(0, output);
        // The script ran the same committed README's command, and each step happened.
        output.Should().Contain(head is { ExitCode: 0 } ? "quickstart: cloned " + head.StdOut.Trim() : "quickstart: copied the source tree");
        output.Should().Contain("quickstart: running: " + readmeCommand);
        output.Should().Contain("C-ECHO to MEDNODE@127.0.0.1:").And.Contain("stopped by SIGTERM, exit status 0");
        run.StdOut.TrimEnd().Should().EndWith("quickstart: OK");
    }

    [Fact]
    public void Readme_QuickstartMarkers_OneCommandBlock()
    {
        var command = QuickstartCommand(File.ReadAllText(Path.Combine(SharedData.RepoRoot, "README.md")));
        command.Split('\n').Should().ContainSingle("the marked block is one command line");
        command.Should().StartWith("dotnet run --project src/MedNode.Host");
    }

    /// <summary>The fenced block between the README's quick-start markers (the same rule as the script's awk).</summary>
    private static string QuickstartCommand(string readme)
    {
        var m = QuickstartRegex().Match(readme.Replace("\r", "", StringComparison.Ordinal));
        m.Success.Should().BeTrue("README.md marks its run command between <!-- quickstart-run --> and <!-- /quickstart-run -->");
        return m.Groups["cmd"].Value.Trim();
    }

    [GeneratedRegex(@"<!-- quickstart-run -->\s*```\w*\n(?<cmd>.*?)\n```\s*<!-- /quickstart-run -->", RegexOptions.Singleline)]
    private static partial Regex QuickstartRegex();
}
