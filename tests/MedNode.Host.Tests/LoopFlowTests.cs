using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedNode.Analysis.Phantoms;
using MedNode.TestSupport;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace MedNode.Host.Tests;

/// <summary>
/// The loop's failure flows of issue #8 against a real `mednode serve`, DCMTK `storescu` and Orthanc 1.10.1, declared once
/// and run on each index provider (<see cref="LoopFlowSqliteTests"/>, <see cref="LoopFlowPostgresTests"/>): late
/// instances make one new version; a node killed while a job is held completes it once after a restart; results for a
/// PACS that is down are delivered once when it comes up; results a PACS rejects permanently are dead letters, delivered
/// once by a replay after the fix.
/// </summary>
public abstract class LoopFlowTests(ITestOutputHelper output) : IDisposable
{
    private static readonly Dictionary<string, string> StorescuEnv = new() { ["TCP_NODELAY"] = "1" };

    private readonly TempDir _dir = new("mednode-flow-");

    public void Dispose()
    {
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new, empty database for one test; returns the node settings that name it.</summary>
    protected abstract Task<string[]> NewDatabaseAsync(string nodeDir);

    /// <summary>
    /// Writes into the database what a worker that leased the queued job and died leaves behind: state Running, attempt 1,
    /// a lease owned by "dead-worker" that runs out <paramref name="leaseLeft"/> from now. Returns the rows changed.
    /// </summary>
    protected abstract int GiveQueuedJobToDeadWorker(TimeSpan leaseLeft);

    /// <summary>
    /// Late arrival: half the series arrives, completes and is analysed; the other half arrives later. One new version is
    /// analysed, the first job is marked superseded, and the PACS receives each version's SEG and SR exactly once.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task LateInstances_NewVersionSupersedesTheFirst_EachResultDeliveredOnce()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom).Order(StringComparer.Ordinal).ToList();
        var database = await NewDatabaseAsync(nodeDir);
        using var node = NodeProcess.Start(nodeDir, [.. LoopEndToEndTests.LoopArgs(orthancDicom), .. database, "--MedNode:Completion:QuietPeriod=00:00:02"]);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });

        async Task WaitAsync(Func<List<JsonElement>, bool> done, string what)
        {
            var jobs = await WaitForAsync(() => JobsAsync(node), done, TimeSpan.FromMinutes(5));
            done(jobs).Should().BeTrue($"{what} (jobs: {string.Join(", ", jobs.Select(j => j.GetProperty("state").GetString()))}; log: {LoopEndToEndTests.Tail(node.Output)})");
        }

        Store(node, files.Take(files.Count / 2));
        await WaitAsync(j => j.Count == 1 && j[0].GetProperty("state").GetString() == "Succeeded", "version 1 is analysed");
        Store(node, files.Skip(files.Count / 2));
        await WaitAsync(j => j.Count == 2 && j.Any(x => x.GetProperty("state").GetString() == "Succeeded" && x.GetProperty("version").GetInt32() == 2), "version 2 is analysed");

        var jobs = await JobsAsync(node);
        jobs.Should().HaveCount(2, "one new version, no more");
        jobs.Single(j => j.GetProperty("version").GetInt32() == 1).GetProperty("state").GetString().Should().Be("Superseded");
        jobs.Single(j => j.GetProperty("version").GetInt32() == 2).GetProperty("inputSopInstanceUids").GetArrayLength().Should().Be(files.Count);

        // Both versions' SEG and SR reach the PACS, each once: four deliveries, all done, nothing left to send again.
        var delivered = await WaitForAsync(() => ExportsAsync(node, "Delivered"), d => d.Count >= 4, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(4, LoopEndToEndTests.Tail(node.Output));
        (await ExportsAsync(node, "Pending")).Should().BeEmpty();
        (await ExportsAsync(node, "DeadLetter")).Should().BeEmpty();
        await ShouldHoldOnceAsync(orthanc, 4);
    }

    /// <summary>
    /// Crash: the node is killed (SIGKILL) while a job is held by a worker that will never finish it (its lease, set in the
    /// database as a dead worker's would be, runs out). After a restart the job is taken over, runs once more and
    /// succeeds, and the PACS receives its SEG and SR exactly once.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task Crash_DeadWorkersLeaseExpires_JobCompletesOnceAfterRestart()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        var database = await NewDatabaseAsync(nodeDir);
        string[] Args(int workers) =>
        [
            .. LoopEndToEndTests.LoopArgs(orthancDicom),
            .. database,
            "--MedNode:Completion:QuietPeriod=00:00:02",
            "--MedNode:Jobs:Lease=00:00:06",
            $"--MedNode:Jobs:Workers={workers}",
        ];
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });

        using (var first = NodeProcess.Start(nodeDir, Args(workers: 0)))
        {
            Store(first, files);
            var queued = await WaitForAsync(() => JobsAsync(first), j => j.Count == 1, TimeSpan.FromMinutes(1));
            queued.Should().ContainSingle(LoopEndToEndTests.Tail(first.Output)).Which.GetProperty("state").GetString().Should().Be("Queued");
            // A worker leased the job and died: running, attempt 1, lease running out in 3 s.
            GiveQueuedJobToDeadWorker(TimeSpan.FromSeconds(3)).Should().Be(1);
            first.Process.Kill();
            first.Process.WaitForExit(30_000).Should().BeTrue();
        }
        (await orthanc.ListInstancesAsync()).Should().BeEmpty("nothing was exported before the crash");

        using var second = NodeProcess.Start(nodeDir, Args(workers: 1));
        var jobs = await WaitForAsync(() => JobsAsync(second), j => j.Count == 1 && j[0].GetProperty("state").GetString() is "Succeeded" or "Failed", TimeSpan.FromMinutes(4));
        var job = jobs.Should().ContainSingle("the restart makes no second job").Subject;
        job.GetProperty("state").GetString().Should().Be("Succeeded", LoopEndToEndTests.Tail(second.Output));
        job.GetProperty("attempts").GetInt32().Should().Be(2, "the dead worker's attempt, then the restarted node's");

        var delivered = await WaitForAsync(() => ExportsAsync(second, "Delivered"), d => d.Count >= 2, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(2, LoopEndToEndTests.Tail(second.Output));
        (await ExportsAsync(second, "Pending")).Should().BeEmpty("nothing is left to deliver again");
        await ShouldHoldOnceAsync(orthanc, 2);
    }

    /// <summary>
    /// Crash, for real: the node's own worker leases the job, runs the model, stores the SEG and SR and queues their
    /// deliveries, then waits (<c>MedNode:Jobs:StageDelayForTesting</c>) before marking the job succeeded; the node is
    /// killed (SIGKILL) while the job is Running there. After a restart the job's lease runs out, the job runs again
    /// (attempt 2) under the same id, so its results have the same SOP Instance UIDs: the store and the outbox keep one
    /// copy, and Orthanc holds the SEG and SR once. No second job is made.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task Crash_KilledWhileItsWorkerRunsTheJob_JobCompletesOnceAfterRestart_NothingDuplicated()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        var database = await NewDatabaseAsync(nodeDir);
        string[] Args(string stageDelay) =>
        [
            .. LoopEndToEndTests.LoopArgs(orthancDicom),
            .. database,
            "--MedNode:Completion:QuietPeriod=00:00:02",
            "--MedNode:Jobs:Lease=00:00:06",
            $"--MedNode:Jobs:StageDelayForTesting={stageDelay}",
        ];
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });

        List<string?> resultUids;
        using (var first = NodeProcess.Start(nodeDir, Args("00:10:00")))
        {
            Store(first, files);
            // The window: the job is Running on this node's worker and its two deliveries are queued (results stored).
            var (jobs, exports) = await WaitForAsync(async () => (await JobsAsync(first), await GetArrayAsync(first, "/api/v1/exports")),
                r => r.Item1.Count == 1 && r.Item1[0].GetProperty("state").GetString() == "Running" && r.Item2.Count == 2, TimeSpan.FromMinutes(5));
            jobs.Should().ContainSingle(LoopEndToEndTests.Tail(first.Output)).Which.GetProperty("state").GetString().Should().Be("Running");
            jobs[0].GetProperty("attempts").GetInt32().Should().Be(1);
            exports.Should().HaveCount(2, "the results are stored and their deliveries queued before the wait");
            resultUids = exports.Select(e => e.GetProperty("sopInstanceUid").GetString()).ToList();
            first.Process.Kill();
            first.Process.WaitForExit(30_000).Should().BeTrue();
            output.WriteLine($"killed with the job Running; Orthanc held {(await orthanc.ListInstancesAsync()).Count} instance(s) then");
        }

        using var second = NodeProcess.Start(nodeDir, Args("00:00:00"));
        var after = await WaitForAsync(() => JobsAsync(second), j => j.Count == 1 && j[0].GetProperty("state").GetString() is "Succeeded" or "Failed", TimeSpan.FromMinutes(4));
        var job = after.Should().ContainSingle("the restart makes no second job").Subject;
        job.GetProperty("state").GetString().Should().Be("Succeeded", LoopEndToEndTests.Tail(second.Output));
        job.GetProperty("attempts").GetInt32().Should().Be(2, "the killed worker's attempt, then the restarted node's");

        var delivered = await WaitForAsync(() => ExportsAsync(second, "Delivered"), d => d.Count >= 2, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(2, LoopEndToEndTests.Tail(second.Output));
        delivered.Select(d => d.GetProperty("sopInstanceUid").GetString()).Should().BeEquivalentTo(resultUids, "the job run again makes the same instances");
        (await GetArrayAsync(second, "/api/v1/exports")).Should().HaveCount(2, "the outbox holds each result once");
        (await ExportsAsync(second, "Pending")).Should().BeEmpty();
        await ShouldHoldOnceAsync(orthanc, 2);
        (await OrthancSopsAsync(orthanc)).Should().BeEquivalentTo(resultUids);
    }

    /// <summary>
    /// Crash during export: the SEG and SR have reached Orthanc, but the node is killed (SIGKILL) before it records them
    /// delivered (it waits there, <c>MedNode:Export:SendDelayForTesting</c>). After a restart the deliveries are still
    /// pending and are sent again with the same SOP Instance UIDs: Orthanc still holds each once, the deliveries are
    /// recorded Delivered, the job stays the one succeeded job.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task Crash_KilledAfterTheResultsWereSentBeforeTheyWereMarkedDelivered_DeliveredOnceAfterRestart()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        var database = await NewDatabaseAsync(nodeDir);
        string[] Args(string sendDelay) =>
        [
            .. LoopEndToEndTests.LoopArgs(orthancDicom),
            .. database,
            "--MedNode:Completion:QuietPeriod=00:00:02",
            $"--MedNode:Export:SendDelayForTesting={sendDelay}",
        ];
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });

        List<string?> sent;
        using (var first = NodeProcess.Start(nodeDir, Args("00:10:00")))
        {
            Store(first, files);
            var held = await WaitForAsync(() => orthanc.ListInstancesAsync(), i => i.Count >= 2, TimeSpan.FromMinutes(5));
            held.Should().HaveCount(2, "the SEG and SR were sent (log: {0})", LoopEndToEndTests.Tail(first.Output));
            var pending = await ExportsAsync(first, "Pending");
            pending.Should().HaveCount(2, "the node has not recorded the deliveries yet");
            pending.Should().OnlyContain(p => p.GetProperty("attempts").GetInt32() == 0);
            (await ExportsAsync(first, "Delivered")).Should().BeEmpty();
            sent = pending.Select(p => p.GetProperty("sopInstanceUid").GetString()).ToList();
            first.Process.Kill();
            first.Process.WaitForExit(30_000).Should().BeTrue();
        }

        using var second = NodeProcess.Start(nodeDir, Args("00:00:00"));
        var delivered = await WaitForAsync(() => ExportsAsync(second, "Delivered"), d => d.Count >= 2, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(2, LoopEndToEndTests.Tail(second.Output));
        delivered.Should().OnlyContain(d => d.GetProperty("attempts").GetInt32() == 1, "the attempt cut short by the kill was never recorded");
        delivered.Select(d => d.GetProperty("sopInstanceUid").GetString()).Should().BeEquivalentTo(sent, "the same instances are sent again");
        (await ExportsAsync(second, "Pending")).Should().BeEmpty();
        (await ExportsAsync(second, "DeadLetter")).Should().BeEmpty();
        var jobs = await JobsAsync(second);
        jobs.Should().ContainSingle("no second job").Which.GetProperty("state").GetString().Should().Be("Succeeded");
        jobs[0].GetProperty("attempts").GetInt32().Should().Be(1, "the job had finished before the kill");
        await ShouldHoldOnceAsync(orthanc, 2);
        (await OrthancSopsAsync(orthanc)).Should().BeEquivalentTo(sent);
    }

    /// <summary>
    /// Destination down: the PACS is not running when the results are ready; the delivery fails as transient (connection
    /// refused), is retried with backoff, and arrives once after the PACS starts.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task DestinationDown_ResultsAreRetriedAndDeliveredOnceWhenItComesUp()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        var database = await NewDatabaseAsync(nodeDir);
        using var node = NodeProcess.Start(nodeDir,
        [
            .. LoopEndToEndTests.LoopArgs(orthancDicom),
            .. database,
            "--MedNode:Completion:QuietPeriod=00:00:02",
            "--MedNode:Export:InitialBackoff=00:00:01",
            "--MedNode:Export:MaxBackoff=00:00:04",
        ]);
        Store(node, files);

        // Wait (bounded) until each delivery has failed at least twice while the PACS is down.
        var pending = await WaitForAsync(() => ExportsAsync(node, "Pending"), p => p.Count == 2 && p.All(x => x.GetProperty("attempts").GetInt32() >= 2), TimeSpan.FromMinutes(3));
        pending.Should().HaveCount(2, LoopEndToEndTests.Tail(node.Output));
        pending.Should().OnlyContain(p => p.GetProperty("attempts").GetInt32() >= 2 && p.GetProperty("lastError").GetString()!.Length > 0);

        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });
        var delivered = await WaitForAsync(() => ExportsAsync(node, "Delivered"), d => d.Count >= 2, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(2);
        (await ExportsAsync(node, "DeadLetter")).Should().BeEmpty();
        (await ExportsAsync(node, "Pending")).Should().BeEmpty();
        await ShouldHoldOnceAsync(orthanc, 2);
    }

    /// <summary>
    /// Permanent rejection: Orthanc checks the called AE title and MedNode's destination names a wrong one; both results are
    /// dead letters after one attempt. After the destination is fixed through the API, a replay of each dead letter
    /// delivers it once, under the same SOP Instance UID.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task OrthancRejectsTheAssociationPermanently_ResultsAreDeadLettered_ThenAReplayAfterTheFixDeliversOnce()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        var database = await NewDatabaseAsync(nodeDir);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomPort = orthancDicom,
            Extra = new Dictionary<string, JsonNode> { ["DicomCheckCalledAet"] = true },
        });
        using var node = NodeProcess.Start(nodeDir,
        [
            .. ExportFlow.NodeArgs(),
            .. database,
            "--MedNode:Destinations:0:Name=pacs",
            "--MedNode:Destinations:0:AeTitle=NOT-ORTHANC",
            "--MedNode:Destinations:0:Host=127.0.0.1",
            $"--MedNode:Destinations:0:Port={orthancDicom}",
            "--MedNode:Export:InitialBackoff=00:00:01",
        ]);
        Store(node, files);

        var dead = await WaitForAsync(() => ExportsAsync(node, "DeadLetter"), d => d.Count >= 2, TimeSpan.FromMinutes(5));
        dead.Should().HaveCount(2, "a permanent rejection is dead-lettered (log: {0})", LoopEndToEndTests.Tail(node.Output));
        dead.Should().OnlyContain(d => d.GetProperty("attempts").GetInt32() == 1, "a permanent failure is not retried");
        dead.Should().OnlyContain(d => d.GetProperty("lastError").GetString()!.Contains("reject", StringComparison.OrdinalIgnoreCase));
        (await ExportsAsync(node, "Pending")).Should().BeEmpty("nothing is left to retry");
        (await orthanc.ListInstancesAsync()).Should().BeEmpty();

        // Fix the destination through the API, then replay each dead letter: each result arrives once, with its UID.
        using var http = new HttpClient();
        using (var put = await http.PutAsync(new Uri($"{node.BaseUrl}/api/v1/destinations"), new StringContent(string.Create(CultureInfo.InvariantCulture,
            $$"""[{"name":"pacs","kind":"Dimse","aeTitle":"ORTHANC","host":"127.0.0.1","port":{{orthancDicom}}}]"""), Encoding.UTF8, "application/json")))
            put.IsSuccessStatusCode.Should().BeTrue(await put.Content.ReadAsStringAsync());
        foreach (var d in dead)
        {
            using var replay = await http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/exports/{d.GetProperty("id").GetString()}/replay"), null);
            replay.StatusCode.Should().Be(HttpStatusCode.NoContent);
        }
        var delivered = await WaitForAsync(() => ExportsAsync(node, "Delivered"), d => d.Count >= 2, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(2, LoopEndToEndTests.Tail(node.Output));
        (await ExportsAsync(node, "DeadLetter")).Should().BeEmpty();
        await ShouldHoldOnceAsync(orthanc, 2);
        var sops = new List<string>();
        foreach (var id in await orthanc.ListInstancesAsync()) sops.Add(await orthanc.GetSopInstanceUidAsync(id));
        sops.Should().BeEquivalentTo(dead.Select(d => d.GetProperty("sopInstanceUid").GetString()), "a replay reuses the SOP Instance UIDs");
    }

    private static async Task<List<string>> OrthancSopsAsync(OrthancPeer orthanc)
    {
        var sops = new List<string>();
        foreach (var id in await orthanc.ListInstancesAsync()) sops.Add(await orthanc.GetSopInstanceUidAsync(id));
        return sops;
    }

    /// <summary>Orthanc holds exactly <paramref name="count"/> instances, no SOP Instance UID twice.</summary>
    private static async Task ShouldHoldOnceAsync(OrthancPeer orthanc, int count)
    {
        var ids = await orthanc.ListInstancesAsync();
        ids.Should().HaveCount(count, "each result arrives once");
        var sops = new List<string>();
        foreach (var id in ids) sops.Add(await orthanc.GetSopInstanceUidAsync(id));
        sops.Should().OnlyHaveUniqueItems();
    }

    private static void Store(NodeProcess node, IEnumerable<string> files)
    {
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: StorescuEnv);
        store.ExitCode.Should().Be(0, store.StdErr);
    }

    private static async Task<List<JsonElement>> JobsAsync(NodeProcess node) => await GetArrayAsync(node, "/api/v1/jobs");

    private static async Task<List<JsonElement>> ExportsAsync(NodeProcess node, string state) => await GetArrayAsync(node, $"/api/v1/exports?state={state}");

    private static async Task<List<JsonElement>> GetArrayAsync(NodeProcess node, string path)
    {
        using var http = new HttpClient();
        return JsonDocument.Parse(await http.GetStringAsync(new Uri(node.BaseUrl + path))).RootElement.EnumerateArray().ToList();
    }

    /// <summary>Polls until <paramref name="done"/> holds or the deadline passes; returns the last answer.</summary>
    internal static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            value = await read();
        }
        return value;
    }

    /// <summary>Writes the phantom series and makes the node's working folder; picks Orthanc's DICOM port.</summary>
    private IReadOnlyList<string> Prepare(out string nodeDir, out int orthancDicom)
    {
        var files = ExportFlow.Prepare(_dir, out nodeDir);
        orthancDicom = OrthancPeer.FreePort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"node folder {nodeDir}, Orthanc DICOM port {orthancDicom}"));
        return files;
    }
}

/// <summary>The loop's failure flows with the index, job queue, outbox and audit trail in a SQLite file.</summary>
public sealed class LoopFlowSqliteTests(ITestOutputHelper output) : LoopFlowTests(output)
{
    private string? _file;

    protected override Task<string[]> NewDatabaseAsync(string nodeDir)
    {
        _file = Path.Combine(nodeDir, "index.db");
        return Task.FromResult<string[]>([$"--MedNode:Database:ConnectionString=Data Source={_file}"]);
    }

    protected override int GiveQueuedJobToDeadWorker(TimeSpan leaseLeft)
    {
        using var connection = new SqliteConnection($"Data Source={_file}");
        connection.Open();
        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE Job SET State = 1, Attempts = 1, LeaseOwner = 'dead-worker', LeaseExpiresAtMs = $expires WHERE State = 0";
        update.Parameters.AddWithValue("$expires", DateTimeOffset.UtcNow.Add(leaseLeft).ToUnixTimeMilliseconds());
        return update.ExecuteNonQuery();
    }
}

/// <summary>The loop's failure flows with the index, job queue, outbox and audit trail on PostgreSQL (<see cref="PostgresPeer"/>).</summary>
[RequiresPostgres]
public sealed class LoopFlowPostgresTests(ITestOutputHelper output) : LoopFlowTests(output)
{
    private string? _connectionString;

    protected override async Task<string[]> NewDatabaseAsync(string nodeDir)
    {
        _connectionString = await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync();
        return ["--MedNode:Database:Provider=PostgreSQL", $"--MedNode:Database:ConnectionString={_connectionString}"];
    }

    protected override int GiveQueuedJobToDeadWorker(TimeSpan leaseLeft)
    {
        var ms = ((long)leaseLeft.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var r = LoopPostgresTests.Psql(_connectionString!,
            $"WITH u AS (UPDATE \"Job\" SET \"State\" = 1, \"Attempts\" = 1, \"LeaseOwner\" = 'dead-worker', \"LeaseExpiresAtMs\" = (extract(epoch FROM clock_timestamp()) * 1000)::bigint + {ms} WHERE \"State\" = 0 RETURNING 1) SELECT count(*) FROM u",
            tuplesOnly: true);
        r.ExitCode.Should().Be(0, r.StdErr);
        return int.Parse(r.StdOut.Trim(), CultureInfo.InvariantCulture);
    }
}
