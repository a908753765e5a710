using System.Text.Json;
using MedNode.Analysis.Phantoms;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Completion triggers other than the quiet period, against a real `mednode serve` and DCMTK `storescu`: the series
/// completes when storescu releases its association; and a unit received just before a stop is re-armed at the next start.
/// </summary>
public sealed class LoopCompletionTests : IDisposable
{
    private static CtPhantomSpec Spec => LoopEndToEndTests.Spec;

    private static readonly Dictionary<string, string> StorescuEnv = new() { ["TCP_NODELAY"] = "1" };

    private readonly TempDir _dir = new("mednode-completion-");

    public void Dispose() => _dir.Dispose();

    [RequiresFact(null, "storescu")]
    [Trait("Conformance", "PS3.8 7.2")]
    public async Task AssociationRelease_SeriesCompletesAtOnce_WithoutWaitingForTheHourLongQuietPeriod()
    {
        var files = Prepare(out var nodeDir);
        using var node = NodeProcess.Start(nodeDir,
        [
            .. NodeArgs(nodeDir),
            "--MedNode:Completion:QuietPeriod=01:00:00",
            "--MedNode:Completion:CompleteOnAssociationRelease:0=MEDNODE",
            "--MedNode:Jobs:Workers=0",
        ]);
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: StorescuEnv);
        store.ExitCode.Should().Be(0, store.StdErr);

        var jobs = await WaitForJobsAsync(node, j => j.Count == 1, TimeSpan.FromMinutes(2));
        jobs.Should().ContainSingle("the release completed the series (log: {0})", Tail(node.Output));
        jobs[0].GetProperty("version").GetInt32().Should().Be(1);
        jobs[0].GetProperty("inputSopInstanceUids").GetArrayLength().Should().Be(files.Count, "every instance of the association is an input");
    }

    [RequiresFact(null, "storescu")]
    public async Task Restart_BeforeTheQuietPeriodEnded_UnitIsRearmed_AndItsJobRuns()
    {
        var files = Prepare(out var nodeDir);
        using (var first = NodeProcess.Start(nodeDir, [.. NodeArgs(nodeDir), "--MedNode:Completion:QuietPeriod=01:00:00", "--MedNode:Jobs:Workers=0"]))
        {
            var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", first.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: StorescuEnv);
            store.ExitCode.Should().Be(0, store.StdErr);
            (await JobsAsync(first)).Should().BeEmpty("the quiet period (an hour) has not ended");
            first.Terminate();
            first.Process.WaitForExit(60_000).Should().BeTrue();
        }

        using var second = NodeProcess.Start(nodeDir, [.. NodeArgs(nodeDir), "--MedNode:Completion:QuietPeriod=00:00:02", "--MedNode:Jobs:Workers=1"]);
        var jobs = await WaitForJobsAsync(second, j => j.Count == 1 && j[0].GetProperty("state").GetString() is "Succeeded" or "Failed", TimeSpan.FromMinutes(5));
        jobs.Should().ContainSingle("the unit received before the stop is re-armed (log: {0})", Tail(second.Output));
        jobs[0].GetProperty("state").GetString().Should().Be("Succeeded", Tail(second.Output));
        jobs[0].GetProperty("inputSopInstanceUids").GetArrayLength().Should().Be(files.Count);
    }

    private IReadOnlyList<string> Prepare(out string nodeDir)
    {
        var seriesDir = Path.Combine(_dir.Path, "series");
        Directory.CreateDirectory(seriesDir);
        nodeDir = Path.Combine(_dir.Path, "node");
        Directory.CreateDirectory(nodeDir);
        return CtPhantom.WriteSeries(Spec, seriesDir);
    }

    /// <summary>A file index, the bundled model on CPU, one CT rule without destinations.</summary>
    private static string[] NodeArgs(string nodeDir) =>
    [
        $"--MedNode:Database:ConnectionString=Data Source={Path.Combine(nodeDir, "index.db")}",
        "--MedNode:Jobs:PollInterval=00:00:00.500",
        $"--MedNode:Models:Path={Path.Combine(SharedData.RepoRoot, "models")}",
        "--MedNode:Analysis:Device=Cpu",
        "--MedNode:Rules:0:Name=ct",
        "--MedNode:Rules:0:Match:Modalities:0=CT",
        "--MedNode:Rules:0:Action:Model=phantom-lesion",
    ];

    private static async Task<List<JsonElement>> JobsAsync(NodeProcess node)
    {
        using var http = new HttpClient();
        return JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/jobs"))).RootElement.EnumerateArray().ToList();
    }

    private static async Task<List<JsonElement>> WaitForJobsAsync(NodeProcess node, Func<List<JsonElement>, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var jobs = await JobsAsync(node);
        while (!done(jobs) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            jobs = await JobsAsync(node);
        }
        return jobs;
    }

    private static string Tail(string s) => s.Length <= 3000 ? s : s[^3000..];
}
