using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// STOW-RS export with a bearer token (RFC 6750) to a real peer that checks it: a second `mednode serve` whose DICOMweb
/// requires a JWT (HS256 key, issuer and audience configured; STOW-RS needs the sender role). Tokens are signed by
/// openssl. A refused token (401) is a permanent failure: dead-lettered after one attempt; once the token is fixed, a
/// replay delivers the same SOP Instance UIDs, which the destination serves through QIDO-RS and WADO-RS, once each.
/// </summary>
public sealed class ExportBearerTokenTests : IDisposable
{
    private const string Audience = "mednode-destination";

    private readonly TempDir _dir = new("mednode-bearer-");
    private readonly HttpClient _http = new();
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    /// <summary>The destination: JWT required (no anonymous access), the signing key given through the environment.</summary>
    private NodeProcess StartDestination()
    {
        var dir = Path.Combine(_dir.Path, "destination");
        Directory.CreateDirectory(dir);
        return NodeProcess.Start(dir,
        [
            "--MedNode:Security:AllowAnonymous=false",
            $"--MedNode:Security:Jwt:Issuers:0={OpenSslJwt.Issuer}",
            $"--MedNode:Security:Jwt:Audiences:0={Audience}",
        ], new Dictionary<string, string> { ["MedNode__Security__Jwt__SymmetricKeys__0"] = Convert.ToBase64String(_key) });
    }

    private string Token(string role, DateTimeOffset expires, byte[]? key = null) => OpenSslJwt.Hs256(key ?? _key, Audience, [role], expires, _dir.Path);

    [RequiresFact(null, "storescu", "openssl", "dcmdump")]
    [Trait("Conformance", "PS3.18 10.5")]
    public async Task StowRsWithBearerToken_ExpiredTokenIsADeadLetter_ThenAFixedTokenAndAReplayDeliverTheSameUidsOnce()
    {
        var files = ExportFlow.Prepare(_dir, out var nodeDir);
        using var destination = StartDestination();
        var expired = Token("sender", DateTimeOffset.UtcNow.AddMinutes(-10));
        using var node = NodeProcess.Start(nodeDir,
        [
            .. ExportFlow.NodeArgs(),
            "--MedNode:Destinations:0:Name=pacs",
            "--MedNode:Destinations:0:Kind=DicomWeb",
            $"--MedNode:Destinations:0:Url={destination.BaseUrl}/dicomweb/",
            $"--MedNode:Destinations:0:BearerToken={expired}",
        ]);
        ExportFlow.Store(node, files);

        var dead = await ExportFlow.WaitForExportsAsync(_http, node, "DeadLetter", 2, TimeSpan.FromMinutes(5));
        dead.Should().HaveCount(2, "the destination refuses the expired token (log: {0})", ExportFlow.Tail(node.Output));
        dead.Should().OnlyContain(d => d.GetProperty("attempts").GetInt32() == 1 && d.GetProperty("lastError").GetString() == "STOW-RS HTTP 401",
            "401 is permanent: not retried");
        (await ExportFlow.ExportsAsync(_http, node, "Pending")).Should().BeEmpty("nothing is left to retry");
        var study = dead[0].GetProperty("studyInstanceUid").GetString()!;
        (await InstancesAtDestinationAsync(destination, study)).Should().BeEmpty("nothing was stored with the expired token");

        // Fix the token through the API (no restart), then replay each dead letter.
        var fresh = Token("sender", DateTimeOffset.UtcNow.AddHours(1));
        var body = JsonSerializer.Serialize(new[] { new { name = "pacs", kind = "DicomWeb", url = $"{destination.BaseUrl}/dicomweb/", bearerToken = fresh } });
        using (var put = await _http.PutAsync(new Uri($"{node.BaseUrl}/api/v1/destinations"), new StringContent(body, Encoding.UTF8, "application/json")))
        {
            put.IsSuccessStatusCode.Should().BeTrue(await put.Content.ReadAsStringAsync());
            (await put.Content.ReadAsStringAsync()).Should().NotContain(fresh, "the token is never returned");
        }
        await ReplayAsync(node, dead);

        var delivered = await ExportFlow.WaitForExportsAsync(_http, node, "Delivered", 2, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(2, "the fixed token is accepted ({0}; destination log: {1})", await AllExportsAsync(node), Errors(destination.Output));
        var held = await InstancesAtDestinationAsync(destination, study);
        held.Select(i => i.Sop).Should().BeEquivalentTo(dead.Select(d => d.GetProperty("sopInstanceUid").GetString()),
            "the destination holds each replayed result once, under the SOP Instance UID it had");
        held.Select(i => i.SopClass).Should().BeEquivalentTo(dead.Select(d => d.GetProperty("sopClassUid").GetString()));
        foreach (var (sop, series, _) in held) await RetrieveWithDcmdumpAsync(destination, study, series, sop);
    }

    /// <summary>
    /// <c>BearerTokenFile</c>: the token is read from a file before each request, so it can be rotated without a restart or
    /// an API call. A token signed with another key is refused (401, dead letter); after the file is rewritten with a valid
    /// token, a replay delivers.
    /// </summary>
    [RequiresFact(null, "storescu", "openssl")]
    [Trait("Conformance", "PS3.18 10.5")]
    public async Task StowRsWithBearerTokenFile_TokenRotatedInTheFile_ReplayDeliversWithoutRestart()
    {
        var files = ExportFlow.Prepare(_dir, out var nodeDir);
        using var destination = StartDestination();
        var tokenFile = _dir.File("stow.token");
        File.WriteAllText(tokenFile, Token("sender", DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(32)) + "\n");
        using var node = NodeProcess.Start(nodeDir,
        [
            .. ExportFlow.NodeArgs(),
            "--MedNode:Destinations:0:Name=pacs",
            "--MedNode:Destinations:0:Kind=DicomWeb",
            $"--MedNode:Destinations:0:Url={destination.BaseUrl}/dicomweb/",
            $"--MedNode:Destinations:0:BearerTokenFile={tokenFile}",
        ]);
        ExportFlow.Store(node, files);

        var dead = await ExportFlow.WaitForExportsAsync(_http, node, "DeadLetter", 2, TimeSpan.FromMinutes(5));
        dead.Should().HaveCount(2, "a token signed with another key is refused (log: {0})", ExportFlow.Tail(node.Output));
        dead.Should().OnlyContain(d => d.GetProperty("attempts").GetInt32() == 1 && d.GetProperty("lastError").GetString() == "STOW-RS HTTP 401");

        File.WriteAllText(tokenFile, Token("sender", DateTimeOffset.UtcNow.AddHours(1)) + "\n");
        await ReplayAsync(node, dead);

        var delivered = await ExportFlow.WaitForExportsAsync(_http, node, "Delivered", 2, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(2, "the rotated token is accepted ({0}; destination log: {1})", await AllExportsAsync(node), Errors(destination.Output));
        (await InstancesAtDestinationAsync(destination, dead[0].GetProperty("studyInstanceUid").GetString()!)).Select(i => i.Sop)
            .Should().BeEquivalentTo(dead.Select(d => d.GetProperty("sopInstanceUid").GetString()));
    }

    private async Task<string> AllExportsAsync(NodeProcess node) => await _http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/exports"));

    /// <summary>The destination's log without its request lines (which the polling fills).</summary>
    private static string Errors(string output) =>
        ExportFlow.Tail(string.Join('\n', output.Split('\n').Where(l => !l.Contains("RequestLoggingMiddleware", StringComparison.Ordinal) || l.Contains("/dicomweb", StringComparison.Ordinal))));

    private async Task ReplayAsync(NodeProcess node, List<JsonElement> dead)
    {
        foreach (var d in dead)
        {
            using var replay = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/exports/{d.GetProperty("id").GetString()}/replay"), null);
            replay.StatusCode.Should().Be(HttpStatusCode.NoContent);
        }
    }

    /// <summary>QIDO-RS at the destination with a reader token: the study's instances (SOP Instance UID, series, SOP Class).</summary>
    private async Task<List<(string Sop, string Series, string SopClass)>> InstancesAtDestinationAsync(NodeProcess destination, string study)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{destination.BaseUrl}/dicomweb/studies/{study}/instances?includefield=0020000E");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token("reader", DateTimeOffset.UtcNow.AddMinutes(10)));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/dicom+json"));
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue(text);
        if (response.StatusCode == HttpStatusCode.NoContent || string.IsNullOrWhiteSpace(text)) return [];
        return JsonDocument.Parse(text).RootElement.EnumerateArray()
            .Select(i => (Value(i, "00080018"), Value(i, "0020000E"), Value(i, "00080016"))).ToList();
    }

    private static string Value(JsonElement item, string tag) => item.GetProperty(tag).GetProperty("Value")[0].GetString()!;

    /// <summary>WADO-RS retrieve of one instance at the destination; DCMTK dcmdump reads its SOP Instance UID.</summary>
    private async Task RetrieveWithDcmdumpAsync(NodeProcess destination, string study, string series, string sop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{destination.BaseUrl}/dicomweb/studies/{study}/series/{series}/instances/{sop}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token("reader", DateTimeOffset.UtcNow.AddMinutes(10)));
        request.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"");
        using var response = await _http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, await response.Content.ReadAsStreamAsync());
        var section = (await reader.ReadNextSectionAsync())!;
        var path = _dir.File(sop + ".dcm");
        await using (var fs = File.Create(path)) await section.Body.CopyToAsync(fs);
        (await reader.ReadNextSectionAsync()).Should().BeNull("one instance was asked for");
        var dump = Tools.Run("dcmdump", ["-q", "+P", "SOPInstanceUID", path]);
        dump.ExitCode.Should().Be(0, dump.StdErr);
        dump.StdOut.Should().Contain("[" + sop + "]", string.Create(CultureInfo.InvariantCulture, $"the destination serves the instance it received ({dump.StdOut})"));
    }
}
