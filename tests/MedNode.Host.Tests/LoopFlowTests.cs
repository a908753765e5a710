using System.Globalization;
using System.Text.Json;
using MedNode.Analysis.Phantoms;
using MedNode.TestSupport;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace MedNode.Host.Tests;

/// <summary>
/// The loop's failure flows of issue #8 against a real `mednode serve`, DCMTK `storescu` and Orthanc 1.10.1, declared once
/// and run on each index provider (<see cref="LoopFlowSqliteTests"/>, <see cref="LoopFlowPostgresTests"/>): late
/// instances make one new version; a node killed while a job is held completes it once after a restart; results for a
/// PACS that is down are delivered once when it comes up.
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
