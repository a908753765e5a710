using System.Net;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// DICOM Instances Accessed (PS3.15 §A.5.3.6, 110103, action R) for the WADO-RS pixel and bulk data reads of a running
/// `mednode serve`: frames, rendered, thumbnail and bulkdata, one row per route, with repeated reads by the same requestor
/// coalesced; read back through <c>/api/v1/audit</c>.
/// </summary>
public sealed class AuditAccessServeTests : IDisposable
{
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private readonly TempDir _dir = new("mednode-audit-access-");
    private NodeProcess? _node;

    public void Dispose()
    {
        _node?.Dispose();
        _dir.Dispose();
    }

    private static string Value(string path, string tag)
    {
        var line = Tools.Run("dcmdump", ["-q", "-s", "-Un", "+P", tag, path], TimeSpan.FromSeconds(60)).StdOut;
        return line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.LastIndexOf(']')];
    }

    private static async Task<HttpStatusCode> GetAsync(HttpClient http, string url, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode;
    }

    [RequiresFact("corpus", "storescu", "dcmdump")]
    [Trait("Conformance", "PS3.15 A.5.3.6 DICOM Instances Accessed")]
    public async Task Serve_WadoFramesRenderedThumbnailBulkData_AreAuditedAsInstancesAccessed_RepeatsCoalesced()
    {
        var source = Corpus.FullPath(CtSmall);
        string study = Value(source, "0020,000d"), series = Value(source, "0020,000e"), instance = Value(source, "0008,0018"), sopClass = Value(source, "0008,0016");
        _node = NodeProcess.Start(_dir.Path, env: new Dictionary<string, string> { ["TCP_NODELAY"] = "1" });
        Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", _node.DimsePortText, source], env: new Dictionary<string, string> { ["TCP_NODELAY"] = "1" })
            .ExitCode.Should().Be(0);
        using var http = new HttpClient();
        var i = $"{_node.BaseUrl}/dicomweb/studies/{study}/series/{series}/instances/{instance}";

        (await GetAsync(http, $"{i}/frames/1", "multipart/related; type=\"application/octet-stream\"")).Should().Be(HttpStatusCode.OK);
        (await GetAsync(http, $"{i}/frames/1", "multipart/related; type=\"application/octet-stream\"")).Should().Be(HttpStatusCode.OK, "a viewer reads a frame again");
        (await GetAsync(http, $"{i}/rendered", "image/png")).Should().Be(HttpStatusCode.OK);
        (await GetAsync(http, $"{i}/thumbnail", "image/jpeg")).Should().Be(HttpStatusCode.OK);
        (await GetAsync(http, $"{i}/bulkdata/7FE00010", "multipart/related; type=\"application/octet-stream\"")).Should().Be(HttpStatusCode.OK);

        string[] routes = ["/frames/{frames}", "/rendered", "/thumbnail", "/bulkdata/{tag}"];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<JsonElement> rows;
        while (true)
        {
            rows = [.. JsonDocument.Parse(await http.GetStringAsync(new Uri($"{_node.BaseUrl}/api/v1/audit?eventCode=110103"))).RootElement.EnumerateArray()];
            if (routes.All(r => rows.Any(x => x.GetProperty("detail").GetString()!.Contains(r, StringComparison.Ordinal))) || DateTime.UtcNow > deadline) break;
            await Task.Delay(100);
        }
        foreach (var route in routes)
        {
            var row = rows.Where(x => x.GetProperty("detail").GetString()!.Contains(route, StringComparison.Ordinal)).Should().ContainSingle(route + ", once").Subject;
            row.GetProperty("action").GetString().Should().Be("R");
            row.GetProperty("studyInstanceUid").GetString().Should().Be(study);
            row.GetProperty("detail").GetString().Should().Contain($"ContainsSOPClass {sopClass} NumberOfInstances 1");
            row.GetProperty("participants").GetString().Should().Be("anonymous|127.0.0.1|R|");
        }
    }
}
