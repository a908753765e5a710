using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MedNode.TestSupport;
using MedNode.Web.Tests.DicomWeb;

namespace MedNode.Web.Tests.Security;

/// <summary>Who may call DICOMweb and the API: JWTs and API keys, roles, 401 and 403 as problem+json (issue 9, Security).</summary>
public sealed class AuthenticationTests(SecuredNodeFixture fx) : IClassFixture<SecuredNodeFixture>
{
    private SecuredNode Node => fx.Node;

    private static Dictionary<string, object> Claims(string sub, params string[] roles) =>
        new() { ["sub"] = sub, ["role"] = roles.Length == 1 ? roles[0] : roles };

    private Task<HttpResponseMessage> GetAsync(string url, string? bearer = null, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (bearer != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (apiKey != null) request.Headers.Add("X-Api-Key", apiKey);
        return Node.Client.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        r.StatusCode.Should().Be(expected);
        r.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("status").GetInt32().Should().Be((int)expected);
        return problem;
    }

    private static string BearerChallenge(HttpResponseMessage r) =>
        r.Headers.WwwAuthenticate.Single(h => h.Scheme == "Bearer").Parameter ?? "";

    [Fact]
    [Trait("Conformance", "PS3.18 security: no credentials")]
    public async Task DicomWeb_NoCredentials_Is401WithChallenges()
    {
        using var r = await GetAsync("/dicomweb/studies");
        await ProblemAsync(r, HttpStatusCode.Unauthorized);
        r.Headers.WwwAuthenticate.Select(h => h.Scheme).Should().BeEquivalentTo("Bearer", "ApiKey");
        BearerChallenge(r).Should().Contain("realm=\"MedNode\"").And.NotContain("error=", "RFC 6750 §3.1: no error code when the request has no credentials");
    }

    [Fact]
    [Trait("Conformance", "PS3.18 security: expired JWT")]
    public async Task DicomWeb_ExpiredJwt_Is401InvalidToken()
    {
        var token = Tokens.Hs256(Node.HmacKey, Claims("alice", "reader"), expires: DateTime.UtcNow.AddMinutes(-5));
        using var r = await GetAsync("/dicomweb/studies", bearer: token);
        (await ProblemAsync(r, HttpStatusCode.Unauthorized)).GetProperty("detail").GetString().Should().Contain("expired");
        BearerChallenge(r).Should().Contain("error=\"invalid_token\"").And.Contain("expired");
    }

    [Fact]
    [Trait("Conformance", "PS3.18 security: mis-signed JWT")]
    public async Task DicomWeb_JwtSignedWithAnotherKey_Is401()
    {
        var token = Tokens.Hs256(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), Claims("mallory", "admin"));
        using var r = await GetAsync("/dicomweb/studies", bearer: token);
        (await ProblemAsync(r, HttpStatusCode.Unauthorized)).GetProperty("detail").GetString().Should().Contain("signature");
        BearerChallenge(r).Should().Contain("error=\"invalid_token\"");
    }

    [Theory]
    [InlineData("https://other-idp.test", SecuredNode.Audience, "issuer")]
    [InlineData(SecuredNode.Issuer, "another-service", "audience")]
    public async Task DicomWeb_JwtForAnotherIssuerOrAudience_Is401(string issuer, string audience, string reason)
    {
        var token = Tokens.Hs256(Node.HmacKey, Claims("alice", "reader"), issuer: issuer, audience: audience);
        using var r = await GetAsync("/dicomweb/studies", bearer: token);
        (await ProblemAsync(r, HttpStatusCode.Unauthorized)).GetProperty("detail").GetString().Should().Contain(reason);
    }

    [Fact]
    [Trait("Conformance", "PS3.18 security: role required")]
    public async Task DicomWeb_ValidJwtWithoutReaderRole_Is403()
    {
        using var r = await GetAsync("/dicomweb/studies", bearer: Tokens.Hs256(Node.HmacKey, Claims("bob", "sender")));
        (await ProblemAsync(r, HttpStatusCode.Forbidden)).GetProperty("detail").GetString().Should().Contain("reader");
        r.Headers.WwwAuthenticate.Should().BeEmpty();
    }

    [RequiresFact("corpus")]
    [Trait("Conformance", "PS3.18 security: reader token")]
    public async Task DicomWeb_ReaderJwt_QidoAndWadoAre200()
    {
        using (var stow = new HttpRequestMessage(HttpMethod.Post, "/dicomweb/studies") { Content = Multipart.Dicom(Golden.MrSlice) })
        {
            stow.Headers.Add("X-Api-Key", SecuredNode.SenderKey);
            (await Node.Client.SendAsync(stow)).StatusCode.Should().Be(HttpStatusCode.OK);
        }
        var token = Tokens.Hs256(Node.HmacKey, Claims("carol", "reader"));
        using var qido = await GetAsync($"/dicomweb/studies?StudyInstanceUID={Golden.MrStudy}", bearer: token);
        qido.StatusCode.Should().Be(HttpStatusCode.OK);
        (await qido.Content.ReadAsStringAsync()).Should().Contain(Golden.MrStudy);
        using var wado = await GetAsync($"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}/metadata", bearer: token);
        wado.StatusCode.Should().Be(HttpStatusCode.OK);
        (await wado.Content.ReadAsStringAsync()).Should().Contain(Golden.MrSop);
        using var rendered = await GetAsync($"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}/thumbnail", bearer: token);
        rendered.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DicomWeb_RolesAsJsonArrayClaim_AreRead()
    {
        var claims = new Dictionary<string, object> { ["sub"] = "dave", ["roles"] = new[] { "auditor", "reader" } };
        using var r = await GetAsync("/dicomweb/studies", bearer: Tokens.Hs256(Node.HmacKey, claims));
        r.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DicomWeb_Rs256JwtFromPublicKeyFile_Is200()
    {
        using var r = await GetAsync("/dicomweb/studies", bearer: Tokens.Rs256(Node.Rsa, Claims("erin", "reader")));
        r.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [RequiresFact(null, "openssl")]
    public async Task DicomWeb_Hs256JwtSignedByOpenssl_Is200()
    {
        using var dir = new TempDir("mednode-jwt-");
        var payload = new { iss = SecuredNode.Issuer, aud = SecuredNode.Audience, sub = "openssl", role = "reader", exp = Tokens.UnixSeconds(DateTimeOffset.UtcNow.AddMinutes(5)) };
        var token = Tokens.OpenSsl("HS256", ["-mac", "HMAC", "-macopt", "hexkey:" + Convert.ToHexString(Node.HmacKey)], dir.Path, payload);
        using var r = await GetAsync("/dicomweb/studies", bearer: token);
        r.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [RequiresFact(null, "openssl")]
    public async Task DicomWeb_Rs256JwtSignedByOpenssl_Is200AndTamperedPayloadIs401()
    {
        using var dir = new TempDir("mednode-jwt-");
        var payload = new { iss = SecuredNode.Issuer, aud = SecuredNode.Audience, sub = "openssl", role = "reader", exp = Tokens.UnixSeconds(DateTimeOffset.UtcNow.AddMinutes(5)) };
        var token = Tokens.OpenSsl("RS256", ["-sign", Node.RsaPrivateKeyPath], dir.Path, payload);
        using (var ok = await GetAsync("/dicomweb/studies", bearer: token)) ok.StatusCode.Should().Be(HttpStatusCode.OK);
        var parts = token.Split('.');
        var admin = Tokens.OpenSsl("RS256", ["-sign", Node.RsaPrivateKeyPath], dir.Path, payload with { role = "admin" }).Split('.')[1];
        using var tampered = await GetAsync("/api/v1/jobs", bearer: $"{parts[0]}.{admin}.{parts[2]}");
        tampered.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the reader token's signature does not cover an admin payload");
    }

    [RequiresFact("corpus")]
    public async Task SenderKey_StowsButNeitherReadsNorAdministers()
    {
        using (var stow = new HttpRequestMessage(HttpMethod.Post, "/dicomweb/studies") { Content = Multipart.Dicom(Golden.CtImage1) })
        {
            stow.Headers.Add("X-Api-Key", SecuredNode.SenderKey);
            (await Node.Client.SendAsync(stow)).StatusCode.Should().Be(HttpStatusCode.OK);
        }
        using var jobs = await GetAsync("/api/v1/jobs", apiKey: SecuredNode.SenderKey);
        await ProblemAsync(jobs, HttpStatusCode.Forbidden);
        using var qido = await GetAsync("/dicomweb/studies", apiKey: SecuredNode.SenderKey);
        await ProblemAsync(qido, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ReaderKey_CannotStow()
    {
        using var stow = new HttpRequestMessage(HttpMethod.Post, "/dicomweb/studies") { Content = Multipart.Parts(("application/dicom", [0])) };
        stow.Headers.Add("X-Api-Key", SecuredNode.ReaderKey);
        await ProblemAsync(await Node.Client.SendAsync(stow), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AdminKey_ReachesTheApiAndReadsDicomWeb()
    {
        (await GetAsync("/api/v1/jobs", apiKey: SecuredNode.AdminKey)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await GetAsync("/api/v1/audit?limit=1", apiKey: SecuredNode.AdminKey)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await GetAsync("/dicomweb/studies", apiKey: SecuredNode.AdminKey)).StatusCode.Should().Be(HttpStatusCode.OK, "admin implies reader");
        (await GetAsync("/api/v1/jobs", apiKey: SecuredNode.ReaderKey)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await GetAsync("/api/v1/jobs", bearer: Tokens.Hs256(Node.HmacKey, Claims("root", "admin")))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ApiKey_InAuthorizationHeader_IsAccepted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dicomweb/studies");
        request.Headers.Authorization = new AuthenticationHeaderValue("ApiKey", SecuredNode.ReaderKey);
        (await Node.Client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ApiKey_Unknown_Is401()
    {
        using var r = await GetAsync("/dicomweb/studies", apiKey: SecuredNode.ReaderKey + "x");
        (await ProblemAsync(r, HttpStatusCode.Unauthorized)).GetProperty("detail").GetString().Should().Contain("unknown API key");
    }

    [Fact]
    public async Task HealthAndOpenApi_NeedNoCredentials()
    {
        (await GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Cors_PreflightWithoutCredentials_IsAnsweredAndTheRequestItselfIs401()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/dicomweb/studies/1.2/series/3.4");
        preflight.Headers.Add("Origin", SecuredNode.Origin);
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "accept, authorization");
        using var answer = await Node.Client.SendAsync(preflight);
        answer.IsSuccessStatusCode.Should().BeTrue("browsers send preflights without credentials (Fetch standard, CORS-preflight fetch)");
        answer.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal(SecuredNode.Origin);
        answer.Headers.GetValues("Access-Control-Allow-Headers").Single().Should().ContainEquivalentOf("authorization");

        using var get = new HttpRequestMessage(HttpMethod.Get, "/dicomweb/studies/1.2/series/3.4");
        get.Headers.Add("Origin", SecuredNode.Origin);
        using var refused = await Node.Client.SendAsync(get);
        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        refused.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal(new[] { SecuredNode.Origin }, "the viewer must be able to read the 401");
    }

    [Fact]
    public async Task Secrets_NeverAppearInTheLog()
    {
        var token = Tokens.Hs256(Node.HmacKey, Claims("frank", "reader"), expires: DateTime.UtcNow.AddMinutes(-5));
        (await GetAsync("/dicomweb/studies", bearer: token)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await GetAsync("/dicomweb/studies", apiKey: "wrong-key-5e6f7a")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await GetAsync("/dicomweb/studies", apiKey: SecuredNode.ReaderKey)).StatusCode.Should().Be(HttpStatusCode.OK);
        var log = string.Join('\n', Node.Logs);
        log.Should().Contain("Authentication failed", "the failures are logged");
        log.Should().NotContain(token.Split('.')[2]).And.NotContain(token.Split('.')[1]).And.NotContain("wrong-key-5e6f7a")
            .And.NotContain(SecuredNode.ReaderKey).And.NotContain(Convert.ToBase64String(Node.HmacKey));
    }
}
