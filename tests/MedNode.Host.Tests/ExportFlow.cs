using System.Text.Json;
using MedNode.Analysis.Phantoms;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// The export scenario the export tests share: a synthetic CT series sent by DCMTK storescu to `mednode serve`, whose one
/// CT rule runs the bundled model on CPU and pushes SEG + SR to destination "pacs"; and reading `/api/v1/exports`.
/// </summary>
internal static class ExportFlow
{
    private static readonly Dictionary<string, string> StorescuEnv = new() { ["TCP_NODELAY"] = "1" };

    /// <summary>Writes the phantom CT series under <paramref name="dir"/> and makes the node's working directory.</summary>
    public static IReadOnlyList<string> Prepare(TempDir dir, out string nodeDir)
    {
        var seriesDir = Path.Combine(dir.Path, "series");
        Directory.CreateDirectory(seriesDir);
        nodeDir = Path.Combine(dir.Path, "node");
        Directory.CreateDirectory(nodeDir);
        return CtPhantom.WriteSeries(LoopEndToEndTests.Spec, seriesDir);
    }

    public static void Store(NodeProcess node, IReadOnlyList<string> files)
    {
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: StorescuEnv);
        store.ExitCode.Should().Be(0, store.StdErr);
    }

    /// <summary>The bundled model on CPU; one CT rule that pushes SEG + SR to destination "pacs".</summary>
    public static string[] NodeArgs() =>
    [
        "--MedNode:Completion:QuietPeriod=00:00:02",
        .. AnalysisArgs(),
        "--MedNode:Rules:0:Action:Destinations:0:Name=pacs",
    ];

    /// <summary>The bundled model on CPU, one CT rule (<c>ct</c>, rule 0) without destinations; jobs polled every 0.5 s.</summary>
    public static string[] AnalysisArgs() =>
    [
        "--MedNode:Jobs:PollInterval=00:00:00.500",
        $"--MedNode:Models:Path={Path.Combine(SharedData.RepoRoot, "models")}",
        "--MedNode:Analysis:Device=Cpu",
        "--MedNode:Rules:0:Name=ct",
        "--MedNode:Rules:0:Match:Modalities:0=CT",
        "--MedNode:Rules:0:Action:Model=phantom-lesion",
    ];

    public static async Task<List<JsonElement>> ExportsAsync(HttpClient http, NodeProcess node, string state) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/exports?state={state}"))).RootElement.EnumerateArray().ToList();

    /// <summary>Polls (bounded by <paramref name="limit"/>) until <paramref name="count"/> items are in <paramref name="state"/>.</summary>
    public static async Task<List<JsonElement>> WaitForExportsAsync(HttpClient http, NodeProcess node, string state, int count, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var items = await ExportsAsync(http, node, state);
        while (items.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            items = await ExportsAsync(http, node, state);
        }
        return items;
    }

    public static string Tail(string s) => s.Length <= 3000 ? s : s[^3000..];
}
