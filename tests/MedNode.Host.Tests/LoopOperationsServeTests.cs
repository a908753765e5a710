using System.Net;
using System.Text;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// The operator actions of the admin API against a real `mednode serve` fed by DCMTK `storescu`: completing a series now,
/// running a job again when its model is enabled (or on request), downloading a job's results (Export, PS3.15 §A.5.3.4)
/// and deleting a study (DICOM Study Deleted, PS3.15 §A.5.3.8). The exported PS3.15 messages are validated by libxml2's
/// xmllint against conformance/schemas/dicom-audit-message.rng. Declared once and run on each index provider
/// (<see cref="LoopOperationsSqliteTests"/>, <see cref="LoopOperationsPostgresTests"/>), with the index, job queue and
/// audit trail in that database.
/// </summary>
public abstract class LoopOperationsServeTests : IDisposable
{
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private static readonly string Schema = Path.Combine(SharedData.RepoRoot, "conformance", "schemas", "dicom-audit-message.rng");

    private readonly TempDir _dir = new("mednode-loopops-");
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new, empty database for one test; returns the node settings that name it.</summary>
    protected abstract Task<string[]> NewDatabaseAsync(string nodeDir);

    [RequiresFact(null, "storescu", "dcmdump")]
    public async Task CompleteSeriesNow_HourLongQuietPeriod_JobIsQueuedWithEveryInstance_ThenNothingIsPending()
    {
        var files = ExportFlow.Prepare(_dir, out var nodeDir);
        using var node = NodeProcess.Start(nodeDir, [.. NodeArgs(), .. await NewDatabaseAsync(nodeDir), "--MedNode:Completion:QuietPeriod=01:00:00", "--MedNode:Jobs:Workers=0"], env: Env);
        ExportFlow.Store(node, files);
        var (series, sops) = SeriesAndSops(files);

        (await GetArrayAsync(node, "/api/v1/jobs")).Should().BeEmpty("the quiet period is an hour");
        var pending = await GetArrayAsync(node, "/api/v1/completion/pending");
        pending.Should().ContainSingle();
        pending[0].GetProperty("seriesInstanceUid").GetString().Should().Be(series);
        pending[0].GetProperty("instances").GetInt32().Should().Be(files.Count);

        using (var unknown = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/completion/series/1.2.3.999/complete"), null))
        {
            unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
            unknown.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }
        using (var complete = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/completion/series/{series}/complete"), null))
        {
            complete.StatusCode.Should().Be(HttpStatusCode.OK, await complete.Content.ReadAsStringAsync());
            var units = JsonDocument.Parse(await complete.Content.ReadAsStringAsync()).RootElement;
            units.GetArrayLength().Should().Be(1);
            units[0].GetProperty("version").GetInt32().Should().Be(1);
            units[0].GetProperty("instances").GetInt32().Should().Be(files.Count);
        }

        // The rule ran and queued the job before the answer came: no waiting.
        var jobs = await GetArrayAsync(node, "/api/v1/jobs");
        jobs.Should().ContainSingle("the series was completed through the API (log: {0})", ExportFlow.Tail(node.Output));
        jobs[0].GetProperty("state").GetString().Should().Be("Queued");
        jobs[0].GetProperty("seriesInstanceUid").GetString().Should().Be(series);
        jobs[0].GetProperty("inputSopInstanceUids").EnumerateArray().Select(e => e.GetString()).Should().BeEquivalentTo(sops, "every instance is an input");
        (await GetArrayAsync(node, "/api/v1/completion/pending")).Should().BeEmpty();
        using (var again = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/completion/series/{series}/complete"), null))
            again.StatusCode.Should().Be(HttpStatusCode.NotFound, "the unit completed once");
    }

    /// <summary>
    /// A job skipped because its model was disabled: a retry while the model is still disabled runs it again (skipped once
    /// more, attempt 2); enabling the model requeues it and it succeeds (attempt 3), still one job. A succeeded job cannot be
    /// retried. Its results download as JSON, and the download is audited as Export, exported as a valid PS3.15 message.
    /// </summary>
    [RequiresFact(null, "storescu", "xmllint")]
    [Trait("Conformance", "PS3.15 A.5.3.4 Data Export")]
    public async Task ModelEnabledAgain_SkippedJobRunsOnceMore_AndItsResultDownloadIsAuditedAsExport()
    {
        var files = ExportFlow.Prepare(_dir, out var nodeDir);
        var auditFile = _dir.File("audit.xml.log");
        using var node = NodeProcess.Start(nodeDir,
            [.. NodeArgs(), .. await NewDatabaseAsync(nodeDir), "--MedNode:Completion:QuietPeriod=00:00:02", "--MedNode:Jobs:Workers=1", $"--MedNode:Audit:Export:File={auditFile}"], env: Env);
        using (var disable = await PutAsync(node, "/api/v1/models/phantom-lesion", """{"enabled":false}"""))
            disable.StatusCode.Should().Be(HttpStatusCode.OK);
        ExportFlow.Store(node, files);

        var job = await WaitForJobAsync(node, j => j.GetProperty("state").GetString() == "Skipped");
        job.GetProperty("error").GetString().Should().Be("model phantom-lesion is disabled");
        job.GetProperty("attempts").GetInt32().Should().Be(1);
        var id = job.GetProperty("id").GetString()!;

        using (var retry = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/jobs/{id}/retry"), null))
            retry.StatusCode.Should().Be(HttpStatusCode.Accepted, await retry.Content.ReadAsStringAsync());
        job = await WaitForJobAsync(node, j => j.GetProperty("state").GetString() == "Skipped" && j.GetProperty("attempts").GetInt32() == 2);
        job.GetProperty("attempts").GetInt32().Should().Be(2, "the retry ran it again, and the model is still disabled");

        using (var enable = await PutAsync(node, "/api/v1/models/phantom-lesion", """{"enabled":true}"""))
        {
            enable.StatusCode.Should().Be(HttpStatusCode.OK);
            var body = JsonDocument.Parse(await enable.Content.ReadAsStringAsync()).RootElement;
            body.GetProperty("requeuedJobs").EnumerateArray().Select(e => e.GetString()).Should().Equal(id);
        }
        job = await WaitForJobAsync(node, j => j.GetProperty("state").GetString() is "Succeeded" or "Failed", TimeSpan.FromMinutes(5));
        job.GetProperty("state").GetString().Should().Be("Succeeded", ExportFlow.Tail(node.Output));
        job.GetProperty("attempts").GetInt32().Should().Be(3);
        job.GetProperty("inputSopInstanceUids").GetArrayLength().Should().Be(files.Count);
        (await GetArrayAsync(node, "/api/v1/jobs")).Should().ContainSingle("the job ran again; no second job was made");

        using (var succeeded = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/jobs/{id}/retry"), null))
        {
            succeeded.StatusCode.Should().Be(HttpStatusCode.Conflict, "a succeeded job is not run again");
            succeeded.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }
        using (var unknown = await _http.PostAsync(new Uri($"{node.BaseUrl}/api/v1/jobs/{Guid.NewGuid()}/retry"), null))
            unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);

        // The download: the job's results as a file, audited as Export before it leaves.
        using var download = await _http.GetAsync(new Uri($"{node.BaseUrl}/api/v1/jobs/{id}/result"));
        download.StatusCode.Should().Be(HttpStatusCode.OK);
        download.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        download.Content.Headers.ContentDisposition!.DispositionType.Should().Be("attachment");
        var result = JsonDocument.Parse(await download.Content.ReadAsStringAsync()).RootElement;
        result.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("kind").GetString()).Should().Contain(["Segmentation", "StructuredReport"]);
        var study = job.GetProperty("studyInstanceUid").GetString()!;

        var rows = await GetArrayAsync(node, "/api/v1/audit?eventCode=110106");
        rows.Should().ContainSingle();
        rows[0].GetProperty("action").GetString().Should().Be("R");
        rows[0].GetProperty("outcome").GetInt32().Should().Be(0);
        rows[0].GetProperty("studyInstanceUid").GetString().Should().Be(study);
        rows[0].GetProperty("participants").GetString().Should().Contain("anonymous|127.0.0.1|R").And.Contain($"/api/v1/jobs/{id}/result||-|DestinationMedia");
        await VerifyIntactAsync(node);

        var message = await ExportedMessageAsync(auditFile, "110106");
        Validate(message).Should().Be(0);
        XPath(message, "string(//ActiveParticipant[RoleIDCode/@csd-code='110154']/MediaIdentifier/MediaType/@csd-code)").Should().Be("110037");
        XPath(message, "string(//ActiveParticipant[@UserIsRequestor='true']/@UserID)").Should().Be("anonymous");
        XPath(message, "string(//ParticipantObjectIdentification[ParticipantObjectIDTypeCode/@csd-code='110180']/@ParticipantObjectID)").Should().Be(study);
    }

    [RequiresFact(null, "storescu", "xmllint")]
    [Trait("Conformance", "PS3.15 A.5.3.8 DICOM Study Deleted")]
    public async Task DeleteStudy_ThroughTheApi_QidoAndWadoFindNothing_FilesAreGone_StudyDeletedIsAuditedAndExported()
    {
        var files = ExportFlow.Prepare(_dir, out var nodeDir);
        var store = _dir.File("store");
        var auditFile = _dir.File("audit.xml.log");
        using var node = NodeProcess.Start(nodeDir,
            [.. NodeArgs(), .. await NewDatabaseAsync(nodeDir), "--MedNode:Completion:QuietPeriod=01:00:00", "--MedNode:Jobs:Workers=0", $"--MedNode:Dimse:StoragePath={store}", $"--MedNode:Audit:Export:File={auditFile}"], env: Env);
        ExportFlow.Store(node, files);
        var study = Uid(files[0], "0020,000d");
        var stored = StoredFiles(store);
        stored.Should().HaveCount(files.Count, "the node holds one file per instance");
        (await GetArrayAsync(node, $"/dicomweb/studies/{study}/instances")).Should().HaveCount(files.Count);

        using (var delete = await _http.DeleteAsync(new Uri($"{node.BaseUrl}/api/v1/studies/{study}")))
        {
            delete.StatusCode.Should().Be(HttpStatusCode.OK, await delete.Content.ReadAsStringAsync());
            var body = JsonDocument.Parse(await delete.Content.ReadAsStringAsync()).RootElement;
            body.GetProperty("instances").GetInt32().Should().Be(files.Count);
            body.GetProperty("filesDeleted").GetInt32().Should().Be(files.Count);
        }

        using (var qido = await _http.GetAsync(new Uri($"{node.BaseUrl}/dicomweb/studies?StudyInstanceUID={study}")))
        {
            qido.IsSuccessStatusCode.Should().BeTrue();
            var text = await qido.Content.ReadAsStringAsync();
            (qido.StatusCode == HttpStatusCode.NoContent || JsonDocument.Parse(text).RootElement.GetArrayLength() == 0).Should().BeTrue($"QIDO-RS finds nothing: {text}");
        }
        using (var wado = new HttpRequestMessage(HttpMethod.Get, new Uri($"{node.BaseUrl}/dicomweb/studies/{study}")))
        {
            wado.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"");
            using var answer = await _http.SendAsync(wado);
            answer.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }
        stored.Where(File.Exists).Should().BeEmpty("the study's files are deleted");

        var rows = await GetArrayAsync(node, "/api/v1/audit?eventCode=110105");
        rows.Should().ContainSingle();
        rows[0].GetProperty("action").GetString().Should().Be("D");
        rows[0].GetProperty("outcome").GetInt32().Should().Be(0);
        rows[0].GetProperty("studyInstanceUid").GetString().Should().Be(study);
        rows[0].GetProperty("participants").GetString().Should().StartWith("anonymous|127.0.0.1|R");
        rows[0].GetProperty("detail").GetString().Should().Contain($"ContainsSOPClass 1.2.840.10008.5.1.4.1.1.2 NumberOfInstances {files.Count}");
        await VerifyIntactAsync(node);

        var message = await ExportedMessageAsync(auditFile, "110105");
        Validate(message).Should().Be(0);
        XPath(message, "string(//EventIdentification/@EventActionCode)").Should().Be("D");
        XPath(message, "string(//ParticipantObjectIdentification[ParticipantObjectIDTypeCode/@csd-code='110180']/@ParticipantObjectID)").Should().Be(study);
        XPath(message, "string(//SOPClass/@NumberOfInstances)").Should().Be(files.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var gone = await _http.DeleteAsync(new Uri($"{node.BaseUrl}/api/v1/studies/{study}"));
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        gone.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    /// <summary>
    /// Retention (<c>MedNode:Retention</c>): a study older than <c>MaxStudyAge</c> is deleted by the node on its own, looked
    /// for every <c>Interval</c>, and the trail names MedNode's retention as the deleting process.
    /// </summary>
    [RequiresFact(null, "storescu", "dcmdump")]
    [Trait("Conformance", "PS3.15 A.5.3.8 DICOM Study Deleted")]
    public async Task Retention_StudyOlderThanMaxStudyAge_IsDeletedByTheNode_AndAuditedAsStudyDeletedByRetention()
    {
        var files = ExportFlow.Prepare(_dir, out var nodeDir);
        using var node = NodeProcess.Start(nodeDir,
        [
            .. NodeArgs(), .. await NewDatabaseAsync(nodeDir), "--MedNode:Completion:QuietPeriod=01:00:00", "--MedNode:Jobs:Workers=0",
            "--MedNode:Retention:MaxStudyAge=00:00:05", "--MedNode:Retention:Interval=00:00:01",
        ], env: Env);
        ExportFlow.Store(node, files);
        var study = Uid(files[0], "0020,000d");

        var rows = await LoopFlowTests.WaitForAsync(() => GetArrayAsync(node, "/api/v1/audit?eventCode=110105"), r => r.Count > 0, TimeSpan.FromMinutes(2));
        rows.Should().ContainSingle("retention deleted the study once (log: {0})", ExportFlow.Tail(node.Output));
        rows[0].GetProperty("studyInstanceUid").GetString().Should().Be(study);
        rows[0].GetProperty("participants").GetString().Should().StartWith("mednode retention|");
        (await GetArrayAsync(node, $"/dicomweb/studies?StudyInstanceUID={study}")).Should().BeEmpty("QIDO-RS no longer finds it");
        await VerifyIntactAsync(node);
    }

    /// <summary>The node's regular files under the storage root, leaving out its own folders (journal, temporary files), which start with a dot.</summary>
    private static List<string> StoredFiles(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))];

    /// <summary>The series UID and SOP Instance UIDs of the files, as DCMTK dcmdump reads them.</summary>
    private static (string Series, List<string> Sops) SeriesAndSops(IReadOnlyList<string> files)
    {
        var series = Uid(files[0], "0020,000e");
        var dump = Tools.Run("dcmdump", ["-q", "+P", "0008,0018", .. files], TimeSpan.FromMinutes(1));
        dump.ExitCode.Should().Be(0, dump.StdErr);
        var sops = dump.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("(0008,0018)", StringComparison.Ordinal)).Select(Bracketed).ToList();
        sops.Should().HaveCount(files.Count);
        return (series, sops);
    }

    /// <summary>A UID element of the file, as DCMTK dcmdump prints it.</summary>
    private static string Uid(string file, string tag) =>
        Bracketed(Tools.Run("dcmdump", ["-q", "+P", tag, file]).StdOut.Split('\n').Single(l => l.StartsWith($"({tag})", StringComparison.Ordinal)));

    private static string Bracketed(string line) => line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.LastIndexOf(']')];

    /// <summary>The audit file sink writes one message per line; the line of the event, written to its own file for xmllint.</summary>
    private async Task<string> ExportedMessageAsync(string auditFile, string eventId)
    {
        var lines = await LoopFlowTests.WaitForAsync(() => Task.FromResult(File.Exists(auditFile) ? File.ReadAllLines(auditFile) : []),
            l => l.Any(x => x.Contains($"csd-code=\"{eventId}\"", StringComparison.Ordinal)), TimeSpan.FromSeconds(30));
        var line = lines.Single(x => x.Contains($"csd-code=\"{eventId}\"", StringComparison.Ordinal));
        var path = _dir.File($"message-{eventId}.xml");
        await File.WriteAllTextAsync(path, line, new UTF8Encoding(false));
        return path;
    }

    private static int Validate(string path)
    {
        var r = Tools.Run("xmllint", ["--noout", "--relaxng", Schema, path], TimeSpan.FromSeconds(60));
        r.ExitCode.Should().Be(0, $"{File.ReadAllText(path)} validates: {r.StdErr}");
        return r.ExitCode;
    }

    private static string XPath(string path, string expression) => Tools.Run("xmllint", ["--xpath", expression, path], TimeSpan.FromSeconds(60)).StdOut.Trim();

    private async Task VerifyIntactAsync(NodeProcess node)
    {
        var verify = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/audit/verify"))).RootElement;
        verify.GetProperty("isIntact").GetBoolean().Should().BeTrue(verify.ToString());
    }

    /// <summary>The bundled model on CPU, one CT rule without destinations.</summary>
    private static string[] NodeArgs() => ExportFlow.AnalysisArgs();

    private async Task<HttpResponseMessage> PutAsync(NodeProcess node, string path, string json) =>
        await _http.PutAsync(new Uri(node.BaseUrl + path), new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<List<JsonElement>> GetArrayAsync(NodeProcess node, string path)
    {
        using var answer = await _http.GetAsync(new Uri(node.BaseUrl + path));
        answer.EnsureSuccessStatusCode();
        var text = await answer.Content.ReadAsStringAsync();
        return text.Length == 0 ? [] : [.. JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>Polls the only job until <paramref name="done"/> holds (bounded); fails naming the last state.</summary>
    private async Task<JsonElement> WaitForJobAsync(NodeProcess node, Func<JsonElement, bool> done, TimeSpan? limit = null)
    {
        var jobs = await LoopFlowTests.WaitForAsync(() => GetArrayAsync(node, "/api/v1/jobs"), j => j.Count == 1 && done(j[0]), limit ?? TimeSpan.FromMinutes(3));
        jobs.Should().ContainSingle("one job (log: {0})", ExportFlow.Tail(node.Output));
        done(jobs[0]).Should().BeTrue($"the job reaches the expected state: {jobs[0]} (log: {ExportFlow.Tail(node.Output)})");
        return jobs[0];
    }
}

/// <summary>The operator actions with the index, job queue and audit trail in a SQLite file.</summary>
public sealed class LoopOperationsSqliteTests : LoopOperationsServeTests
{
    protected override Task<string[]> NewDatabaseAsync(string nodeDir) =>
        Task.FromResult<string[]>([$"--MedNode:Database:ConnectionString=Data Source={Path.Combine(nodeDir, "index.db")}"]);
}

/// <summary>The operator actions with the index, job queue and audit trail on PostgreSQL (<see cref="PostgresPeer"/>).</summary>
[RequiresPostgres]
public sealed class LoopOperationsPostgresTests : LoopOperationsServeTests
{
    protected override async Task<string[]> NewDatabaseAsync(string nodeDir) =>
        ["--MedNode:Database:Provider=PostgreSQL", $"--MedNode:Database:ConnectionString={await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync()}"];
}
