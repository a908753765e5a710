using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>Issue 9, security: the real `mednode serve` with its shipped appsettings.json refuses web requests without credentials.</summary>
public sealed class SecurityServeTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-sec-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Serve_ShippedDefaults_RefuseDicomWebAndApiButNotHealthOrMetrics()
    {
        using var node = NodeProcess.Start(_dir.Path, ["--MedNode:Security:AllowAnonymous=false"]);
        using var http = new HttpClient();
        (await http.GetAsync(new Uri($"{node.BaseUrl}/dicomweb/studies"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await http.GetAsync(new Uri($"{node.BaseUrl}/api/v1/jobs"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await http.GetAsync(new Uri($"{node.BaseUrl}/health/live"))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await http.GetAsync(new Uri($"{node.BaseUrl}/health/ready"))).StatusCode.Should().NotBe(HttpStatusCode.Unauthorized);
        (await http.GetAsync(new Uri($"{node.BaseUrl}/metrics"))).StatusCode.Should().Be(HttpStatusCode.OK);
        node.Output.Should().Contain("every DICOMweb and API request will be refused");
    }

    [Fact]
    public async Task Serve_ApiKeyHashFromEnvironment_AdmitsTheKeyAndAuditsAWrongOne()
    {
        const string key = "ops-key-3e9d1f7b2a";
        var env = new Dictionary<string, string>
        {
            ["MedNode__Security__ApiKeys__0__Name"] = "ops",
            ["MedNode__Security__ApiKeys__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))),
            ["MedNode__Security__ApiKeys__0__Roles__0"] = "admin",
        };
        using var node = NodeProcess.Start(_dir.Path, ["--MedNode:Security:AllowAnonymous=false"], env);
        using var http = new HttpClient();
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, $"{node.BaseUrl}/api/v1/jobs"))
        {
            wrong.Headers.Add("X-Api-Key", "ops-key-wrong");
            (await http.SendAsync(wrong)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }
        using var audit = new HttpRequestMessage(HttpMethod.Get, $"{node.BaseUrl}/api/v1/audit?eventCode=110114");
        audit.Headers.Add("X-Api-Key", key);
        using var response = await http.SendAsync(audit);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var rows = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        rows.EnumerateArray().Should().ContainSingle(r => r.GetProperty("detail").GetString()!.Contains("unknown API key", StringComparison.Ordinal));
        node.Output.Should().NotContain("ops-key-wrong").And.NotContain(key);
    }

    [Fact]
    public async Task Serve_MetricsRole_ClosesMetricsToCallersWithoutIt()
    {
        const string key = "scraper-key-8a7b6c5d";
        var env = new Dictionary<string, string>
        {
            ["MedNode__Security__ApiKeys__0__Name"] = "prometheus",
            ["MedNode__Security__ApiKeys__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))),
            ["MedNode__Security__ApiKeys__0__Roles__0"] = "reader",
        };
        using var node = NodeProcess.Start(_dir.Path, ["--MedNode:Security:AllowAnonymous=false", "--MedNode:Security:MetricsRole=reader"], env);
        using var http = new HttpClient();
        (await http.GetAsync(new Uri($"{node.BaseUrl}/metrics"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using var scrape = new HttpRequestMessage(HttpMethod.Get, $"{node.BaseUrl}/metrics");
        scrape.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("ApiKey", key);
        using var response = await http.SendAsync(scrape);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Contain("# TYPE");
        (await http.GetAsync(new Uri($"{node.BaseUrl}/health/live"))).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
