using System.Globalization;
using System.Net;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Issue 9, observability: `mednode serve` exports Prometheus metrics that DCMTK traffic moves and that promtool
/// accepts, reports readiness per check, and logs associations with their correlation ID and no patient data.
/// </summary>
public sealed class ObservabilityTests : IDisposable
{
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private static readonly Dictionary<string, string> PeerEnv = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-ops-");
    private NodeProcess? _node;

    private static double? Sample(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
        return null;
    }

    private string Scrape()
    {
        using var client = new HttpClient();
        var resp = client.GetAsync($"{_node!.BaseUrl}/metrics").Result;
        resp.StatusCode.Should().Be(HttpStatusCode.OK);
        return resp.Content.ReadAsStringAsync().Result;
    }

    private void PromtoolAccepts(string exposition)
    {
        var file = _dir.File($"metrics-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, exposition);
        var check = Tools.Run("sh", ["-c", "promtool check metrics < \"$0\"", file]);
        check.ExitCode.Should().Be(0, "promtool check metrics must accept /metrics: " + check.StdOut + check.StdErr);
    }

    [RequiresFact("corpus", "storescu", "echoscu", "promtool")]
    public void Metrics_StoreAndRejectedAssociation_CountersMoveAndPromtoolAccepts()
    {
        _node = NodeProcess.Start(_dir.Path);
        var before = Scrape();
        PromtoolAccepts(before);
        // Metrics that nothing feeds yet are still declared.
        before.Should().Contain("# TYPE mednode_jobs gauge").And.Contain("# TYPE mednode_inference_duration_seconds histogram")
            .And.Contain("# TYPE mednode_exports_total counter").And.Contain("# TYPE mednode_export_dead_letters_total counter");
        Sample(before, "mednode_dimse_associations_total").Should().Be(0);
        Sample(before, "mednode_storage_free_bytes").Should().BeGreaterThan(0);

        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", _node.DimsePortText, Corpus.FullPath(CtSmall)], env: PeerEnv);
        store.ExitCode.Should().Be(0, store.StdErr);
        var rejected = Tools.Run("echoscu", ["-aec", "NOT_MEDNODE", "127.0.0.1", _node.DimsePortText], env: PeerEnv);
        rejected.ExitCode.Should().NotBe(0, "the called AE title is wrong");

        // The node counts the rejection once it has sent the A-ASSOCIATE-RJ, which echoscu may see first: poll, bounded.
        var after = Scrape();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (Sample(after, "mednode_dimse_associations_rejected_total{reason=\"called-ae-title-not-recognized\"}") == null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
            after = Scrape();
        }
        PromtoolAccepts(after);
        Sample(after, "mednode_dimse_associations_total").Should().Be(1);
        Sample(after, "mednode_dimse_associations_active").Should().Be(0, "storescu released its association");
        Sample(after, "mednode_dimse_associations_rejected_total{reason=\"called-ae-title-not-recognized\"}").Should().Be(1);
        Sample(after, "mednode_instances_received_total{channel=\"DIMSE\",outcome=\"stored\"}").Should().Be(1);
        var storedBytes = Directory.GetFiles(Path.Combine(_dir.Path, "data", "store"), "*.dcm", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Sample(after, "mednode_received_bytes_total{channel=\"DIMSE\"}").Should().Be(storedBytes);
        Sample(after, "mednode_store_duration_seconds_count{channel=\"DIMSE\"}").Should().Be(1);
        // Each stage of that one ingest, and of its journaled commit, was timed once; the stages fit within the whole.
        var stages = new[] { "parse", "lookup", "commit", "index", "notify" };
        foreach (var stage in stages)
            Sample(after, $"mednode_ingest_stage_seconds_count{{channel=\"DIMSE\",stage=\"{stage}\"}}").Should().Be(1, stage);
        foreach (var stage in new[] { "hash", "flush", "place" })
            Sample(after, $"mednode_store_commit_stage_seconds_count{{stage=\"{stage}\"}}").Should().Be(1, stage);
        var stageSum = stages.Sum(stage => Sample(after, $"mednode_ingest_stage_seconds_sum{{channel=\"DIMSE\",stage=\"{stage}\"}}")!.Value);
        stageSum.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(Sample(after, "mednode_store_duration_seconds_sum{channel=\"DIMSE\"}")!.Value);
        var commitParts = new[] { "hash", "flush", "place" }.Sum(stage => Sample(after, $"mednode_store_commit_stage_seconds_sum{{stage=\"{stage}\"}}")!.Value);
        commitParts.Should().BeLessThanOrEqualTo(Sample(after, "mednode_ingest_stage_seconds_sum{channel=\"DIMSE\",stage=\"commit\"}")!.Value);
    }

    [RequiresFact("corpus", "storescu")]
    public void Logs_StoreOfKnownPatient_NoPatientDataAndAssociationIdPresent()
    {
        var source = MedNode.Dicom.DicomFile.Open(Corpus.FullPath(CtSmall)).Dataset;
        var patientName = source.GetString(MedNode.Dicom.DicomTags.PatientName)!;
        var patientId = source.GetString(MedNode.Dicom.DicomTags.PatientID)!;
        patientName.Should().NotBeNullOrEmpty();
        patientId.Should().NotBeNullOrEmpty();

        _node = NodeProcess.Start(_dir.Path);
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", _node.DimsePortText, Corpus.FullPath(CtSmall)], env: PeerEnv);
        store.ExitCode.Should().Be(0, store.StdErr);
        using (var client = new HttpClient())
            client.GetStringAsync($"{_node.BaseUrl}/dicomweb/studies?PatientID={Uri.EscapeDataString(patientId)}").Result.Should().Contain(patientId);
        _node.Terminate();
        _node.Process.WaitForExit(60_000).Should().BeTrue();

        var logFiles = Directory.GetFiles(Path.Combine(_dir.Path, "logs"), "mednode-*.json");
        logFiles.Should().NotBeEmpty("the rolling file sink writes under logs/");
        var logs = _node.Output + "\n" + string.Join("\n", logFiles.Select(File.ReadAllText));
        foreach (var part in patientName.Split('^', StringSplitOptions.RemoveEmptyEntries).Append(patientId))
            logs.Should().NotContain(part, "patient data stays out of the logs by default");

        // Stdout is redirected here, so the console writes compact JSON; the association's events carry its ID.
        var events = logs.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var accepted = events.Where(e => e.GetProperty("@mt").GetString()!.StartsWith("Association accepted", StringComparison.Ordinal)).ToList();
        accepted.Should().NotBeEmpty();
        accepted[0].TryGetProperty("AssociationId", out var id).Should().BeTrue();
        id.GetString().Should().NotBeNullOrEmpty();
        events.Where(IsStudiesRequest).Should().NotBeEmpty("request logging names the path and the request's correlation ID");
    }

    [Fact]
    public void Ready_DefaultNodeWithBundledModel_HealthyPerCheck()
    {
        CopyDirectory(Path.Combine(SharedData.RepoRoot, "models"), Path.Combine(_dir.Path, "models"));
        _node = NodeProcess.Start(_dir.Path);
        var (status, body) = Ready();
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("status").GetString().Should().Be("Healthy");
        foreach (var check in new[] { "database", "storage", "dimse", "model" })
            body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString().Should().Be("Healthy", check);
    }

    [Fact]
    public void Ready_WatermarkAboveFreeSpace_Unhealthy503NamingStorage()
    {
        _node = NodeProcess.Start(_dir.Path, [$"--MedNode:Dimse:MinFreeBytes={long.MaxValue}"]);
        var (status, body) = Ready();
        status.Should().Be(HttpStatusCode.ServiceUnavailable);
        body.GetProperty("status").GetString().Should().Be("Unhealthy");
        var checks = body.GetProperty("checks");
        checks.GetProperty("storage").GetProperty("status").GetString().Should().Be("Unhealthy");
        checks.GetProperty("storage").GetProperty("description").GetString().Should().Contain("MinFreeBytes");
        checks.GetProperty("database").GetProperty("status").GetString().Should().Be("Healthy");
        checks.GetProperty("dimse").GetProperty("status").GetString().Should().Be("Healthy");
    }

    private static bool IsStudiesRequest(JsonElement e) =>
        e.TryGetProperty("RequestPath", out var path) && path.GetString() == "/dicomweb/studies" && e.TryGetProperty("RequestId", out var id) && id.GetString()!.Length > 0;

    private (HttpStatusCode Status, JsonElement Body) Ready()
    {
        using var client = new HttpClient();
        var resp = client.GetAsync($"{_node!.BaseUrl}/health/ready").Result;
        resp.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var doc = JsonDocument.Parse(resp.Content.ReadAsStringAsync().Result);
        return (resp.StatusCode, doc.RootElement.Clone());
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _node?.Dispose();
        _dir.Dispose();
    }
}
