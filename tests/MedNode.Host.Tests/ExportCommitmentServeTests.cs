using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Storage Commitment asked again through the API (<c>POST /api/v1/exports/{id}/commitment</c>) in `mednode serve`, with
/// Orthanc 1.10.1 as the destination: Orthanc's entry for MEDNODE first points at a port where nobody listens, so no report
/// comes and the commitment times out; after the entry is fixed through Orthanc's REST API, asking again records each
/// result Committed under a new Transaction UID, and nothing is sent twice.
/// </summary>
public sealed class ExportCommitmentServeTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-recommit-");
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    [RequiresFact(null, "Orthanc", "storescu")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task CommitmentApi_TimedOutThenReportRouteFixed_AskedAgain_RecordedCommitted_AndNotAskedForACommittedOne()
    {
        var files = ExportFlow.Prepare(_dir, out var nodeDir);
        var orthancPort = OrthancPeer.FreePort();
        using var node = NodeProcess.Start(nodeDir,
        [
            .. ExportFlow.NodeArgs(),
            "--MedNode:Destinations:0:Name=pacs",
            "--MedNode:Destinations:0:AeTitle=ORTHANC",
            "--MedNode:Destinations:0:Host=127.0.0.1",
            $"--MedNode:Destinations:0:Port={orthancPort}",
            "--MedNode:Destinations:0:StorageCommitment=true",
            "--MedNode:Export:CommitmentReportWait=00:00:00",
            "--MedNode:Export:CommitmentTimeout=00:00:03",
        ]);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomPort = orthancPort,
            DicomWeb = false,
            Modalities = new Dictionary<string, OrthancModality> { ["mednode"] = new("MEDNODE", "127.0.0.1", OrthancPeer.FreePort()) },
        });
        ExportFlow.Store(node, files);

        var timedOut = await WaitForCommitmentAsync(node, "TimedOut", TimeSpan.FromMinutes(5));
        timedOut.Should().HaveCount(2, "no report reaches MedNode (log: {0})", ExportFlow.Tail(node.Output));

        var body = string.Create(CultureInfo.InvariantCulture, $$"""{"AET":"MEDNODE","Host":"127.0.0.1","Port":{{node.DimsePort}}}""");
        using (var put = await orthanc.Http.PutAsync(new Uri(orthanc.BaseUri, "modalities/mednode"), new StringContent(body, Encoding.UTF8, "application/json")))
            put.IsSuccessStatusCode.Should().BeTrue(await put.Content.ReadAsStringAsync());
        foreach (var item in timedOut)
        {
            using var post = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/exports/{item.GetProperty("id").GetString()}/commitment"), null);
            var answer = await post.Content.ReadAsStringAsync();
            post.StatusCode.Should().Be(HttpStatusCode.Accepted, answer);
            JsonDocument.Parse(answer).RootElement.GetProperty("commitmentTransactionUid").GetString()
                .Should().NotBe(item.GetProperty("commitmentTransactionUid").GetString(), "a new request has a new Transaction UID");
        }

        var committed = await WaitForCommitmentAsync(node, "Committed", TimeSpan.FromMinutes(1));
        committed.Should().HaveCount(2, "Orthanc now reports to MedNode (log: {0}\n{1})", ExportFlow.Tail(node.Output), ExportFlow.Tail(orthanc.Log));
        committed.Should().OnlyContain(d => d.GetProperty("attempts").GetInt32() == 1, "asking again sends nothing");
        using (var again = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/exports/{committed[0].GetProperty("id").GetString()}/commitment"), null))
            again.StatusCode.Should().Be(HttpStatusCode.Conflict, "a committed instance is not asked again");
        using (var unknown = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/exports/{Guid.NewGuid()}/commitment"), null))
            unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var sops = new List<string>();
        foreach (var id in await orthanc.ListInstancesAsync()) sops.Add(await orthanc.GetSopInstanceUidAsync(id));
        sops.Should().BeEquivalentTo(committed.Select(d => d.GetProperty("sopInstanceUid").GetString()), "Orthanc holds each result once");
    }

    /// <summary>Polls (bounded) until two delivered items have <paramref name="commitment"/>.</summary>
    private async Task<List<JsonElement>> WaitForCommitmentAsync(NodeProcess node, string commitment, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        List<JsonElement> Matching(List<JsonElement> all) =>
            all.Where(d => d.GetProperty("commitment").ValueKind == JsonValueKind.String && d.GetProperty("commitment").GetString() == commitment).ToList();
        var items = Matching(await ExportFlow.ExportsAsync(_http, node, "Delivered"));
        while (items.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            items = Matching(await ExportFlow.ExportsAsync(_http, node, "Delivered"));
        }
        return items;
    }
}
