using System.Globalization;
using System.Net;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Issue 4, integrity without a hash on every read: `mednode serve` with reads that never hash
/// (<c>MedNode:Storage:VerifyOnRead=Never</c>) still finds a stored file whose bytes changed behind its back (its
/// modification time put back, as bit rot leaves it) through the background scrub, reports it on <c>/health/ready</c> and
/// <c>/metrics</c>, and from then on refuses to send the file over WADO-RS.
/// </summary>
public sealed class StorageIntegrityServeTests : IDisposable
{
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private static readonly Dictionary<string, string> PeerEnv = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-scrub-");
    private NodeProcess? _node;

    [RequiresFact("corpus", "storescu", "dcmdump")]
    public void Scrub_StoredFileChangedWithItsTimeKept_DegradesReadinessCountsItAndWadoRefusesTheFile()
    {
        var dump = Tools.Run("dcmdump", ["-s", "+P", "0020,000d", Corpus.FullPath(CtSmall)]);
        var study = dump.StdOut.Split('[', ']')[1];
        _node = NodeProcess.Start(_dir.Path, ["--MedNode:Storage:VerifyOnRead=Never", "--MedNode:Storage:ScrubFirstDelay=00:00:00",
            "--MedNode:Storage:ScrubInterval=00:00:00.200", "--MedNode:Storage:ScrubBytesPerSecond=0"]);
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", _node.DimsePortText, Corpus.FullPath(CtSmall)], env: PeerEnv);
        store.ExitCode.Should().Be(0, store.StdErr);
        using var client = new HttpClient();
        var url = $"{_node.BaseUrl}/dicomweb/studies/{study}";
        using (var before = Get(client, url)) before.StatusCode.Should().Be(HttpStatusCode.OK);
        Check(Ready(client), "Healthy");

        var file = Directory.GetFiles(Path.Combine(_dir.Path, "data", "store"), "*.dcm", SearchOption.AllDirectories).Single(f => !f.Contains("/.", StringComparison.Ordinal));
        var mtime = File.GetLastWriteTimeUtc(file);
        using (var fs = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = fs.Length - 100;
            int b = fs.ReadByte();
            fs.Position = fs.Length - 100;
            fs.WriteByte((byte)(b ^ 0xFF));
        }
        File.SetLastWriteTimeUtc(file, mtime);

        // The scrub runs every 200 ms: poll its verdict, bounded.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var ready = Ready(client);
        while (Status(ready) != "Degraded" && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
            ready = Ready(client);
        }
        Check(ready, "Degraded");
        ready.GetProperty("checks").GetProperty("storage-integrity").GetProperty("data").GetProperty("corrupted").GetInt32().Should().Be(1);
        var metrics = client.GetStringAsync($"{_node.BaseUrl}/metrics").Result;
        Sample(metrics, "mednode_storage_integrity_failures_total{source=\"scrub\"}").Should().BeGreaterThanOrEqualTo(1);
        Sample(metrics, "mednode_storage_integrity_failures_total{source=\"read\"}").Should().BeNull("reads never hashed before the scrub found it");
        using var after = Get(client, url);
        after.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        after.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    private static HttpResponseMessage Get(HttpClient client, string url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
        return client.Send(request);
    }

    private JsonElement Ready(HttpClient client)
    {
        using var doc = JsonDocument.Parse(client.GetStringAsync($"{_node!.BaseUrl}/health/ready").Result);
        return doc.RootElement.Clone();
    }

    private static string? Status(JsonElement ready) =>
        ready.GetProperty("checks").TryGetProperty("storage-integrity", out var c) ? c.GetProperty("status").GetString() : null;

    private static void Check(JsonElement ready, string expected) => Status(ready).Should().Be(expected, ready.ToString());

    private static double? Sample(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
        return null;
    }

    public void Dispose()
    {
        _node?.Dispose();
        _dir.Dispose();
    }
}
