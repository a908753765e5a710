using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MedNode.Core.Admin;
using MedNode.Core.ApplicationEntities;
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
    private readonly InMemoryAdminStateStore _state = new();
    private ApplicationEntityCatalog _aes = null!;
    private ModelSwitchboard _models = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["MedNode:Security:AllowAnonymous"] = "true" });
        builder.Services.AddMedNodeSecurity(builder.Configuration);
        _aes = new ApplicationEntityCatalog([new LocalAe("MEDNODE")], [new RemoteAe("PACS", "127.0.0.1", 104, [AePermission.Echo])], requireKnownPeers: true, _state);
        _models = new ModelSwitchboard(_state);
        builder.Services.AddSingleton(_aes).AddSingleton(_models).AddSingleton<IInstalledModels>(new FixedModels([new InstalledModel("m", "1.0.0", "ab")]));
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

    /// <summary>The installed models, as a fixed list (the host lists the models folder).</summary>
    private sealed class FixedModels(IReadOnlyList<InstalledModel> models) : IInstalledModels
    {
        public IReadOnlyList<InstalledModel> ListModels() => models;
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
        var other = await _jobs.EnqueueAsync(new JobRequest("k2", 1, "1.2.3", "1.2.3.4", ["1.2.3.4.6"], "m2", "cd", "r", []), default);
        JsonDocument.Parse(await _http.GetStringAsync("/api/v1/jobs?model=m")).RootElement.EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).Should().Equal(queued.Job.Id);
        JsonDocument.Parse(await _http.GetStringAsync("/api/v1/jobs?model=m2&status=queued")).RootElement.EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).Should().Equal(other.Job.Id);
        await ProblemAsync(await _http.GetAsync("/api/v1/jobs?model=" + new string('m', 129)), HttpStatusCode.BadRequest);
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

    [Fact]
    public async Task PutRemoteAes_SeveralProblems_Is400ListingEach_AndNothingChanges()
    {
        var changes = 0;
        _aes.Changed += _ => changes++;
        var bad = await _http.PutAsync("/api/v1/aes/remote", JsonBody("""
            [{"aeTitle":"SEVENTEEN-CHARS-X","host":"127.0.0.1"},
             {"aeTitle":"CTRL\u0007","host":"127.0.0.1","port":70000},
             {"aeTitle":"OK","host":"no-such-host.invalid","port":104},
             {"aeTitle":"NOHOST","port":104}]
            """));
        var errors = (await ProblemAsync(bad, HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        errors.Should().HaveCount(5);
        errors.Should().Contain(e => e.Contains("more than 16", StringComparison.Ordinal))
            .And.Contain(e => e.Contains("control characters", StringComparison.Ordinal))
            .And.Contain(e => e.Contains("port 70000", StringComparison.Ordinal))
            .And.Contain(e => e.Contains("does not resolve", StringComparison.Ordinal))
            .And.Contain(e => e.Contains("a host is needed", StringComparison.Ordinal));
        changes.Should().Be(0);
        (await _state.ReadAsync(ApplicationEntityCatalog.StateKey, default)).Should().BeNull("nothing was stored");
        var listed = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/aes/remote")).RootElement;
        listed.EnumerateArray().Select(r => r.GetProperty("aeTitle").GetString()).Should().Equal("PACS");
    }

    [Fact]
    public async Task RemoteAe_PutGetDelete_AppliesToTheListenerAccessAndIsStored()
    {
        (await _http.PutAsync("/api/v1/aes/remote/MODALITY", JsonBody("""{"host":"localhost","port":11112,"permissions":["Store","Echo"]}"""))).EnsureSuccessStatusCode();
        var one = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/aes/remote/MODALITY")).RootElement;
        one.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).Should().BeEquivalentTo("Store", "Echo");
        var access = _aes.ToServerAccess();
        access.Peers.Single(p => p.AeTitle == "MODALITY").Services.Should().Be(MedNode.Dicom.Network.Server.DimseServices.Store | MedNode.Dicom.Network.Server.DimseServices.Echo);
        _aes.MoveDestinations().Select(d => d.AeTitle).Should().BeEquivalentTo("PACS", "MODALITY");
        await ProblemAsync(await _http.PutAsync("/api/v1/aes/remote/MODALITY", JsonBody("""{"aeTitle":"OTHER","host":"localhost"}""")), HttpStatusCode.BadRequest);
        (await _http.DeleteAsync("/api/v1/aes/remote/MODALITY")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await ProblemAsync(await _http.GetAsync("/api/v1/aes/remote/MODALITY"), HttpStatusCode.NotFound);
        await ProblemAsync(await _http.DeleteAsync("/api/v1/aes/remote/MODALITY"), HttpStatusCode.NotFound);

        // A catalog started from the same store (a restart) has what the API stored, not its configuration.
        var restarted = new ApplicationEntityCatalog([new LocalAe("MEDNODE")], [], requireKnownPeers: true, _state);
        (await restarted.LoadAsync(default)).Should().BeTrue();
        restarted.Remote.Select(r => r.AeTitle).Should().Equal("PACS");
    }

    [Fact]
    public async Task PutLocalAes_EmptyOrDuplicate_Is400_ValidListReplaces()
    {
        (await ProblemAsync(await _http.PutAsync("/api/v1/aes/local", JsonBody("[]")), HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("At least one");
        await ProblemAsync(await _http.PutAsync("/api/v1/aes/local", JsonBody("""[{"aeTitle":"A"},{"aeTitle":"A "}]""")), HttpStatusCode.BadRequest);
        (await _http.PutAsync("/api/v1/aes/local", JsonBody("""[{"aeTitle":" MEDNODE "},{"aeTitle":"ARCHIVE"}]"""))).EnsureSuccessStatusCode();
        _aes.ToServerAccess().CalledAeTitles.Should().Equal("MEDNODE", "ARCHIVE");
    }

    [Fact]
    public async Task Models_ListThenShadowThenDisable_StateIsStored()
    {
        var listed = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/models")).RootElement[0];
        listed.GetProperty("id").GetString().Should().Be("m");
        listed.GetProperty("enabled").GetBoolean().Should().BeTrue();
        listed.GetProperty("shadow").GetBoolean().Should().BeFalse();
        (await _http.PutAsync("/api/v1/models/m", JsonBody("""{"shadow":true}"""))).EnsureSuccessStatusCode();
        (await _http.PutAsync("/api/v1/models/m", JsonBody("""{"enabled":false}"""))).EnsureSuccessStatusCode();
        _models.For("m").Should().Be(new ModelState(Enabled: false, Shadow: true));
        await ProblemAsync(await _http.PutAsync("/api/v1/models/x", JsonBody("""{"enabled":false}""")), HttpStatusCode.NotFound);
        await ProblemAsync(await _http.PutAsync("/api/v1/models/m", JsonBody("""{"enabled":"maybe"}""")), HttpStatusCode.BadRequest);
        var restarted = new ModelSwitchboard(_state);
        await restarted.LoadAsync(default);
        restarted.For("m").Should().Be(new ModelState(Enabled: false, Shadow: true));
    }
}
