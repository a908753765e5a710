using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// `mednode serve` as Storage Commitment SCP (PS3.4 Annex J) under the remote AEs edited through the admin API: the
/// Commitment permission decides whether a peer may ask, and the report goes to the AE's host and port as the API has
/// them when the report is sent. Orthanc 1.10.1 asks (POST /modalities/MEDNODE/storage-commitment) and shows the report
/// it received (GET /storage-commitment/{uid}).
/// </summary>
public sealed class CommitmentPermissionServeTests : IDisposable
{
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new("mednode-commit-ae-");
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The file's SOP Class and SOP Instance UIDs as DCMTK's dcmdump reads them.</summary>
    private static (string SopClass, string Sop) SopUids(string source)
    {
        var dump = Tools.Run("dcmdump", ["-q", "-s", "-Un", "+P", "0008,0016", "+P", "0008,0018", source]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string Bracketed(string prefix)
        {
            var line = dump.Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
            return line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.LastIndexOf(']')];
        }
        return (Bracketed("(0008,0016)"), Bracketed("(0008,0018)"));
    }

    private async Task PutAeAsync(NodeProcess node, string aeTitle, string json)
    {
        using var r = await _http.PutAsync(new Uri($"{node.BaseUrl}/api/v1/aes/remote/{aeTitle}"), new StringContent(json, Encoding.UTF8, "application/json"));
        r.StatusCode.Should().Be(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    [RequiresFact("corpus", OrthancPeer.Executable, "storescu", "dcmdump")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task StorageCommitmentScp_GovernedByTheApisRemoteAes_RefusedWithoutThePermission_ReportFollowsThePortChange()
    {
        var source = Corpus.FullPath(CtSmall);
        var instance = SopUids(source);

        // The configuration knows ORTHANC at a port where nobody listens, with every permission: the API's entry must win.
        var deadPort = OrthancPeer.FreePort();
        using var node = NodeProcess.Start(Directory.CreateDirectory(_dir.File("node")).FullName,
        [
            "--MedNode:Dimse:RequireKnownPeers=true",
            "--MedNode:Dimse:AllowedPeers:0:AeTitle=STORESCU",
            "--MedNode:Dimse:AllowedPeers:0:Host=127.0.0.1",
            "--MedNode:Dimse:AllowedPeers:0:Permissions:0=Store",
            "--MedNode:Dimse:AllowedPeers:1:AeTitle=ORTHANC",
            "--MedNode:Dimse:AllowedPeers:1:Host=127.0.0.1",
            $"--MedNode:Dimse:AllowedPeers:1:Port={P(deadPort)}",
        ], env: Env);
        var stored = Tools.Run("storescu", ["-aet", "STORESCU", "-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, source], TimeSpan.FromMinutes(1), env: Env);
        stored.ExitCode.Should().Be(0, stored.StdErr);
        var modalities = new Dictionary<string, OrthancModality> { ["MEDNODE"] = new("MEDNODE", "127.0.0.1", node.DimsePort) };
        await using var first = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomWeb = false, Modalities = modalities });

        // Through the API: ORTHANC at the first Orthanc's port, without Commitment. The presentation context is refused
        // (user-rejection, PS3.8 Table 9-18), so Orthanc cannot send its N-ACTION-RQ.
        await PutAeAsync(node, "ORTHANC", $$"""{"host":"127.0.0.1","port":{{P(first.DicomPort)}},"permissions":["Echo","Store"]}""");
        (await first.EchoModalityAsync("MEDNODE")).Should().BeTrue("ORTHANC may still echo");
        var refused = await FluentActions.Awaiting(() => first.RequestStorageCommitmentAsync("MEDNODE", [instance]))
            .Should().ThrowAsync<HttpRequestException>("ORTHANC may not ask for storage commitment");
        refused.Which.Message.Should().Contain("Unable to negotiate a presentation context", "Orthanc's Storage Commitment context was rejected");

        // Commitment granted through the API: the next request is served and the report reaches the first Orthanc,
        // at the port the API gave, not the one in the configuration.
        await PutAeAsync(node, "ORTHANC", $$"""{"host":"127.0.0.1","port":{{P(first.DicomPort)}},"permissions":["Echo","Commitment"]}""");
        var remote = JsonDocument.Parse(await _http.GetStringAsync(new Uri(node.BaseUrl + "/api/v1/aes/remote/ORTHANC"))).RootElement;
        remote.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).Should().BeEquivalentTo("Echo", "Commitment");
        var served = await first.RequestStorageCommitmentAsync("MEDNODE", [instance]);
        var report = await first.WaitStorageCommitmentReportAsync(served, ReportTimeout);
        report["Status"]!.GetValue<string>().Should().Be("Success", report.ToJsonString());
        report["Success"]!.AsArray().Select(n => n!["SOPInstanceUID"]!.GetValue<string>()).Should().Equal(instance.Sop);

        // ORTHANC moves: a second Orthanc with the same AE title on another port; the API gets the new port; the next
        // request (made by the second Orthanc) is reported to the new port.
        await using var second = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomWeb = false, Modalities = modalities });
        second.DicomPort.Should().NotBe(first.DicomPort);
        await PutAeAsync(node, "ORTHANC", $$"""{"host":"127.0.0.1","port":{{P(second.DicomPort)}},"permissions":["Echo","Commitment"]}""");
        var moved = await second.RequestStorageCommitmentAsync("MEDNODE", [instance]);
        var movedReport = await second.WaitStorageCommitmentReportAsync(moved, ReportTimeout);
        movedReport["Status"]!.GetValue<string>().Should().Be("Success", movedReport.ToJsonString());
        movedReport["Success"]!.AsArray().Select(n => n!["SOPInstanceUID"]!.GetValue<string>()).Should().Equal(instance.Sop);
    }
    /// <summary>The Security Alert rows (110113) of the trail, polled until <paramref name="done"/> holds (events are appended off the DIMSE path).</summary>
    private async Task<List<JsonElement>> AlertsAsync(NodeProcess node, Func<List<JsonElement>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var rows = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/audit?eventCode=110113"))).RootElement.EnumerateArray().ToList();
            if (done(rows) || DateTime.UtcNow > deadline) return rows;
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>
    /// A Storage Commitment request refused is audited (PS3.15 §A.5.3.11 Security Alert, 110113): Orthanc 1.10.1 as
    /// ORTHANC, known but without the Commitment permission, asks; its presentation context is user-rejected and the trail
    /// gets a Security Alert whose type is Use of Restricted Function (DCM 110132), naming the calling AE and its IP address
    /// as the requesting Source, outcome Minor Failure (4); the PS3.15 message exported for it carries EventTypeCode 110132.
    /// An echo by the same AE raises nothing. A second Orthanc under an AE title the node does not know is rejected at
    /// association (A-ASSOCIATE-RJ), audited as Node Authentication (110126) naming it. The chain verifies.
    /// </summary>
    [RequiresFact("corpus", OrthancPeer.Executable, "dcmdump")]
    [Trait("Conformance", "PS3.15 A.5.3.11")]
    public async Task StorageCommitmentRequest_WithoutThePermissionOrFromAnUnknownAe_IsAuditedAsSecurityAlert()
    {
        var source = Corpus.FullPath(CtSmall);
        var instance = SopUids(source);
        var auditFile = _dir.File("audit.xml");
        using var node = NodeProcess.Start(Directory.CreateDirectory(_dir.File("node")).FullName,
        [
            "--MedNode:Dimse:RequireKnownPeers=true",
            "--MedNode:Dimse:AllowedPeers:0:AeTitle=ORTHANC",
            "--MedNode:Dimse:AllowedPeers:0:Host=127.0.0.1",
            "--MedNode:Dimse:AllowedPeers:0:Permissions:0=Echo",
            "--MedNode:Dimse:AllowedPeers:0:Permissions:1=Store",
            $"--MedNode:Audit:Export:File={auditFile}",
        ], env: Env);
        var modalities = new Dictionary<string, OrthancModality> { ["MEDNODE"] = new("MEDNODE", "127.0.0.1", node.DimsePort) };
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomWeb = false, Modalities = modalities });

        (await orthanc.EchoModalityAsync("MEDNODE")).Should().BeTrue("ORTHANC may echo");
        await FluentActions.Awaiting(() => orthanc.RequestStorageCommitmentAsync("MEDNODE", [instance]))
            .Should().ThrowAsync<HttpRequestException>("ORTHANC may not ask for storage commitment");
        var alerts = await AlertsAsync(node, r => r.Count >= 1);
        var alert = alerts.Should().ContainSingle("one refused request, the echo raises nothing (log: {0})", node.Output).Subject;
        alert.GetProperty("detail").GetString().Should().StartWith("Use of Restricted Function (DCM 110132): Storage Commitment refused")
            .And.Contain("calling AE 'ORTHANC'");
        alert.GetProperty("participants").GetString()!.Split('\n').Should().Contain("ORTHANC|127.0.0.1|R|Source");
        alert.GetProperty("outcome").GetInt32().Should().Be(4, "Minor Failure: the refusal worked");

        // An AE title the node does not know: rejected at association, a Node Authentication alert that names it.
        await using var stranger = await OrthancPeer.StartAsync(new OrthancPeerOptions { AeTitle = "STRANGER", DicomWeb = false, Modalities = modalities });
        await FluentActions.Awaiting(() => stranger.RequestStorageCommitmentAsync("MEDNODE", [instance])).Should().ThrowAsync<HttpRequestException>();
        alerts = await AlertsAsync(node, r => r.Count >= 2);
        alerts.Should().HaveCount(2, node.Output);
        var rejected = alerts.Single(a => a.GetProperty("detail").GetString()!.Contains("STRANGER", StringComparison.Ordinal));
        rejected.GetProperty("detail").GetString().Should().StartWith("Node Authentication (DCM 110126): association rejected");
        rejected.GetProperty("participants").GetString()!.Split('\n').Should().Contain("STRANGER|127.0.0.1|R|Source");

        var verify = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/audit/verify"))).RootElement;
        verify.GetProperty("isIntact").GetBoolean().Should().BeTrue(verify.ToString());
        // The exported PS3.15 message of the refused request: EventID 110113 with EventTypeCode 110132.
        var messages = await LoopFlowTests.WaitForAsync(() => Task.FromResult(File.Exists(auditFile) ? File.ReadAllLines(auditFile) : []),
            l => l.Count(m => m.Contains("110113", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(30));
        messages.Where(m => m.Contains("110113", StringComparison.Ordinal)).Should().Contain(m => m.Contains("csd-code=\"110132\"", StringComparison.Ordinal) && m.Contains("ORTHANC", StringComparison.Ordinal));
    }
}
