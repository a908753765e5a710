using System.Globalization;
using System.Text.Json;
using MedNode.Analysis.Phantoms;
using MedNode.Dicom;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Completion triggers other than the quiet period, against a real `mednode serve` and DCMTK `storescu`: the series
/// completes when storescu releases its association; and a unit received just before a stop is re-armed at the next start.
/// </summary>
public sealed class LoopCompletionTests : IDisposable
{
    private static CtPhantomSpec Spec => LoopEndToEndTests.Spec;

    private static readonly Dictionary<string, string> StorescuEnv = new() { ["TCP_NODELAY"] = "1" };

    private readonly TempDir _dir = new("mednode-completion-");

    public void Dispose() => _dir.Dispose();

    [RequiresFact(null, "storescu")]
    [Trait("Conformance", "PS3.8 7.2")]
    public async Task AssociationRelease_SeriesCompletesAtOnce_WithoutWaitingForTheHourLongQuietPeriod()
    {
        var files = Prepare(out var nodeDir);
        using var node = NodeProcess.Start(nodeDir,
        [
            .. NodeArgs(nodeDir),
            "--MedNode:Completion:QuietPeriod=01:00:00",
            "--MedNode:Completion:CompleteOnAssociationRelease:0=MEDNODE",
            "--MedNode:Jobs:Workers=0",
        ]);
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: StorescuEnv);
        store.ExitCode.Should().Be(0, store.StdErr);

        var jobs = await WaitForJobsAsync(node, j => j.Count == 1, TimeSpan.FromMinutes(2));
        jobs.Should().ContainSingle("the release completed the series (log: {0})", Tail(node.Output));
        jobs[0].GetProperty("version").GetInt32().Should().Be(1);
        jobs[0].GetProperty("inputSopInstanceUids").GetArrayLength().Should().Be(files.Count, "every instance of the association is an input");
    }

    /// <summary>
    /// Required series (<c>GroupBy Study</c> with <c>RequiredSeries</c>) against a running node with a one-hour quiet period:
    /// the study waits while a required series is missing, and completes as soon as the last required instance is stored,
    /// its job queued with every instance of both series. The tracker is told of each instance before the C-STORE response
    /// (IngestService awaits its listeners), so once storescu has its responses the node has seen every instance.
    /// </summary>
    [RequiresFact(null, "storescu")]
    public async Task RequiredSeries_OneMissing_NothingQueued_ThenItArrives_StudyCompletesAtOnceWithAllInputs()
    {
        var nodeDir = Path.Combine(_dir.Path, "node");
        Directory.CreateDirectory(nodeDir);
        var (axial, study, axialSops) = WriteSeries("axial", Spec, "AXIAL 1.5MM", null);
        var (localizer, _, localizerSops) = WriteSeries("localizer", Spec with { Slices = 6, Lesions = [] }, "LOCALIZER", study);
        using var node = NodeProcess.Start(nodeDir,
        [
            .. NodeArgs(nodeDir),
            "--MedNode:Completion:QuietPeriod=01:00:00",
            "--MedNode:Completion:GroupBy=Study",
            "--MedNode:Completion:RequiredSeries:0:Modality=CT",
            "--MedNode:Completion:RequiredSeries:0:SeriesDescription=AXIAL*",
            $"--MedNode:Completion:RequiredSeries:0:MinInstances={axial.Count}",
            "--MedNode:Completion:RequiredSeries:1:Modality=CT",
            "--MedNode:Completion:RequiredSeries:1:SeriesDescription=LOCALIZER",
            $"--MedNode:Completion:RequiredSeries:1:MinInstances={localizer.Count}",
            "--MedNode:Jobs:Workers=0",
        ]);

        // The axial series alone: every instance stored (storescu has all its responses), the localizer is missing.
        Store(node, axial);
        (await StudyInstanceCountAsync(node, study)).Should().Be(axial.Count, "the node indexed the axial series");
        (await JobsAsync(node)).Should().BeEmpty("a required series is missing and the quiet period is an hour (log: {0})", Tail(node.Output));

        // The localizer completes the study on its last instance: the job is there when storescu returns.
        Store(node, localizer);
        var jobs = await JobsAsync(node);
        jobs.Should().ContainSingle("every required series is present (log: {0})", Tail(node.Output));
        jobs[0].GetProperty("studyInstanceUid").GetString().Should().Be(study);
        jobs[0].GetProperty("version").GetInt32().Should().Be(1);
        jobs[0].GetProperty("state").GetString().Should().Be("Queued");
        var inputs = jobs[0].GetProperty("inputSopInstanceUids").EnumerateArray().Select(e => e.GetString()!).ToList();
        inputs.Should().BeEquivalentTo(axialSops.Concat(localizerSops), "the study's job has every instance of both series");

        // The job list's modality filter (GET /api/v1/jobs?modality=): the study's instances are CT.
        (await JobsAsync(node, "?modality=CT")).Should().ContainSingle();
        (await JobsAsync(node, "?modality=MR")).Should().BeEmpty();
        using var http = new HttpClient();
        var bad = await http.GetAsync(new Uri($"{node.BaseUrl}/api/v1/jobs?modality=c%2At"));
        ((int)bad.StatusCode).Should().Be(400);
        bad.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [RequiresFact(null, "storescu")]
    public async Task Restart_BeforeTheQuietPeriodEnded_UnitIsRearmed_AndItsJobRuns()
    {
        var files = Prepare(out var nodeDir);
        using (var first = NodeProcess.Start(nodeDir, [.. NodeArgs(nodeDir), "--MedNode:Completion:QuietPeriod=01:00:00", "--MedNode:Jobs:Workers=0"]))
        {
            var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", first.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: StorescuEnv);
            store.ExitCode.Should().Be(0, store.StdErr);
            (await JobsAsync(first)).Should().BeEmpty("the quiet period (an hour) has not ended");
            first.Terminate();
            first.Process.WaitForExit(60_000).Should().BeTrue();
        }

        using var second = NodeProcess.Start(nodeDir, [.. NodeArgs(nodeDir), "--MedNode:Completion:QuietPeriod=00:00:02", "--MedNode:Jobs:Workers=1"]);
        var jobs = await WaitForJobsAsync(second, j => j.Count == 1 && j[0].GetProperty("state").GetString() is "Succeeded" or "Failed", TimeSpan.FromMinutes(5));
        jobs.Should().ContainSingle("the unit received before the stop is re-armed (log: {0})", Tail(second.Output));
        jobs[0].GetProperty("state").GetString().Should().Be("Succeeded", Tail(second.Output));
        jobs[0].GetProperty("inputSopInstanceUids").GetArrayLength().Should().Be(files.Count);
    }

    private IReadOnlyList<string> Prepare(out string nodeDir)
    {
        var seriesDir = Path.Combine(_dir.Path, "series");
        Directory.CreateDirectory(seriesDir);
        nodeDir = Path.Combine(_dir.Path, "node");
        Directory.CreateDirectory(nodeDir);
        return CtPhantom.WriteSeries(Spec, seriesDir);
    }

    private static void Store(NodeProcess node, IEnumerable<string> files)
    {
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files], TimeSpan.FromMinutes(2), env: StorescuEnv);
        store.ExitCode.Should().Be(0, store.StdErr);
    }

    /// <summary>
    /// Writes a phantom CT series with a Series Description (0008,103E), in <paramref name="studyInstanceUid"/> when given;
    /// returns its files, its study and its SOP Instance UIDs.
    /// </summary>
    private (List<string> Files, string Study, List<string> Sops) WriteSeries(string name, CtPhantomSpec spec, string description, string? studyInstanceUid)
    {
        var dir = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(dir);
        var series = CtPhantom.CreateSeries(spec);
        var study = studyInstanceUid ?? series[0].GetString(DicomTags.StudyInstanceUID)!;
        List<string> paths = [], sops = [];
        for (var k = 0; k < series.Count; k++)
        {
            series[k].AddOrUpdate(DicomTags.StudyInstanceUID, study);
            series[k].AddOrUpdate(DicomTags.SeriesDescription, description);
            sops.Add(series[k].GetString(DicomTags.SOPInstanceUID)!);
            var path = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"{k + 1:D4}.dcm"));
            using (var stream = File.Create(path)) DicomFileWriter.Write(stream, series[k], DicomTransferSyntax.ExplicitVRLittleEndian);
            paths.Add(path);
        }
        return (paths, study, sops);
    }

    /// <summary>How many instances of the study the node's index holds (QIDO-RS, PS3.18 §10.6).</summary>
    private static async Task<int> StudyInstanceCountAsync(NodeProcess node, string study)
    {
        using var http = new HttpClient();
        var body = await http.GetStringAsync(new Uri($"{node.BaseUrl}/dicomweb/studies/{study}/instances"));
        return JsonDocument.Parse(body).RootElement.GetArrayLength();
    }

    /// <summary>A file index, the bundled model on CPU, one CT rule without destinations.</summary>
    private static string[] NodeArgs(string nodeDir) =>
    [
        $"--MedNode:Database:ConnectionString=Data Source={Path.Combine(nodeDir, "index.db")}",
        .. ExportFlow.AnalysisArgs(),
    ];

    private static async Task<List<JsonElement>> JobsAsync(NodeProcess node, string query = "")
    {
        using var http = new HttpClient();
        return JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/jobs{query}"))).RootElement.EnumerateArray().ToList();
    }

    private static async Task<List<JsonElement>> WaitForJobsAsync(NodeProcess node, Func<List<JsonElement>, bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var jobs = await JobsAsync(node);
        while (!done(jobs) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            jobs = await JobsAsync(node);
        }
        return jobs;
    }

    private static string Tail(string s) => s.Length <= 3000 ? s : s[^3000..];
}
