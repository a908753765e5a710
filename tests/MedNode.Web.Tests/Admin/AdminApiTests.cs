using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MedNode.Core.Audit;
using MedNode.Core.Export;
using MedNode.Core.Jobs;
using MedNode.Core.Rules;
using MedNode.TestSupport;
using MedNode.Web.Admin;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedNode.Web.Tests.Admin;

/// <summary>The admin API on a real Kestrel at 127.0.0.1:0 over in-memory jobs, outbox and audit trail.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private WebApplication? _app;
    private HttpClient _http = null!;
    private readonly RuleSource _rules = new(RuleEngine.Create([]));
    private readonly DestinationCatalog _destinations = new([]);
    private readonly InMemoryJobQueue _jobs = new();
    private readonly InMemoryOutbox _outbox = new();
    private readonly InMemoryAuditTrail _audit = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["MedNode:Security:AllowAnonymous"] = "true" });
        builder.Services.AddMedNodeSecurity(builder.Configuration);
        builder.Services.AddSingleton(_rules).AddSingleton<IRuleSource>(_rules).AddSingleton(_destinations).AddSingleton<IJobQueue>(_jobs)
            .AddSingleton<IOutbox>(_outbox).AddSingleton<IAuditTrail>(_audit).AddSingleton(TimeProvider.System).AddSingleton(new DestinationTester(new HttpClient()));
        _app = builder.Build();
        _app.UseMedNodeSecurity();
        _app.MapMedNodeAdmin();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app != null) await _app.DisposeAsync();
    }

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        r.StatusCode.Should().Be(expected);
        r.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task PutRules_Invalid_Is400AndNothingChanges()
    {
        (await _http.PutAsync("/api/v1/rules", JsonBody("""[{"name":"ct","match":{"modalities":["CT"]},"action":{"kind":"Analyze","model":"m"}}]"""))).EnsureSuccessStatusCode();
        var bad = await _http.PutAsync("/api/v1/rules", JsonBody("""[{"name":"x","match":{"seriesDescription":"re:(["},"action":{"kind":"Analyze","model":"m"}}]"""));
        (await ProblemAsync(bad, HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("not a valid pattern");
        var current = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/rules")).RootElement;
        current.EnumerateArray().Select(r => r.GetProperty("name").GetString()).Should().Equal("ct");
    }

    [RequiresFact("corpus", "dcm2json")]
    public async Task RuleTester_DatasetFromDcm2json_NamesTheRuleThatFiresAndWhy()
    {
        // The data set comes from DCMTK's dcm2json, not from MedNode's own writer.
        var file = Corpus.FullPath("uncompressed/dicomParser__CT1_UNC.implicit_little_endian.dcm");
        var json = Tools.Run("dcm2json", [file], TimeSpan.FromSeconds(60));
        json.ExitCode.Should().Be(0, json.StdErr);
        (await _http.PutAsync("/api/v1/rules", JsonBody("""
            [{"name":"mr","match":{"modalities":["MR"]},"action":{"kind":"Analyze","model":"m"}},
             {"name":"jfk-ct","match":{"modalities":["CT"],"tags":{"InstitutionName":"JFK*"}},"action":{"kind":"Analyze","model":"m"}}]
            """))).EnsureSuccessStatusCode();
        var r = await _http.PostAsync("/api/v1/rules/test?callingAeTitle=PACS&slices=1", JsonBody(json.StdOut));
        r.EnsureSuccessStatusCode();
        var decision = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        decision.GetProperty("rule").GetString().Should().Be("jfk-ct");
        var mr = decision.GetProperty("evaluations")[0];
        mr.GetProperty("matched").GetBoolean().Should().BeFalse();
        mr.GetProperty("checks")[0].GetProperty("detail").GetString().Should().Contain("'CT' is not one of [MR]");
    }

    [Fact]
    public async Task RuleTester_NotDicomJson_Is400()
    {
        var r = await _http.PostAsync("/api/v1/rules/test", JsonBody("{\"00100010\": 5}"));
        await ProblemAsync(r, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PutDestinations_BadHost_Is400_SecretsAreNeverReturned()
    {
        var bad = await _http.PutAsync("/api/v1/destinations", JsonBody("""[{"name":"pacs","kind":"Dimse","aeTitle":"PACS","host":"bad host!","port":104}]"""));
        (await ProblemAsync(bad, HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("Host");
        _destinations.All.Should().BeEmpty();
        (await _http.PutAsync("/api/v1/destinations", JsonBody("""[{"name":"web","kind":"DicomWeb","url":"http://127.0.0.1:1/dicom-web/","password":"s3cret","username":"u"}]"""))).EnsureSuccessStatusCode();
        var listed = await _http.GetStringAsync("/api/v1/destinations");
        listed.Should().NotContain("s3cret").And.Contain("***");
    }

    [RequiresFact(null, "storescp")]
    public async Task DestinationTest_EchoesARealScp_AndReportsAClosedPort()
    {
        using var dir = new TempDir("mednode-admin-");
        using var scp = new StorescpProcess(dir.File("out"));
        var closed = StorescpProcess.FreePort();
        (await _http.PutAsync("/api/v1/destinations", JsonBody($$"""
            [{"name":"up","kind":"Dimse","aeTitle":"STORESCP","host":"127.0.0.1","port":{{scp.Port}}},
             {"name":"down","kind":"Dimse","aeTitle":"STORESCP","host":"127.0.0.1","port":{{closed}}}]
            """))).EnsureSuccessStatusCode();
        var up = JsonDocument.Parse(await (await _http.PostAsync("/api/v1/destinations/up/test", null)).Content.ReadAsStringAsync()).RootElement;
        up.GetProperty("ok").GetBoolean().Should().BeTrue(up.GetProperty("detail").GetString());
        var down = JsonDocument.Parse(await (await _http.PostAsync("/api/v1/destinations/down/test", null)).Content.ReadAsStringAsync()).RootElement;
        down.GetProperty("ok").GetBoolean().Should().BeFalse();
        await ProblemAsync(await _http.PostAsync("/api/v1/destinations/nope/test", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Jobs_FilterAndLookup_WithClearErrors()
    {
        var queued = await _jobs.EnqueueAsync(new JobRequest("k", 1, "1.2.3", "1.2.3.4", ["1.2.3.4.5"], "m", "ab", "r", []), default);
        var list = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/jobs?status=queued&study=1.2.3")).RootElement;
        list.EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).Should().Equal(queued.Job.Id);
        JsonDocument.Parse(await _http.GetStringAsync("/api/v1/jobs?status=succeeded")).RootElement.GetArrayLength().Should().Be(0);
        await ProblemAsync(await _http.GetAsync("/api/v1/jobs?status=exploded"), HttpStatusCode.BadRequest);
        await ProblemAsync(await _http.GetAsync("/api/v1/jobs?from=yesterday"), HttpStatusCode.BadRequest);
        await ProblemAsync(await _http.GetAsync($"/api/v1/jobs/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        var one = JsonDocument.Parse(await _http.GetStringAsync($"/api/v1/jobs/{queued.Job.Id}")).RootElement;
        one.GetProperty("job").GetProperty("state").GetString().Should().Be("Queued");
    }

    [Fact]
    public async Task Replay_OnlyDeadLetters()
    {
        var item = new OutboxItem { Id = Guid.NewGuid(), JobId = Guid.NewGuid(), Destination = "d", Kind = ResultKind.Segmentation, SopClassUid = "1.2", SopInstanceUid = "1.2.3", StudyInstanceUid = "1", BlobKey = "k", NextAttemptAt = DateTimeOffset.UnixEpoch };
        await _outbox.AddAsync([item], default);
        await ProblemAsync(await _http.PostAsync($"/api/v1/exports/{item.Id}/replay", null), HttpStatusCode.Conflict);
        await _outbox.UpdateAsync(item with { State = OutboxState.DeadLetter, LastError = "refused" }, default);
        JsonDocument.Parse(await _http.GetStringAsync("/api/v1/exports?state=DeadLetter")).RootElement.GetArrayLength().Should().Be(1);
        (await _http.PostAsync($"/api/v1/exports/{item.Id}/replay", null)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _outbox.ListAsync(OutboxState.Pending, default)).Should().ContainSingle();
    }

    [Fact]
    public async Task AuditVerify_ReportsIntact_ThenTheTamperedRow()
    {
        for (var i = 0; i < 3; i++)
            await _audit.AppendAsync(new AuditEvent(AuditEventType.Query, AuditAction.E, AuditOutcome.Success, [new AuditParticipant("VIEWER", "127.0.0.1", true)], "1.2." + i), default);
        var ok = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/audit/verify")).RootElement;
        ok.GetProperty("isIntact").GetBoolean().Should().BeTrue();
        var rows = await _audit.ReadAsync(AuditQuery.All, default).ToListAsync();
        _audit.Overwrite(rows[1] with { StudyInstanceUid = "9.9" });
        var bad = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/audit/verify")).RootElement;
        bad.GetProperty("firstBadSequence").GetInt64().Should().Be(2);
        JsonDocument.Parse(await _http.GetStringAsync("/api/v1/audit?study=1.2.0")).RootElement.GetArrayLength().Should().Be(1);
    }
}
