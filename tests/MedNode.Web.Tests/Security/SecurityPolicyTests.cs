using System.Net;
using System.Text.Json;
using MedNode.Core.Audit;
using MedNode.Web.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.Tests.Security;

/// <summary>Rate limiting, anonymous access and the audit of refused requests, each on a node of its own.</summary>
public sealed class SecurityPolicyTests
{
    private static async Task<HttpResponseMessage> GetAsync(SecuredNode node, string url, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (apiKey != null) request.Headers.Add("X-Api-Key", apiKey);
        return await node.Client.SendAsync(request);
    }

    [Fact]
    public async Task RateLimit_FloodFromOneClient_Is429WithRetryAfterAndProblem()
    {
        await using var node = await SecuredNode.StartAsync(new Dictionary<string, string?>
        {
            ["MedNode:Security:RateLimit:PermitLimit"] = "3",
            ["MedNode:Security:RateLimit:WindowSeconds"] = "3600",
        });
        for (int i = 0; i < 3; i++) (await GetAsync(node, "/dicomweb/studies", SecuredNode.ReaderKey)).StatusCode.Should().Be(HttpStatusCode.OK);
        using var limited = await GetAsync(node, "/dicomweb/studies", SecuredNode.ReaderKey);
        limited.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(3600), "a fixed window opens again after the window");
        limited.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32().Should().Be(429);
        (await GetAsync(node, "/dicomweb/studies", SecuredNode.AdminKey)).StatusCode.Should().Be(HttpStatusCode.OK, "each identity has its own budget");
        (await GetAsync(node, "/health/live")).StatusCode.Should().Be(HttpStatusCode.OK, "health is not rate limited");
    }

    [Fact]
    public async Task RateLimit_FailedLogins_AreLimitedByAddress()
    {
        await using var node = await SecuredNode.StartAsync(new Dictionary<string, string?>
        {
            ["MedNode:Security:RateLimit:PermitLimit"] = "2",
            ["MedNode:Security:RateLimit:WindowSeconds"] = "3600",
        });
        for (int i = 0; i < 2; i++) (await GetAsync(node, "/api/v1/jobs", "guess-" + i)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await GetAsync(node, "/api/v1/jobs", "guess-2")).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Anonymous_On_LogsAWarningAndLetsRequestsWithoutCredentialsIn()
    {
        await using var node = await SecuredNode.StartAsync(new Dictionary<string, string?>
        {
            ["MedNode:Security:AllowAnonymous"] = "true",
            ["MedNode:Security:AnonymousRoles:0"] = "reader",
        });
        node.Logs.Should().Contain(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("Anonymous access is ON", StringComparison.Ordinal));
        (await GetAsync(node, "/dicomweb/studies")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await GetAsync(node, "/api/v1/jobs")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "anonymous callers get only the configured roles");
        (await GetAsync(node, "/dicomweb/studies", "not-a-key")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "bad credentials are refused even when anonymous access is on");
    }

    [Fact]
    public async Task Anonymous_OffByDefault_LogsNoAnonymousWarning()
    {
        await using var node = await SecuredNode.StartAsync();
        node.Logs.Should().NotContain(l => l.Contains("Anonymous access is ON", StringComparison.Ordinal));
        (await GetAsync(node, "/dicomweb/studies")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        new SecurityOptions().AllowAnonymous.Should().BeFalse();
    }

    [Fact]
    public async Task NoCredentialsConfigured_LogsThatEveryRequestIsRefused()
    {
        await using var node = await SecuredNode.StartAsync(credentials: false);
        node.Logs.Should().Contain(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("every DICOMweb and API request will be refused", StringComparison.Ordinal));
        (await GetAsync(node, "/dicomweb/studies", SecuredNode.AdminKey)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    [Trait("Conformance", "PS3.15 A.5.3.12 User Authentication")]
    public async Task FailedAuthentication_IsAuditedAsUserAuthenticationFailure_ReadBackThroughTheAuditApi()
    {
        await using var node = await SecuredNode.StartAsync();
        (await GetAsync(node, "/dicomweb/studies/1.2.3", "stolen-key-0a1b2c")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using var r = await GetAsync(node, "/api/v1/audit?eventCode=110114", SecuredNode.AdminKey);
        r.StatusCode.Should().Be(HttpStatusCode.OK);
        var text = await r.Content.ReadAsStringAsync();
        var row = JsonDocument.Parse(text).RootElement.EnumerateArray().Should().ContainSingle().Subject;
        row.GetProperty("eventCode").GetString().Should().Be("110114");
        row.GetProperty("eventScheme").GetString().Should().Be("DCM");
        row.GetProperty("outcome").GetInt32().Should().Be((int)AuditOutcome.MinorFailure);
        row.GetProperty("detail").GetString().Should().Contain("unknown API key").And.Contain("/dicomweb/studies/{study}").And.NotContain("1.2.3");
        row.GetProperty("participants").GetString().Should().StartWith("unauthenticated|127.0.0.1|R|");
        text.Should().NotContain("stolen-key-0a1b2c");
        (await GetAsync(node, "/api/v1/audit/verify", SecuredNode.AdminKey)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    [Trait("Conformance", "PS3.15 A.5.3.10 Query")]
    public async Task QidoSearch_ByAnApiKeyUser_IsAuditedAsQueryWithThatUserAsRequestor_WithoutTheValues()
    {
        await using var node = await SecuredNode.StartAsync();
        (await GetAsync(node, "/dicomweb/studies?PatientID=typed-id-4711", SecuredNode.ReaderKey)).StatusCode.Should().Be(HttpStatusCode.OK);
        await node.Services.GetRequiredService<BackgroundAuditWriter>().DrainAsync();
        var rows = await node.Services.GetRequiredService<IAuditTrail>().ReadAsync(new AuditQuery(EventCode: "110112"), CancellationToken.None).ToListAsync();
        var row = rows.Should().ContainSingle().Subject;
        row.Action.Should().Be("E");
        row.Outcome.Should().Be((int)AuditOutcome.Success);
        row.Participants.Split('\n').Should().HaveCount(2).And.HaveElementAt(0, "reader-app|127.0.0.1|R|Source");
        row.Participants.Split('\n')[1].Should().EndWith("/dicomweb||-|Destination");
        row.Detail.Should().Contain("QIDO-RS /dicomweb/studies").And.Contain("(0010,0020) SingleValue").And.NotContain("typed-id-4711");
    }

    [Fact]
    [Trait("Conformance", "PS3.15 A.5.3.11 Security Alert")]
    public async Task MissingRole_IsAuditedAsSecurityAlert()
    {
        await using var node = await SecuredNode.StartAsync();
        (await GetAsync(node, "/api/v1/rules", SecuredNode.ReaderKey)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var trail = node.Services.GetRequiredService<IAuditTrail>();
        var rows = await trail.ReadAsync(new AuditQuery(EventCode: "110113"), CancellationToken.None).ToListAsync();
        var row = rows.Should().ContainSingle().Subject;
        row.Outcome.Should().Be((int)AuditOutcome.MinorFailure);
        row.Participants.Should().StartWith("reader-app|127.0.0.1|R|");
        row.Detail.Should().Contain("110132").And.Contain("admin").And.Contain("GET /api/v1/rules");
    }

    [Fact]
    public async Task FailedAuthentication_Flood_IsAuditedOncePerClientAndWindow()
    {
        await using var node = await SecuredNode.StartAsync(new Dictionary<string, string?> { ["MedNode:Security:AuditWindowSeconds"] = "3600" });
        for (int i = 0; i < 5; i++) (await GetAsync(node, "/dicomweb/studies", "guess-" + i)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var rows = await node.Services.GetRequiredService<IAuditTrail>().ReadAsync(new AuditQuery(EventCode: "110114"), CancellationToken.None).ToListAsync();
        rows.Should().ContainSingle();
        node.Logs.Count(l => l.Contains("Authentication failed", StringComparison.Ordinal)).Should().Be(5, "each failure is still logged");
    }

    [Fact]
    public void Options_BadValues_NameTheSetting()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MedNode:Security:AnonymousRoles:0"] = "superuser",
            ["MedNode:Security:ApiKeys:0:Name"] = "x",
            ["MedNode:Security:ApiKeys:0:Sha256"] = "plaintext-key",
            ["MedNode:Security:ApiKeys:0:Roles:0"] = "reader",
            ["MedNode:Security:Jwt:SymmetricKeys:0"] = Convert.ToBase64String(new byte[16]),
            ["MedNode:Security:RateLimit:Kind"] = "SlidingDoor",
        }).Build();
        var problems = config.GetSection(SecurityOptions.Section).Get<SecurityOptions>()!.Validate();
        problems.Should().Contain(p => p.StartsWith("MedNode:Security:AnonymousRoles", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("MedNode:Security:ApiKeys:0:Sha256", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("MedNode:Security:Jwt:SymmetricKeys:0", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("MedNode:Security:Jwt:Issuers", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("MedNode:Security:RateLimit:Kind", StringComparison.Ordinal));
        var act = () => new ServiceCollection().AddMedNodeSecurity(config);
        act.Should().Throw<InvalidOperationException>().WithMessage("*MedNode:Security:ApiKeys:0:Sha256*");
    }
}
