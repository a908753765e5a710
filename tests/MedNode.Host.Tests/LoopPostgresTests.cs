using System.Collections.Concurrent;
using System.Globalization;
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

    private static Tools.Result Psql(string connectionString, string sql, bool tuplesOnly = false)
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
