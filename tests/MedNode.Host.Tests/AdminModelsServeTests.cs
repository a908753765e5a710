using System.Net;
using System.Text;
using System.Text.Json;
using MedNode.Analysis.Phantoms;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Models through the admin API of a running `mednode serve`: the list matches the installed manifests; in shadow mode a
/// job runs and its SEG and SR are stored and served by WADO-RS, but nothing goes to the destination (a DCMTK storescp);
/// a disabled model's job is skipped with the reason. Run on SQLite and on PostgreSQL (<see cref="AdminModelsServeSqliteTests"/>,
/// <see cref="AdminModelsServePostgresTests"/>).
/// </summary>
public abstract class AdminModelsServeTests : IDisposable
{
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-admin-models-");
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new, empty database for one test; returns the node settings that name it.</summary>
    protected abstract Task<string[]> NewDatabaseAsync(string nodeDir);

    [RequiresFact(null, "storescu", "storescp")]
    public async Task ShadowMode_JobRunsAndResultsAreServed_NothingIsPushed_ThenDisabled_JobIsSkippedWithTheReason()
    {
        using var scp = new StorescpProcess(_dir.File("pacs"));
        var nodeDir = Directory.CreateDirectory(_dir.File("node")).FullName;
        using var node = NodeProcess.Start(nodeDir,
        [
            .. ExportFlow.NodeArgs(),
            .. await NewDatabaseAsync(nodeDir),
            "--MedNode:Destinations:0:Name=pacs",
            "--MedNode:Destinations:0:AeTitle=STORESCP",
            "--MedNode:Destinations:0:Host=127.0.0.1",
            $"--MedNode:Destinations:0:Port={scp.Port}",
        ], env: Env);

        // The list against the manifests on disk (read here, not through MedNode).
        var models = JsonDocument.Parse(await _http.GetStringAsync(new Uri(node.BaseUrl + "/api/v1/models"))).RootElement.EnumerateArray().ToList();
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedData.RepoRoot, "models", "phantom-lesion", "model.json"))))
        {
            var phantom = models.Single(m => m.GetProperty("id").GetString() == "phantom-lesion");
            phantom.GetProperty("version").GetString().Should().Be(manifest.RootElement.GetProperty("version").GetString());
            phantom.GetProperty("hash").GetString().Should().Be(manifest.RootElement.GetProperty("sha256").GetString());
            phantom.GetProperty("enabled").GetBoolean().Should().BeTrue();
            phantom.GetProperty("shadow").GetBoolean().Should().BeFalse();
        }
        using (var unknown = await PutAsync(node, "/api/v1/models/no-such-model", """{"enabled":false}"""))
            unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);

        using (var shadow = await PutAsync(node, "/api/v1/models/phantom-lesion", """{"shadow":true}"""))
        {
            shadow.StatusCode.Should().Be(HttpStatusCode.OK, await shadow.Content.ReadAsStringAsync());
            var body = JsonDocument.Parse(await shadow.Content.ReadAsStringAsync()).RootElement;
            body.GetProperty("shadow").GetBoolean().Should().BeTrue();
            body.GetProperty("enabled").GetBoolean().Should().BeTrue("a field left out keeps its value");
        }
        Store(node, "series1");
        var job = await WaitForJobAsync(node, "Succeeded", TimeSpan.FromMinutes(5));
        job.HasValue.Should().BeTrue("the shadow job runs (log: {0})", Tail(node.Output));
        var id = job!.Value.GetProperty("id").GetString();
        var detail = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/jobs/{id}"))).RootElement;
        detail.GetProperty("deliveries").GetArrayLength().Should().Be(0, "shadow mode creates no outbox items");
        var result = JsonDocument.Parse(detail.GetProperty("job").GetProperty("resultJson").GetString()!).RootElement;
        result.GetProperty("shadow").GetBoolean().Should().BeTrue();
        var results = result.GetProperty("results").EnumerateArray().ToList();
        results.Select(r => r.GetProperty("kind").GetString()).Should().Contain(["Segmentation", "StructuredReport"]);
        var study = detail.GetProperty("job").GetProperty("studyInstanceUid").GetString();
        foreach (var r in results)
        {
            var sop = r.GetProperty("sopInstanceUid").GetString();
            var qido = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"{node.BaseUrl}/dicomweb/studies/{study}/instances?SOPInstanceUID={sop}&includefield=0020000E"))).RootElement;
            var series = qido[0].GetProperty("0020000E").GetProperty("Value")[0].GetString();
            using var wado = new HttpRequestMessage(HttpMethod.Get, new Uri($"{node.BaseUrl}/dicomweb/studies/{study}/series/{series}/instances/{sop}"));
            wado.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"");
            using var answer = await _http.SendAsync(wado);
            answer.StatusCode.Should().Be(HttpStatusCode.OK, "WADO-RS serves the shadow result {0}", sop);
            (await answer.Content.ReadAsByteArrayAsync()).Length.Should().BeGreaterThan(132);
        }
        JsonDocument.Parse(await _http.GetStringAsync(new Uri(node.BaseUrl + "/api/v1/exports"))).RootElement.GetArrayLength().Should().Be(0, "nothing is queued for export");
        Directory.EnumerateFiles(scp.OutputDir).Should().BeEmpty("storescp received nothing");

        // Disabled: the rule still fires, and the job is skipped with the reason (the model does not run).
        using (var disable = await PutAsync(node, "/api/v1/models/phantom-lesion", """{"enabled":false}"""))
            disable.StatusCode.Should().Be(HttpStatusCode.OK);
        Store(node, "series2");
        var skipped = await WaitForJobAsync(node, "Skipped", TimeSpan.FromMinutes(3));
        skipped.HasValue.Should().BeTrue("the job of a disabled model is skipped (log: {0})", Tail(node.Output));
        skipped!.Value.GetProperty("error").GetString().Should().Contain("disabled");
        skipped.Value.GetProperty("resultJson").ValueKind.Should().Be(JsonValueKind.Null, "the model did not run");
        JsonDocument.Parse(await _http.GetStringAsync(new Uri(node.BaseUrl + "/api/v1/exports"))).RootElement.GetArrayLength().Should().Be(0);
    }

    private void Store(NodeProcess node, string folder)
    {
        var files = CtPhantom.WriteSeries(LoopEndToEndTests.Spec, Directory.CreateDirectory(_dir.File(folder)).FullName);
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: Env);
        store.ExitCode.Should().Be(0, store.StdErr);
    }

    private async Task<HttpResponseMessage> PutAsync(NodeProcess node, string path, string json) =>
        await _http.PutAsync(new Uri(node.BaseUrl + path), new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Polls the job list until a job is in <paramref name="state"/>, or the deadline passes (then null).</summary>
    private async Task<JsonElement?> WaitForJobAsync(NodeProcess node, string state, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var list = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/jobs?status={state}"))).RootElement;
            if (list.GetArrayLength() > 0) return list[0].Clone();
            if (DateTime.UtcNow > deadline) return null;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    private static string Tail(string s) => s.Length <= 3000 ? s : s[^3000..];
}

/// <summary>Models through the admin API with the index and the admin state in a SQLite file in the node's folder.</summary>
public sealed class AdminModelsServeSqliteTests : AdminModelsServeTests
{
    protected override Task<string[]> NewDatabaseAsync(string nodeDir) =>
        Task.FromResult<string[]>([$"--MedNode:Database:ConnectionString=Data Source={Path.Combine(nodeDir, "index.db")}"]);
}

/// <summary>Models through the admin API with the index and the admin state on PostgreSQL (<see cref="PostgresPeer"/>).</summary>
[RequiresPostgres]
public sealed class AdminModelsServePostgresTests : AdminModelsServeTests
{
    protected override async Task<string[]> NewDatabaseAsync(string nodeDir) =>
        ["--MedNode:Database:Provider=PostgreSQL", $"--MedNode:Database:ConnectionString={await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync()}"];
}
