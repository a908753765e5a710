using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Export destinations end to end with Orthanc 1.10.1: a DICOMweb STOW-RS destination (Orthanc's DICOMweb plugin). The
/// permanent rejection that is dead-lettered and replayed is a <see cref="LoopFlowTests"/> flow (SQLite and PostgreSQL).
/// </summary>
public sealed class LoopExportTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-export-");
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    [RequiresFact(null, "Orthanc", "storescu")]
    [Trait("Conformance", "PS3.18 10.5")]
    public async Task StowRsDestination_ResultsArriveInOrthancThroughItsDicomWebPlugin()
    {
        var files = Prepare(_dir, out var nodeDir);
        await using var orthanc = await OrthancPeer.StartAsync();
        using var node = NodeProcess.Start(nodeDir,
        [
            .. NodeArgs(),
            "--MedNode:Destinations:0:Name=pacs",
            "--MedNode:Destinations:0:Kind=DicomWeb",
            $"--MedNode:Destinations:0:Url={orthanc.BaseUri}dicom-web/",
        ]);
        Store(node, files);

        var delivered = await WaitForExportsAsync(node, "Delivered", 2, TimeSpan.FromMinutes(5));
        delivered.Should().HaveCount(2, "SEG and SR are delivered (log: {0})", Tail(node.Output));
        var ids = await orthanc.ListInstancesAsync();
        ids.Should().HaveCount(2, "Orthanc received the SEG and the SR, once each");
        var received = new Dictionary<string, string>();
        foreach (var id in ids)
        {
            var tags = await orthanc.GetJsonAsync($"instances/{id}/simplified-tags");
            received[tags["Modality"]!.GetValue<string>()] = tags["SOPInstanceUID"]!.GetValue<string>();
        }
        received.Keys.Should().BeEquivalentTo("SEG", "SR");
        delivered.Select(d => d.GetProperty("sopInstanceUid").GetString()).Should().BeEquivalentTo(received.Values, "Orthanc holds exactly the instances MedNode reports delivered");
        (await orthanc.GetJsonAsync("studies")).AsArray().Should().ContainSingle("the results join the source study, which Orthanc did not hold before");
    }

    /// <summary>
    /// STOW-RS with HTTP basic authentication to Orthanc (<c>AuthenticationEnabled</c>, <c>RegisteredUsers</c>): the rule
    /// sends to two destinations on the same Orthanc, one with the right password and one with a wrong one. The first
    /// delivers SEG and SR; Orthanc answers the second 401, a permanent failure: dead letters after one attempt.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    [Trait("Conformance", "PS3.18 10.5")]
    public async Task StowRsDestinationWithBasicAuth_RightPasswordDelivers_WrongPasswordIsADeadLetter()
    {
        var files = Prepare(_dir, out var nodeDir);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            RegisteredUsers = new Dictionary<string, string> { ["mednode"] = "s3cret-Stow" },
        });
        using var node = NodeProcess.Start(nodeDir,
        [
            .. NodeArgs(),
            "--MedNode:Rules:0:Action:Destinations:1:Name=wrongpw",
            "--MedNode:Destinations:0:Name=pacs",
            "--MedNode:Destinations:0:Kind=DicomWeb",
            $"--MedNode:Destinations:0:Url={orthanc.BaseUri}dicom-web/",
            "--MedNode:Destinations:0:Username=mednode",
            "--MedNode:Destinations:0:Password=s3cret-Stow",
            "--MedNode:Destinations:1:Name=wrongpw",
            "--MedNode:Destinations:1:Kind=DicomWeb",
            $"--MedNode:Destinations:1:Url={orthanc.BaseUri}dicom-web/",
            "--MedNode:Destinations:1:Username=mednode",
            "--MedNode:Destinations:1:Password=not-the-password",
        ]);
        Store(node, files);

        var delivered = await WaitForExportsAsync(node, "Delivered", 2, TimeSpan.FromMinutes(5));
        var dead = await WaitForExportsAsync(node, "DeadLetter", 2, TimeSpan.FromMinutes(1));

        delivered.Should().HaveCount(2, "the right password delivers SEG and SR (log: {0})", Tail(node.Output));
        delivered.Should().OnlyContain(d => d.GetProperty("destination").GetString() == "pacs");
        dead.Should().HaveCount(2, Tail(node.Output));
        dead.Should().OnlyContain(d => d.GetProperty("destination").GetString() == "wrongpw" && d.GetProperty("attempts").GetInt32() == 1
            && d.GetProperty("lastError").GetString() == "STOW-RS HTTP 401", "401 is permanent: not retried");
        (await ExportsAsync(node, "Pending")).Should().BeEmpty();
        var sops = new List<string>();
        foreach (var id in await orthanc.ListInstancesAsync()) sops.Add(await orthanc.GetSopInstanceUidAsync(id));
        sops.Should().BeEquivalentTo(delivered.Select(d => d.GetProperty("sopInstanceUid").GetString()), "Orthanc holds what the authenticated destination delivered, once");
    }

    /// <summary>
    /// A DIMSE destination with StorageCommitment: after the C-STORE push MedNode asks Orthanc to commit SEG and SR;
    /// Orthanc reports on a new association to MedNode's DIMSE listener, and /api/v1/exports shows both committed under
    /// one Transaction UID.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task DimseDestinationWithStorageCommitment_OrthancCommitsEachResult_ShownInExports()
    {
        var files = Prepare(_dir, out var nodeDir);
        var orthancPort = OrthancPeer.FreePort();
        using var node = NodeProcess.Start(nodeDir,
        [
            .. NodeArgs(),
            "--MedNode:Destinations:0:Name=pacs",
            "--MedNode:Destinations:0:AeTitle=ORTHANC",
            "--MedNode:Destinations:0:Host=127.0.0.1",
            $"--MedNode:Destinations:0:Port={orthancPort}",
            "--MedNode:Destinations:0:StorageCommitment=true",
        ]);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomPort = orthancPort,
            DicomWeb = false,
            Modalities = new Dictionary<string, OrthancModality> { ["mednode"] = new("MEDNODE", "127.0.0.1", node.DimsePort) },
        });
        Store(node, files);

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        var delivered = await ExportsAsync(node, "Delivered");
        while ((delivered.Count < 2 || delivered.Any(d => d.GetProperty("commitment").ValueKind == JsonValueKind.Null || d.GetProperty("commitment").GetString() == "Requested")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            delivered = await ExportsAsync(node, "Delivered");
        }

        delivered.Should().HaveCount(2, "SEG and SR are delivered (log: {0})", Tail(node.Output));
        delivered.Should().OnlyContain(d => d.GetProperty("commitment").GetString() == "Committed", "Orthanc commits both (log: {0}\n{1})", Tail(node.Output), Tail(orthanc.Log));
        delivered.Select(d => d.GetProperty("commitmentTransactionUid").GetString()).Distinct().Should().ContainSingle();
        var sops = new List<string>();
        foreach (var id in await orthanc.ListInstancesAsync()) sops.Add(await orthanc.GetSopInstanceUidAsync(id));
        sops.Should().BeEquivalentTo(delivered.Select(d => d.GetProperty("sopInstanceUid").GetString()), "Orthanc holds each result once");
    }

    private Task<List<JsonElement>> ExportsAsync(NodeProcess node, string state) => ExportFlow.ExportsAsync(_http, node, state);

    private Task<List<JsonElement>> WaitForExportsAsync(NodeProcess node, string state, int count, TimeSpan limit) =>
        ExportFlow.WaitForExportsAsync(_http, node, state, count, limit);

    private static IReadOnlyList<string> Prepare(TempDir dir, out string nodeDir) => ExportFlow.Prepare(dir, out nodeDir);

    private static void Store(NodeProcess node, IReadOnlyList<string> files) => ExportFlow.Store(node, files);

    private static string[] NodeArgs() => ExportFlow.NodeArgs();

    private static string Tail(string s) => ExportFlow.Tail(s);
}
