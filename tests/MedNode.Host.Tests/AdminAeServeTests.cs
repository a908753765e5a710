using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Local and remote AEs through the admin API of a running `mednode serve`, checked with DCMTK: each change applies to
/// the next association without a restart, and survives one (the index database: SQLite in the node's folder, or
/// PostgreSQL; <see cref="AdminAeServeSqliteTests"/>, <see cref="AdminAeServePostgresTests"/>).
/// </summary>
public abstract class AdminAeServeTests : IDisposable
{
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-admin-ae-");
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new, empty database for one test; returns the node settings that name it.</summary>
    protected abstract Task<string[]> NewDatabaseAsync(string nodeDir);

    /// <summary>The test's database settings, the same for the node after its restart.</summary>
    private string[] _database = [];

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static Tools.Result Dcmtk(string tool, NodeProcess node, string calledAe, params string[] args) =>
        Tools.Run(tool, ["-aet", "SCU", "-aec", calledAe, .. args, "127.0.0.1", node.DimsePortText], TimeSpan.FromMinutes(1), env: Env);

    private static Tools.Result Store(NodeProcess node, string file) =>
        Tools.Run("storescu", ["-aet", "SCU", "-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, file], TimeSpan.FromMinutes(1), env: Env);

    private static Tools.Result Echo(NodeProcess node, string calledAe = "MEDNODE", string callingAe = "SCU") =>
        Tools.Run("echoscu", ["-aet", callingAe, "-aec", calledAe, "127.0.0.1", node.DimsePortText], TimeSpan.FromMinutes(1), env: Env);

    /// <summary>The tool failed because the association or its presentation contexts were refused (DCMTK's wording).</summary>
    private static void Refused(Tools.Result r, string wording, string because)
    {
        r.ExitCode.Should().NotBe(0, because);
        (r.StdOut + r.StdErr).Should().ContainEquivalentOf(wording, because);
    }

    private static string[] StudyKeys(string study) => ["-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study];

    private async Task<HttpResponseMessage> PutAsync(NodeProcess node, string path, string json) =>
        await _http.PutAsync(new Uri(node.BaseUrl + path), new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task PutOkAsync(NodeProcess node, string path, string json)
    {
        using var r = await PutAsync(node, path, json);
        r.StatusCode.Should().Be(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    private NodeProcess StartNode(string nodeDir) => NodeProcess.Start(nodeDir,
    [
        .. _database,
        "--MedNode:Dimse:RequireKnownPeers=true",
        "--MedNode:Dimse:AllowedPeers:0:AeTitle=SCU",
        "--MedNode:Dimse:AllowedPeers:0:Host=127.0.0.1",
        "--MedNode:Dimse:AllowedPeers:0:Permissions:0=Echo",
    ], env: Env);

    [RequiresFact("corpus", "echoscu", "storescu", "findscu", "movescu", "getscu", "storescp", "dcmdump")]
    [Trait("Conformance", "PS3.8 9.3.3.2")]
    public async Task RemoteAePermissions_ChangedThroughTheApi_TheNextDcmtkAssociationFollows_AndTheChangesSurviveARestart()
    {
        var source = Corpus.FullPath(CtSmall);
        var dump = Tools.Run("dcmdump", ["-q", "-s", "+P", "0020,000d", "+P", "0008,0018", source]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string Bracketed(string line) => line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.LastIndexOf(']')];
        var study = Bracketed(dump.Single(l => l.StartsWith("(0020,000d)", StringComparison.Ordinal)));
        var sop = Bracketed(dump.Single(l => l.StartsWith("(0008,0018)", StringComparison.Ordinal)));
        using var scp = new StorescpProcess(_dir.File("moved"));
        var nodeDir = Directory.CreateDirectory(_dir.File("node")).FullName;
        _database = await NewDatabaseAsync(nodeDir);
        var node = StartNode(nodeDir);
        try
        {
            // From configuration: SCU may echo only; an unknown calling AE is refused (A-ASSOCIATE-RJ, reason 3).
            Echo(node).ExitCode.Should().Be(0, "SCU has Echo");
            Refused(Echo(node, callingAe: "STRANGER"), "Calling AE Title Not Recognized", "the whitelist refuses an unknown calling AE");
            Refused(Store(node, source), "presentation context", "SCU has no Store: the storage context is rejected");

            // Store granted, and STORESCP made a C-MOVE destination: the next association may store.
            await PutOkAsync(node, "/api/v1/aes/remote", $$"""
                [{"aeTitle":"SCU","host":"127.0.0.1","permissions":["Echo","Store"]},
                 {"aeTitle":"STORESCP","host":"127.0.0.1","port":{{P(scp.Port)}}}]
                """);
            var stored = Store(node, source);
            stored.ExitCode.Should().Be(0, stored.StdErr);
            Refused(Dcmtk("findscu", node, "MEDNODE", StudyKeys(study)), "presentation context", "SCU has no Find yet");

            // One AE changed by itself: Find and Move, no Store.
            await PutOkAsync(node, "/api/v1/aes/remote/SCU", """{"host":"127.0.0.1","permissions":["Echo","Find","Move"]}""");
            var found = Dcmtk("findscu", node, "MEDNODE", StudyKeys(study));
            found.ExitCode.Should().Be(0, found.StdErr);
            (found.StdOut + found.StdErr).Should().Contain(study, "findscu shows the matching study");
            Refused(Store(node, source), "presentation context", "Store was taken away");
            var moved = Dcmtk("movescu", node, "MEDNODE", ["-aem", "STORESCP", .. StudyKeys(study)]);
            moved.ExitCode.Should().Be(0, moved.StdErr);
            scp.FilesFor(sop).Should().ContainSingle("the C-MOVE sent the instance to STORESCP");
            var gotDir = Directory.CreateDirectory(_dir.File("got1")).FullName;
            Refused(Dcmtk("getscu", node, "MEDNODE", ["-od", gotDir, .. StudyKeys(study)]), "presentation context", "SCU has no Get");
            Directory.EnumerateFiles(gotDir).Should().BeEmpty("SCU has no Get");

            // Get only: C-GET works (its C-STORE sub-operations use storage contexts with the SCP role); Echo no longer.
            await PutOkAsync(node, "/api/v1/aes/remote/SCU", """{"aeTitle":"SCU","host":"127.0.0.1","permissions":["Get"]}""");
            AssertGets(node, "got2", study, sop);
            Refused(Echo(node), "presentation context", "Echo was taken away");

            // Local AE titles: MEDNODE2 instead of MEDNODE (A-ASSOCIATE-RJ reason 7 for the old one).
            await PutOkAsync(node, "/api/v1/aes/local", """[{"aeTitle":"MEDNODE2"}]""");
            AssertGets(node, "got3", study, sop, "MEDNODE2");
            Refused(Echo(node, "MEDNODE"), "Called AE Title Not Recognized", "MEDNODE is no longer a local AE title (echoscu prints the reject reason)");

            // A bad change is refused whole, listing every problem, and changes nothing.
            using (var bad = await PutAsync(node, "/api/v1/aes/remote", """
                [{"aeTitle":"THIS-TITLE-IS-TOO-LONG","permissions":["Echo"]},
                 {"aeTitle":"A\\B","host":"no-such-host.invalid","port":104},
                 {"aeTitle":"   ","host":"127.0.0.1","port":0},
                 {"aeTitle":"OK","host":"127.0.0.1","port":104}]
                """))
            {
                bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
                bad.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
                var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement;
                var errors = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
                errors.Should().Contain(e => e.Contains("more than 16", StringComparison.Ordinal));
                errors.Should().Contain(e => e.Contains("backslash", StringComparison.Ordinal));
                errors.Should().Contain(e => e.Contains("does not resolve", StringComparison.Ordinal));
                errors.Should().Contain(e => e.Contains("all spaces", StringComparison.Ordinal));
                errors.Should().Contain(e => e.Contains("port 0", StringComparison.Ordinal));
            }
            AssertGets(node, "got5", study, sop, "MEDNODE2");

            // Restart: what the API stored wins over the configuration (which still says Echo only, local MEDNODE).
            node.Terminate();
            node.Process.WaitForExit(60_000).Should().BeTrue("the node stops on SIGTERM");
            node.Dispose();
            node = StartNode(nodeDir);
            AssertGets(node, "got6", study, sop, "MEDNODE2");
            Refused(Echo(node, "MEDNODE2"), "presentation context", "SCU still has no Echo after the restart");
            var remote = JsonDocument.Parse(await _http.GetStringAsync(new Uri(node.BaseUrl + "/api/v1/aes/remote"))).RootElement;
            remote.EnumerateArray().Select(r => r.GetProperty("aeTitle").GetString()).Should().BeEquivalentTo("SCU", "STORESCP");
        }
        finally
        {
            node.Dispose();
        }
    }

    private void AssertGets(NodeProcess node, string folder, string study, string sop, string calledAe = "MEDNODE")
    {
        var dir = Directory.CreateDirectory(_dir.File(folder)).FullName;
        var got = Dcmtk("getscu", node, calledAe, ["-od", dir, .. StudyKeys(study)]);
        got.ExitCode.Should().Be(0, got.StdErr);
        Directory.EnumerateFiles(dir).Select(Path.GetFileName).Should().ContainSingle(f => f!.EndsWith(sop, StringComparison.Ordinal), "getscu received the instance");
    }
}

/// <summary>AEs through the admin API with the index and the admin state in a SQLite file in the node's folder.</summary>
public sealed class AdminAeServeSqliteTests : AdminAeServeTests
{
    protected override Task<string[]> NewDatabaseAsync(string nodeDir) =>
        Task.FromResult<string[]>([$"--MedNode:Database:ConnectionString=Data Source={Path.Combine(nodeDir, "index.db")}"]);
}

/// <summary>AEs through the admin API with the index and the admin state on PostgreSQL (<see cref="PostgresPeer"/>).</summary>
[RequiresPostgres]
public sealed class AdminAeServePostgresTests : AdminAeServeTests
{
    protected override async Task<string[]> NewDatabaseAsync(string nodeDir) =>
        ["--MedNode:Database:Provider=PostgreSQL", $"--MedNode:Database:ConnectionString={await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync()}"];
}
