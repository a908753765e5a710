using System.Globalization;
using System.Text.Json;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.Dicom.Objects.StructuredReport;
using MedNode.TestSupport;
using Xunit.Abstractions;

namespace MedNode.Host.Tests;

/// <summary>
/// The loop of issue #8 with Orthanc 1.10.1 as the PACS: Orthanc sends a synthetic CT study to `mednode serve`; MedNode
/// notices the series is complete, a routing rule queues an analysis with the bundled phantom-lesion model, and the
/// SEG and SR arrive in Orthanc, with volumes close to the phantom's analytic ellipsoids; the audit trail verifies.
/// </summary>
public sealed class LoopEndToEndTests(ITestOutputHelper output) : IDisposable
{
    internal static readonly CtPhantomSpec Spec = new()
    {
        Columns = 160,
        Rows = 160,
        Slices = 48,
        PixelSpacing = 0.8,
        SliceSpacing = 1.5,
        Origin = new Vec3(-64, -64, -36),
        NoiseSigma = 10,
        Seed = 7,
        Lesions =
        [
            new PhantomEllipsoid(new Vec3(-25, -15, -10), new Vec3(12, 10, 9), 130),
            new PhantomEllipsoid(new Vec3(20, 15, 5), new Vec3(8, 8, 8), 120),
            new PhantomEllipsoid(new Vec3(-15, 25, 15), new Vec3(6, 5, 5), 140),
        ],
    };

    /// <summary>Issue #8: volumes within 5 % (the phantom model reaches it for lesions with radii ≥ 5 mm, models/phantom-lesion/MODEL_CARD.md).</summary>
    private const double VolumeTolerance = 0.05;

    private readonly TempDir _dir = new("mednode-loop-");

    public void Dispose() => _dir.Dispose();

    private static string ModelsPath => Path.Combine(SharedData.RepoRoot, "models");

    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 B.2")]
    public Task Orthanc_SendsPhantomCt_SegAndSrArriveInOrthanc_VolumesMatchTruth_AuditVerifies() => MainFlowAsync([]);

    /// <summary>The main flow, with extra node settings (<see cref="LoopPostgresTests"/> runs it on PostgreSQL).</summary>
    internal async Task MainFlowAsync(string[] nodeSettings)
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        using var node = NodeProcess.Start(nodeDir,
        [
            .. LoopArgs(orthancDicom),
            .. nodeSettings,
            "--MedNode:Completion:QuietPeriod=00:00:03",
            "--MedNode:Destinations:0:Kind=Dimse",
            "--MedNode:Rules:0:Name=ct-phantom",
            "--MedNode:Rules:0:Match:MinSlices=20",
            "--MedNode:Rules:0:Action:Kind=Analyze",
        ]);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomPort = orthancDicom,
            Modalities = new Dictionary<string, OrthancModality> { ["MEDNODE"] = new("MEDNODE", "127.0.0.1", node.DimsePort) },
        });

        string? studyId = null;
        foreach (var f in files) studyId = (await orthanc.UploadAsync(f)).StudyId;
        await orthanc.StoreToModalityAsync("MEDNODE", [studyId!]);

        // Wait (bounded) until Orthanc holds the study plus MedNode's SEG and SR.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(8);
        Dictionary<string, string> byModality = [];
        while (DateTime.UtcNow < deadline)
        {
            var ids = await orthanc.ListInstancesAsync();
            if (ids.Count >= files.Count + 2)
            {
                foreach (var id in ids)
                {
                    var tags = await orthanc.GetJsonAsync($"instances/{id}/simplified-tags");
                    var modality = tags["Modality"]?.GetValue<string>();
                    if (modality is "SEG" or "SR") byModality[modality] = id;
                }
                if (byModality.Count == 2) break;
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        using var http = new HttpClient();
        var jobs = await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/jobs"));
        output.WriteLine(jobs);
        byModality.Keys.Should().BeEquivalentTo(["SEG", "SR"], "the results arrive in the PACS (jobs: {0}; node log tail: {1})", jobs, Tail(node.Output));
        (await orthanc.ListInstancesAsync()).Should().HaveCount(files.Count + 2, "each result arrives once");

        var srPath = _dir.File("sr.dcm");
        await File.WriteAllBytesAsync(srPath, await orthanc.GetInstanceFileAsync(byModality["SR"]));
        var sources = files.Select(f => DicomFile.Open(f, new DicomReadOptions { StopAtPixelData = true }).Dataset).ToList();
        var lesions = MeasurementReportReader.Read(DicomFile.Open(srPath).Dataset, sources);
        lesions.Should().HaveCount(Spec.Lesions.Count);
        foreach (var truth in Spec.Lesions)
        {
            var closest = lesions.MinBy(l => Math.Abs(l.VolumeMm3 - truth.Volume))!;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"truth {truth.Volume:F0} mm³, measured {closest.VolumeMm3:F0} mm³"));
            closest.VolumeMm3.Should().BeApproximately(truth.Volume, truth.Volume * VolumeTolerance);
        }

        var verify = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/audit/verify"))).RootElement;
        verify.GetProperty("isIntact").GetBoolean().Should().BeTrue(verify.ToString());
        var audit = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/audit"))).RootElement;
        var codes = audit.EnumerateArray().Select(r => r.GetProperty("eventCode").GetString()).ToList();
        codes.Should().Contain(["110100", "110104", "ANALYSIS"]);
    }

    /// <summary>
    /// Late arrival: half the series arrives, completes and is analysed; the other half arrives later. One new version is
    /// analysed, the first job is marked superseded, and the PACS receives each version's SEG and SR exactly once.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task LateInstances_NewVersionSupersedesTheFirst_EachResultDeliveredOnce()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom).Order(StringComparer.Ordinal).ToList();
        using var node = NodeProcess.Start(nodeDir,
        [
            .. LoopArgs(orthancDicom),
            "--MedNode:Completion:QuietPeriod=00:00:02",
        ]);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });
        var env = new Dictionary<string, string> { ["TCP_NODELAY"] = "1" };
        using var http = new HttpClient();

        async Task<List<JsonElement>> JobsAsync() => JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/jobs"))).RootElement.EnumerateArray().ToList();
        async Task WaitAsync(Func<List<JsonElement>, bool> done, string what)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
            while (DateTime.UtcNow < deadline && !done(await JobsAsync())) await Task.Delay(TimeSpan.FromSeconds(1));
            done(await JobsAsync()).Should().BeTrue($"{what} (jobs: {string.Join(", ", (await JobsAsync()).Select(j => j.GetProperty("state").GetString()))}; log: {Tail(node.Output)})");
        }

        var first = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files.Take(files.Count / 2)], TimeSpan.FromMinutes(2), env: env);
        first.ExitCode.Should().Be(0, first.StdErr);
        await WaitAsync(j => j.Count == 1 && j[0].GetProperty("state").GetString() == "Succeeded", "version 1 is analysed");
        var second = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files.Skip(files.Count / 2)], TimeSpan.FromMinutes(2), env: env);
        second.ExitCode.Should().Be(0, second.StdErr);
        await WaitAsync(j => j.Count == 2 && j.Any(x => x.GetProperty("state").GetString() == "Succeeded" && x.GetProperty("version").GetInt32() == 2), "version 2 is analysed");

        var jobs = await JobsAsync();
        jobs.Single(j => j.GetProperty("version").GetInt32() == 1).GetProperty("state").GetString().Should().Be("Superseded");
        jobs.Single(j => j.GetProperty("version").GetInt32() == 2).GetProperty("inputSopInstanceUids").GetArrayLength().Should().Be(files.Count);

        // Both versions' SEG and SR reach the PACS, each once.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline && (await orthanc.ListInstancesAsync()).Count < 4) await Task.Delay(TimeSpan.FromSeconds(1));
        var ids = await orthanc.ListInstancesAsync();
        ids.Should().HaveCount(4);
        var sops = new List<string>();
        foreach (var id in ids) sops.Add(await orthanc.GetSopInstanceUidAsync(id));
        sops.Should().OnlyHaveUniqueItems();
    }

    /// <summary>
    /// Crash: the node is killed (SIGKILL) while a job is held by a worker that will never finish it (its lease, set in the
    /// database as a dead worker's would be, runs out). After a restart the job is taken over, runs once more and
    /// succeeds, and the PACS receives its SEG and SR exactly once.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu", "/usr/bin/python3")]
    public async Task Crash_DeadWorkersLeaseExpires_JobCompletesOnceAfterRestart()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        var db = Path.Combine(nodeDir, "index.db");
        string[] Args(int workers) =>
        [
            .. LoopArgs(orthancDicom),
            $"--MedNode:Database:ConnectionString=Data Source={db}",
            "--MedNode:Completion:QuietPeriod=00:00:02",
            "--MedNode:Jobs:Lease=00:00:06",
            $"--MedNode:Jobs:Workers={workers}",
        ];
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });
        using var http = new HttpClient();

        using (var first = NodeProcess.Start(nodeDir, Args(workers: 0)))
        {
            var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", first.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: new Dictionary<string, string> { ["TCP_NODELAY"] = "1" });
            store.ExitCode.Should().Be(0, store.StdErr);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while (DateTime.UtcNow < deadline && !(await http.GetStringAsync(new Uri($"{first.BaseUrl}/api/v1/jobs"))).Contains("\"Queued\"", StringComparison.Ordinal))
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            // A worker leased the job and died: running, attempt 1, lease running out in 3 s.
            var lease = Tools.Run("/usr/bin/python3", ["-c", "import sqlite3, sys, time\ncon = sqlite3.connect(sys.argv[1])\nn = con.execute('UPDATE Job SET State = 1, Attempts = 1, LeaseOwner = ?, LeaseExpiresAtMs = ? WHERE State = 0', ('dead-worker', int(time.time() * 1000) + 3000)).rowcount\ncon.commit()\nprint(n)", db], TimeSpan.FromSeconds(30));
            lease.StdOut.Trim().Should().Be("1", lease.StdErr);
            first.Process.Kill();
            first.Process.WaitForExit(30_000).Should().BeTrue();
        }
        (await orthanc.ListInstancesAsync()).Should().BeEmpty("nothing was exported before the crash");

        using var second = NodeProcess.Start(nodeDir, Args(workers: 1));
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        JsonElement job = default;
        while (DateTime.UtcNow < until)
        {
            job = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{second.BaseUrl}/api/v1/jobs"))).RootElement[0];
            if (job.GetProperty("state").GetString() == "Succeeded" && (await orthanc.ListInstancesAsync()).Count >= 2) break;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        job.GetProperty("state").GetString().Should().Be("Succeeded", Tail(second.Output));
        job.GetProperty("attempts").GetInt32().Should().Be(2, "the dead worker's attempt, then the restarted node's");
        await Task.Delay(TimeSpan.FromSeconds(3)); // let any duplicate delivery show
        var ids = await orthanc.ListInstancesAsync();
        ids.Should().HaveCount(2, "SEG and SR, once");
    }

    /// <summary>
    /// Destination down: the PACS is not running when the results are ready; the delivery fails as transient (connection
    /// refused), is retried with backoff, and arrives once after the PACS starts.
    /// </summary>
    [RequiresFact(null, "Orthanc", "storescu")]
    public async Task DestinationDown_ResultsAreRetriedAndDeliveredOnceWhenItComesUp()
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        using var node = NodeProcess.Start(nodeDir,
        [
            .. LoopArgs(orthancDicom),
            "--MedNode:Completion:QuietPeriod=00:00:02",
            "--MedNode:Export:InitialBackoff=00:00:01",
            "--MedNode:Export:MaxBackoff=00:00:04",
        ]);
        using var http = new HttpClient();
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: new Dictionary<string, string> { ["TCP_NODELAY"] = "1" });
        store.ExitCode.Should().Be(0, store.StdErr);

        // Wait (bounded) until a delivery has failed at least twice while the PACS is down.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        List<JsonElement> pending = [];
        while (DateTime.UtcNow < deadline)
        {
            pending = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/exports?state=Pending"))).RootElement.EnumerateArray().ToList();
            if (pending.Count == 2 && pending.All(p => p.GetProperty("attempts").GetInt32() >= 2)) break;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        pending.Should().HaveCount(2, Tail(node.Output));
        pending.Should().OnlyContain(p => p.GetProperty("attempts").GetInt32() >= 2 && p.GetProperty("lastError").GetString()!.Length > 0);

        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions { DicomPort = orthancDicom });
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < until && JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/exports?state=Delivered"))).RootElement.GetArrayLength() < 2)
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/exports?state=Delivered"))).RootElement.GetArrayLength().Should().Be(2);
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/exports?state=DeadLetter"))).RootElement.GetArrayLength().Should().Be(0);
        (await orthanc.ListInstancesAsync()).Should().HaveCount(2, "SEG and SR, once");
    }

    /// <summary>Writes the phantom series and makes the node's working folder; picks Orthanc's DICOM port.</summary>
    private IReadOnlyList<string> Prepare(out string nodeDir, out int orthancDicom)
    {
        var seriesDir = Path.Combine(_dir.Path, "series");
        Directory.CreateDirectory(seriesDir);
        nodeDir = Path.Combine(_dir.Path, "node");
        Directory.CreateDirectory(nodeDir);
        orthancDicom = OrthancPeer.FreePort();
        return CtPhantom.WriteSeries(Spec, seriesDir);
    }

    /// <summary>The node settings every loop test shares: the bundled model on CPU, Orthanc as destination "pacs", one CT rule.</summary>
    private static string[] LoopArgs(int orthancDicom) =>
    [
        "--MedNode:Jobs:PollInterval=00:00:00.500",
        $"--MedNode:Models:Path={ModelsPath}",
        "--MedNode:Analysis:Device=Cpu",
        "--MedNode:Destinations:0:Name=pacs",
        "--MedNode:Destinations:0:AeTitle=ORTHANC",
        "--MedNode:Destinations:0:Host=127.0.0.1",
        $"--MedNode:Destinations:0:Port={orthancDicom}",
        "--MedNode:Rules:0:Name=ct",
        "--MedNode:Rules:0:Match:Modalities:0=CT",
        "--MedNode:Rules:0:Action:Model=phantom-lesion",
        "--MedNode:Rules:0:Action:Destinations:0:Name=pacs",
    ];

    private static string Tail(string s) => s.Length <= 3000 ? s : s[^3000..];
}
