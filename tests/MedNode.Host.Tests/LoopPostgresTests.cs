using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using MedNode.Core.Audit;
using MedNode.Core.Jobs;
using MedNode.Persistence;
using MedNode.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace MedNode.Host.Tests;

/// <summary>
/// The loop's database parts on a real PostgreSQL server (<see cref="PostgresPeer"/>): several processes' job queues
/// sharing one table through <c>FOR UPDATE SKIP LOCKED</c>, the append-only audit trigger and tamper detection, and the
/// whole loop (Orthanc → MedNode → SEG + SR → Orthanc) with the index, queue, outbox and audit trail on PostgreSQL.
/// </summary>
[RequiresPostgres]
public sealed class LoopPostgresTests(ITestOutputHelper output)
{
    private static async Task<string> NewDatabaseAsync() => await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync();

    /// <summary>A service provider over the database, as one MedNode process has: its own context factory and connection pool use.</summary>
    private static ServiceProvider Process(string connectionString) => new ServiceCollection()
        .AddLogging()
        .AddMedNodePersistence(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MedNode:Database:Provider"] = "PostgreSQL",
            ["MedNode:Database:ConnectionString"] = connectionString,
        }).Build())
        .BuildServiceProvider();

    internal static Tools.Result Psql(string connectionString, string sql, bool tuplesOnly = false)
    {
        var parts = connectionString.Split(';').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        return Tools.Run(Path.Combine(PostgresPeer.BinDirectory!, "psql"),
            ["-h", parts["Host"], "-p", parts["Port"], "-U", parts["Username"], "-d", parts["Database"], "-v", "ON_ERROR_STOP=1", "-X", "-q", .. (tuplesOnly ? new[] { "-t", "-A" } : []), "-c", sql], TimeSpan.FromSeconds(60));
    }

    [RequiresFact]
    public async Task JobQueue_ThreeProcessesLeaseConcurrently_EachJobIsClaimedExactlyOnce_AndAllAreDone()
    {
        const int Jobs = 40;
        var cs = await NewDatabaseAsync();
        await using var a = Process(cs);
        await using var b = Process(cs);
        await using var c = Process(cs);
        await a.InitializeMedNodeDatabaseAsync(default);
        var queues = new[] { a, b, c }.Select(p => p.GetRequiredService<IJobQueue>()).ToList();
        queues.Should().OnlyHaveUniqueItems("each process has its own queue object");
        for (var i = 0; i < Jobs; i++)
            await queues[0].EnqueueAsync(new JobRequest($"DIMSE|MEDNODE|1.2.3|1.2.3.{i}", 1, "1.2.3", $"1.2.3.{i}", [$"1.2.3.{i}.1"], "phantom-lesion", "ab12", "ct", []), default);

        var claims = new ConcurrentBag<(Guid Job, string Worker)>();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = queues.Select((queue, n) => Task.Run(async () =>
        {
            var worker = $"worker-{n}";
            await start.Task;
            while (await queue.LeaseAsync(worker, TimeSpan.FromMinutes(5), default) is { } job)
            {
                claims.Add((job.Id, worker));
                (await queue.FinishAsync(job.Id, worker, JobState.Succeeded, null, new Dictionary<string, double>(), "{}", default)).Should().BeTrue();
            }
        })).ToList();
        start.SetResult();
        await Task.WhenAll(workers);

        output.WriteLine(string.Join(", ", claims.GroupBy(x => x.Worker).Select(g => $"{g.Key}: {g.Count()}")));
        claims.Should().HaveCount(Jobs);
        claims.Select(x => x.Job).Should().OnlyHaveUniqueItems("no job is leased by two workers");
        var all = await queues[1].ListAsync(new JobFilter(Limit: 1000), default).ToListAsync();
        all.Should().HaveCount(Jobs).And.OnlyContain(j => j.State == JobState.Succeeded && j.Attempts == 1);
    }

    [RequiresFact]
    public async Task AuditTrail_UpdateDeleteTruncateRefused_AndAnEditWithTheTriggerDisabledIsNamedByVerify()
    {
        var cs = await NewDatabaseAsync();
        await using var node = Process(cs);
        await node.InitializeMedNodeDatabaseAsync(default);
        var trail = node.GetRequiredService<IAuditTrail>();
        for (var i = 0; i < 3; i++)
            await trail.AppendAsync(new AuditEvent(AuditEventType.ApplicationActivity, AuditAction.E, AuditOutcome.Success,
                [new AuditParticipant("mednode", "127.0.0.1", true, "Application")], Detail: string.Create(CultureInfo.InvariantCulture, $"event {i}")), default);
        (await AuditChain.VerifyAsync(trail.ReadAsync(AuditQuery.All, default), default)).IsIntact.Should().BeTrue();

        foreach (var sql in new[] { "UPDATE \"Audit\" SET \"Detail\" = 'edited' WHERE \"Sequence\" = 2", "DELETE FROM \"Audit\" WHERE \"Sequence\" = 3", "TRUNCATE \"Audit\"" })
        {
            var refused = Psql(cs, sql);
            refused.ExitCode.Should().NotBe(0, sql);
            refused.StdErr.Should().Contain("append-only", sql);
        }
        (await AuditChain.VerifyAsync(trail.ReadAsync(AuditQuery.All, default), default)).Should().Be(new AuditVerification(3, null, null));

        // The superuser disables the trigger, edits a row and enables it again: the chain names the row.
        var tampered = Psql(cs, "ALTER TABLE \"Audit\" DISABLE TRIGGER audit_no_update_delete; UPDATE \"Audit\" SET \"Detail\" = 'edited' WHERE \"Sequence\" = 2; ALTER TABLE \"Audit\" ENABLE TRIGGER audit_no_update_delete;");
        tampered.ExitCode.Should().Be(0, tampered.StdErr);
        var verification = await AuditChain.VerifyAsync(trail.ReadAsync(AuditQuery.All, default), default);
        verification.FirstBadSequence.Should().Be(2);
        verification.Problem.Should().Contain("row 2 was altered");

        var cli = Mednode.Run("audit", "verify", "--MedNode:Database:Provider=PostgreSQL", $"--MedNode:Database:ConnectionString={cs}");
        cli.ExitCode.Should().Be(1, cli.StdOut + cli.StdErr);
        cli.StdOut.Should().Contain("row 2").And.Contain("altered");
    }

    /// <summary>
    /// Three `mednode serve` processes on one PostgreSQL database and one storage root: the receiver (no workers, the ingest
    /// journal on) gets N series from DCMTK `storescu`; two worker processes (one worker each, the journal off: a journal
    /// folder has one owner, since start-up recovery replays and deletes every segment it finds) share its queue. Each job
    /// is leased once (attempt 1) and succeeds, each study has one "analysis performed" audit row, written by a worker
    /// process (its participant names its process id), and the audit chain, appended to by three processes, verifies.
    /// </summary>
    [RequiresFact(null, "storescu")]
    public async Task Serve_ThreeProcessesShareOneQueue_EachSeriesIsAnalysedOnceByAWorkerProcess_AndTheAuditChainVerifies()
    {
        const int SeriesCount = 4;
        var cs = await NewDatabaseAsync();
        using var dir = new TempDir("mednode-pgshare-");
        var storage = Path.Combine(dir.Path, "store");
        var files = new List<string>();
        for (var i = 0; i < SeriesCount; i++)
            files.AddRange(MedNode.Analysis.Phantoms.CtPhantom.WriteSeries(LoopEndToEndTests.Spec, Path.Combine(dir.Path, string.Create(CultureInfo.InvariantCulture, $"series{i}"))));
        string[] Args(int workers, bool journal) =>
        [
            "--MedNode:Database:Provider=PostgreSQL",
            $"--MedNode:Database:ConnectionString={cs}",
            $"--MedNode:Dimse:StoragePath={storage}",
            $"--MedNode:Dimse:IngestJournal={journal}",
            $"--MedNode:Jobs:Workers={workers}",
            "--MedNode:Jobs:PollInterval=00:00:00.500",
            "--MedNode:Completion:QuietPeriod=00:00:02",
            $"--MedNode:Models:Path={Path.Combine(SharedData.RepoRoot, "models")}",
            "--MedNode:Analysis:Device=Cpu",
            "--MedNode:Rules:0:Name=ct",
            "--MedNode:Rules:0:Match:Modalities:0=CT",
            "--MedNode:Rules:0:Action:Model=phantom-lesion",
        ];
        string NodeDir(string name) => Directory.CreateDirectory(Path.Combine(dir.Path, name)).FullName;
        // One after the other: the first applies the migrations, the others find them applied.
        using var receiver = NodeProcess.Start(NodeDir("receiver"), Args(workers: 0, journal: true));
        using var workerA = NodeProcess.Start(NodeDir("worker-a"), Args(workers: 1, journal: false));
        using var workerB = NodeProcess.Start(NodeDir("worker-b"), Args(workers: 1, journal: false));

        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", receiver.DimsePortText, .. files], TimeSpan.FromMinutes(3), env: new Dictionary<string, string> { ["TCP_NODELAY"] = "1" });
        store.ExitCode.Should().Be(0, store.StdErr);

        using var http = new HttpClient();
        async Task<List<JsonElement>> JobsAsync() => JsonDocument.Parse(await http.GetStringAsync(new Uri($"{receiver.BaseUrl}/api/v1/jobs"))).RootElement.EnumerateArray().ToList();
        var jobs = await LoopFlowTests.WaitForAsync(JobsAsync, j => j.Count == SeriesCount && j.All(x => x.GetProperty("state").GetString() is "Succeeded" or "Failed"), TimeSpan.FromMinutes(8));
        var logs = $"receiver: {LoopEndToEndTests.Tail(receiver.Output)}\nworker a: {LoopEndToEndTests.Tail(workerA.Output)}\nworker b: {LoopEndToEndTests.Tail(workerB.Output)}";
        jobs.Should().HaveCount(SeriesCount, "one job per series ({0})", logs);
        jobs.Should().OnlyContain(j => j.GetProperty("state").GetString() == "Succeeded" && j.GetProperty("attempts").GetInt32() == 1, "each job is leased once and succeeds ({0})", logs);
        jobs.Select(j => j.GetProperty("seriesInstanceUid").GetString()).Should().OnlyHaveUniqueItems();
        jobs.Should().OnlyContain(j => j.GetProperty("inputSopInstanceUids").GetArrayLength() == LoopEndToEndTests.Spec.Slices);

        // Who ran each job: the "analysis performed" row names the worker (host:pid:id).
        var analyses = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{receiver.BaseUrl}/api/v1/audit?eventCode=ANALYSIS"))).RootElement.EnumerateArray().ToList();
        analyses.Select(a => a.GetProperty("studyInstanceUid").GetString()).Should().BeEquivalentTo(jobs.Select(j => j.GetProperty("studyInstanceUid").GetString()), "one analysis per study, none twice");
        var pids = analyses.Select(a => int.Parse(a.GetProperty("participants").GetString()!.Split('|')[0].Split(':')[1], CultureInfo.InvariantCulture)).ToList();
        pids.Should().OnlyContain(p => p == workerA.Process.Id || p == workerB.Process.Id, "the receiver runs no worker");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worker a ran {pids.Count(p => p == workerA.Process.Id)} jobs, worker b {pids.Count(p => p == workerB.Process.Id)}"));

        // The results the workers stored under the shared root are in the shared index: a SEG and an SR per study.
        var results = Psql(cs, "SELECT \"Modality\" || ':' || count(*) FROM \"Instance\" WHERE \"Modality\" IN ('SEG', 'SR') GROUP BY \"Modality\" ORDER BY 1", tuplesOnly: true);
        results.ExitCode.Should().Be(0, results.StdErr);
        results.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Should().Equal($"SEG:{SeriesCount}", $"SR:{SeriesCount}");

        // The job list's modality filter on PostgreSQL: the series are CT; the SEG and SR results do not make a job "SEG".
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"{workerA.BaseUrl}/api/v1/jobs?modality=CT"))).RootElement.GetArrayLength().Should().Be(SeriesCount);
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"{workerA.BaseUrl}/api/v1/jobs?modality=SEG"))).RootElement.GetArrayLength().Should().Be(0);

        var verify = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{workerB.BaseUrl}/api/v1/audit/verify"))).RootElement;
        verify.GetProperty("isIntact").GetBoolean().Should().BeTrue(verify.ToString());
    }

    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 B.2")]
    public async Task Orthanc_SendsPhantomCt_SegAndSrArriveInOrthanc_WithTheIndexQueueOutboxAndAuditOnPostgres()
    {
        var cs = await NewDatabaseAsync();
        using var loop = new LoopEndToEndTests(output);
        await loop.MainFlowAsync(["--MedNode:Database:Provider=PostgreSQL", $"--MedNode:Database:ConnectionString={cs}"]);

        // The node's state is in this PostgreSQL database: its job, its two delivered results, its audit rows.
        // (The node has stopped: the main flow reads the results back from Orthanc, then ends it.)
        var counts = Psql(cs, "SELECT (SELECT count(*) FROM \"Job\" WHERE \"State\" = 2) || ',' || (SELECT count(*) FROM \"Outbox\" WHERE \"State\" = 1) || ',' || (SELECT count(*) > 0 FROM \"Audit\")", tuplesOnly: true);
        counts.ExitCode.Should().Be(0, counts.StdErr);
        counts.StdOut.Trim().Should().Be("1,2,true");
    }
}
