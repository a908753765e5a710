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
    [RequiresFact(null, "Orthanc", "storescu", "dciodvfy")]
    [Trait("Conformance", "PS3.3 C.17.2")]
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

        // The PACS can tell version 2's report replaces version 1's: the SR Orthanc holds for version 2 carries the
        // Predecessor Documents Sequence (0040,A360, PS3.3 C.17.2) naming version 1's SR by study, series and SOP; version
        // 1's SR names none; both pass dciodvfy as Orthanc stores them.
        string JobId(int version) => jobs.Single(j => j.GetProperty("version").GetInt32() == version).GetProperty("id").GetString()!;
        JsonElement Sr(int version) => delivered.Single(d => d.GetProperty("jobId").GetString() == JobId(version) && d.GetProperty("kind").GetString() == "StructuredReport");
        var (sr1, sr2) = (Sr(1), Sr(2));
        var byUid = new Dictionary<string, string>();
        foreach (var id in await orthanc.ListInstancesAsync()) byUid[await orthanc.GetSopInstanceUidAsync(id)] = id;
        var tags2 = await orthanc.GetJsonAsync($"instances/{byUid[sr2.GetProperty("sopInstanceUid").GetString()!]}/simplified-tags");
        var tags1 = await orthanc.GetJsonAsync($"instances/{byUid[sr1.GetProperty("sopInstanceUid").GetString()!]}/simplified-tags");
        tags1.AsObject().ContainsKey("PredecessorDocumentsSequence").Should().BeFalse("version 1 replaces nothing");
        var predecessors = tags2["PredecessorDocumentsSequence"]!.AsArray();
        predecessors.Should().ContainSingle(tags2.ToJsonString());
        var study = predecessors[0]!;
        study["StudyInstanceUID"]!.GetValue<string>().Should().Be(tags1["StudyInstanceUID"]!.GetValue<string>());
        var series = study["ReferencedSeriesSequence"]!.AsArray().Should().ContainSingle().Subject!;
        series["SeriesInstanceUID"]!.GetValue<string>().Should().Be(tags1["SeriesInstanceUID"]!.GetValue<string>());
        var sop = series["ReferencedSOPSequence"]!.AsArray().Should().ContainSingle().Subject!;
        sop["ReferencedSOPInstanceUID"]!.GetValue<string>().Should().Be(sr1.GetProperty("sopInstanceUid").GetString());
        sop["ReferencedSOPClassUID"]!.GetValue<string>().Should().Be(tags1["SOPClassUID"]!.GetValue<string>());
        foreach (var sr in new[] { sr1, sr2 })
        {
            var path = Path.Combine(_dir.Path, sr.GetProperty("sopInstanceUid").GetString() + ".dcm");
            await File.WriteAllBytesAsync(path, await orthanc.GetInstanceFileAsync(byUid[sr.GetProperty("sopInstanceUid").GetString()!]));
            var v = Tools.Run("dciodvfy", [path], TimeSpan.FromSeconds(60));
            var found = v.StdOut + v.StdErr;
            found.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).Should().BeEmpty(found);
        }
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

        static List<JsonElement> Primary(List<JsonElement> items) => items.Where(e => e.GetProperty("state").GetString() != "Standby").ToList();
        List<string?> resultUids, outboxUids;
        using (var first = NodeProcess.Start(nodeDir, Args("00:10:00")))
        {
            Store(first, files);
            // The window: the job is Running on this node's worker and its SEG and SR deliveries are queued (results
            // stored; the SC + KOS fallback items wait on standby beside them).
            var (jobs, exports) = await WaitForAsync(async () => (await JobsAsync(first), await GetArrayAsync(first, "/api/v1/exports")),
                r => r.Item1.Count == 1 && r.Item1[0].GetProperty("state").GetString() == "Running" && Primary(r.Item2).Count == 2, TimeSpan.FromMinutes(5));
            jobs.Should().ContainSingle(LoopEndToEndTests.Tail(first.Output)).Which.GetProperty("state").GetString().Should().Be("Running");
            jobs[0].GetProperty("attempts").GetInt32().Should().Be(1);
            Primary(exports).Should().HaveCount(2, "the results are stored and their deliveries queued before the wait");
            resultUids = Primary(exports).Select(e => e.GetProperty("sopInstanceUid").GetString()).ToList();
            outboxUids = exports.Select(e => e.GetProperty("sopInstanceUid").GetString()).ToList();
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
        (await GetArrayAsync(second, "/api/v1/exports")).Select(e => e.GetProperty("sopInstanceUid").GetString()).Should()
            .BeEquivalentTo(outboxUids, "the outbox holds each result once, the same items as before the kill");
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
    /// Retry of a failed job: the node's copy of the model file is damaged, so loading it fails its SHA-256 check and the
    /// job fails for real (attempt 1, the error in the job, nothing delivered, an "analysis performed" audit row with
    /// outcome Serious Failure). After the file is put back, <c>POST /api/v1/jobs/{id}/retry</c> (202) runs the same job
    /// again: it succeeds (attempt 2), still one job, its SEG and SR are delivered once and Orthanc holds each once; the
    /// trail holds the failed and the successful analysis of the study, and its chain verifies. A second retry is 409.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task FailedJob_ModelFileDamaged_RetriedAfterTheFix_SucceedsOnce_AndBothAttemptsAreAudited()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        var database = await NewDatabaseAsync(nodeDir);
        var models = Path.Combine(nodeDir, "models");
        var modelDir = Path.Combine(models, "phantom-lesion");
        Directory.CreateDirectory(modelDir);
        foreach (var f in Directory.GetFiles(Path.Combine(SharedData.RepoRoot, "models", "phantom-lesion"))) File.Copy(f, Path.Combine(modelDir, Path.GetFileName(f)));
        var onnx = Path.Combine(modelDir, "model.onnx");
        var good = await File.ReadAllBytesAsync(onnx);
        var damaged = (byte[])good.Clone();
        damaged[damaged.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(onnx, damaged);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });
        using var node = NodeProcess.Start(nodeDir,
            [.. LoopEndToEndTests.LoopArgs(orthancDicom), .. database, "--MedNode:Completion:QuietPeriod=00:00:02", $"--MedNode:Models:Path={models}"]);
        Store(node, files);

        var failed = await WaitForAsync(() => JobsAsync(node), j => j.Count == 1 && j[0].GetProperty("state").GetString() is "Failed" or "Succeeded", TimeSpan.FromMinutes(5));
        var job = failed.Should().ContainSingle(LoopEndToEndTests.Tail(node.Output)).Subject;
        job.GetProperty("state").GetString().Should().Be("Failed");
        job.GetProperty("attempts").GetInt32().Should().Be(1);
        job.GetProperty("error").GetString().Should().Contain("SHA-256 mismatch");
        var id = job.GetProperty("id").GetString();
        (await GetArrayAsync(node, "/api/v1/exports")).Should().BeEmpty("a failed job delivers nothing");

        await File.WriteAllBytesAsync(onnx, good);
        using var http = new HttpClient();
        using (var retry = await http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/jobs/{id}/retry"), null))
            retry.StatusCode.Should().Be(HttpStatusCode.Accepted, await retry.Content.ReadAsStringAsync());
        var done = await WaitForAsync(() => JobsAsync(node), j => j.Count == 1 && j[0].GetProperty("state").GetString() is "Succeeded" or "Failed", TimeSpan.FromMinutes(5));
        job = done.Should().ContainSingle("a retry makes no second job").Subject;
        job.GetProperty("state").GetString().Should().Be("Succeeded", LoopEndToEndTests.Tail(node.Output));
        job.GetProperty("id").GetString().Should().Be(id);
        job.GetProperty("attempts").GetInt32().Should().Be(2, "the failed attempt, then the retry");

        var delivered = await WaitForAsync(() => ExportsAsync(node, "Delivered"), d => d.Count >= 2, TimeSpan.FromMinutes(2));
        delivered.Should().HaveCount(2, LoopEndToEndTests.Tail(node.Output));
        (await ExportsAsync(node, "Pending")).Should().BeEmpty();
        await ShouldHoldOnceAsync(orthanc, 2);
        using (var again = await http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/jobs/{id}/retry"), null))
            again.StatusCode.Should().Be(HttpStatusCode.Conflict, "a succeeded job is never run again");

        var analyses = await WaitForAsync(() => GetArrayAsync(node, "/api/v1/audit?eventCode=ANALYSIS"), a => a.Count >= 2, TimeSpan.FromSeconds(30));
        analyses.Should().HaveCount(2, "one row per attempt");
        analyses.Should().ContainSingle(a => a.GetProperty("outcome").GetInt32() == 8 && a.GetProperty("detail").GetString()!.Contains("failed: ", StringComparison.Ordinal));
        analyses.Should().ContainSingle(a => a.GetProperty("outcome").GetInt32() == 0);
        var verify = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/audit/verify"))).RootElement;
        verify.GetProperty("isIntact").GetBoolean().Should().BeTrue(verify.ToString());
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
