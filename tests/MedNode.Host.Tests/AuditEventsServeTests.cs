using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// The audit events of the query and retrieve paths (PS3.15 §A.5.3.3, §A.5.3.6, §A.5.3.10), emitted by a running
/// `mednode serve` for DCMTK findscu, movescu and getscu and for QIDO-RS and WADO-RS requests, read back through
/// <c>/api/v1/audit</c>; the hash chain still verifies afterwards.
/// </summary>
public sealed class AuditEventsServeTests : IDisposable
{
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private const string StudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    private const string StudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
    private const string StudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-audit-events-");
    private readonly List<Process> _processes = [];
    private NodeProcess? _node;

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Value(string path, string tag)
    {
        var line = Tools.Run("dcmdump", ["-q", "-s", "-Un", "+P", tag, path], TimeSpan.FromSeconds(60)).StdOut;
        return line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.LastIndexOf(']')];
    }

    /// <summary>The audit rows of one event code, polled until <paramref name="count"/> are there (events are appended off the request path).</summary>
    private static async Task<List<JsonElement>> RowsAsync(HttpClient http, string baseUrl, string code, int count, Func<JsonElement, bool>? where = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var rows = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{baseUrl}/api/v1/audit?eventCode={code}"))).RootElement.EnumerateArray()
                .Where(where ?? (_ => true)).ToList();
            if (rows.Count >= count || DateTime.UtcNow > deadline) return rows;
            await Task.Delay(100);
        }
    }

    private static string Detail(JsonElement row) => row.GetProperty("detail").GetString()!;

    private static string[] Participants(JsonElement row) => row.GetProperty("participants").GetString()!.Split('\n');

    [RequiresFact("corpus", "storescu", "storescp", "findscu", "movescu", "getscu", "dcmdump")]
    [Trait("Conformance", "PS3.15 A.5.3.10 Query")]
    [Trait("Conformance", "PS3.15 A.5.3.3 Begin Transferring DICOM Instances")]
    [Trait("Conformance", "PS3.15 A.5.3.6 DICOM Instances Accessed")]
    [Trait("Conformance", "PS3.15 A.5.3.7 DICOM Instances Transferred")]
    public async Task Serve_DcmtkQueryRetrieveAndDicomWeb_AreAuditedWithParticipantsStudyAndOutcome_ChainVerifies()
    {
        var source = Corpus.FullPath(CtSmall);
        string study = Value(source, "0020,000d"), patient = Value(source, "0010,0020"), sopClass = Value(source, "0008,0016");
        var started = DateTimeOffset.UtcNow;
        var scpPort = NodeProcess.FreePort();
        var received = Directory.CreateDirectory(_dir.File("storescp")).FullName;
        var storescp = Process.Start(new ProcessStartInfo(Tools.Find("storescp")!, ["-aet", "STORESCP", "-od", received, P(scpPort)]) { Environment = { ["TCP_NODELAY"] = "1" } })!;
        _processes.Add(storescp);
        SpinWait.SpinUntil(() => StorescpProcess.CanConnect(scpPort), TimeSpan.FromSeconds(20)).Should().BeTrue("storescp listens");
        _node = NodeProcess.Start(_dir.Path, ["--MedNode:Dimse:MoveDestinations:0:AeTitle=STORESCP", "--MedNode:Dimse:MoveDestinations:0:Host=127.0.0.1",
            $"--MedNode:Dimse:MoveDestinations:0:Port={P(scpPort)}"]);
        var port = _node.DimsePortText;
        Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", port, source], env: Env).ExitCode.Should().Be(0);

        // C-FIND with the patient's ID as a matching key and the name as a return key.
        var findDir = Directory.CreateDirectory(_dir.File("find")).FullName;
        var find = Tools.Run("findscu", ["-S", "-X", "-od", findDir, "-aet", "AUDITSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=" + patient,
            "-k", "PatientName", "-k", "StudyInstanceUID", "127.0.0.1", port], TimeSpan.FromSeconds(60), env: Env);
        find.ExitCode.Should().Be(0, find.StdErr);
        Directory.GetFiles(findDir).Should().ContainSingle("the study matches");
        var move = Tools.Run("movescu", ["-S", "-aet", "AUDITSCU", "-aec", "MEDNODE", "-aem", "STORESCP", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study,
            "127.0.0.1", port], TimeSpan.FromSeconds(60), env: Env);
        move.ExitCode.Should().Be(0, move.StdErr);
        var getDir = Directory.CreateDirectory(_dir.File("get")).FullName;
        var get = Tools.Run("getscu", ["-S", "-od", getDir, "-aet", "AUDITSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study,
            "127.0.0.1", port], TimeSpan.FromSeconds(60), env: Env);
        get.ExitCode.Should().Be(0, get.StdErr);
        Directory.GetFiles(getDir).Should().ContainSingle();

        using var http = new HttpClient();
        using (var qido = new HttpRequestMessage(HttpMethod.Get, $"{_node.BaseUrl}/dicomweb/studies?PatientID={patient}&includefield=StudyDescription"))
        {
            qido.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/dicom+json"));
            using var r = await http.SendAsync(qido);
            r.StatusCode.Should().Be(HttpStatusCode.OK);
            (await r.Content.ReadAsStringAsync()).Should().Contain(study);
        }
        (await http.GetAsync(new Uri($"{_node.BaseUrl}/dicomweb/studies?NoSuchKeyword=zz-typed-value"))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using (var wado = new HttpRequestMessage(HttpMethod.Get, $"{_node.BaseUrl}/dicomweb/studies/{study}"))
        {
            wado.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
            using var r = await http.SendAsync(wado);
            r.StatusCode.Should().Be(HttpStatusCode.OK);
        }
        (await http.GetAsync(new Uri($"{_node.BaseUrl}/dicomweb/studies/{study}/metadata"))).StatusCode.Should().Be(HttpStatusCode.OK);

        // Query (110112): the C-FIND, the QIDO-RS search, and the refused QIDO-RS search; keys by tag, never values.
        var queries = await RowsAsync(http, _node.BaseUrl, "110112", 3);
        queries.Should().HaveCount(3);
        queries.Should().OnlyContain(r => r.GetProperty("action").GetString() == "E" && r.GetProperty("eventScheme").GetString() == "DCM");
        var cfind = queries.Should().ContainSingle(r => r.GetProperty("detail").GetString()!.Contains(StudyRootFind)).Subject;
        cfind.GetProperty("outcome").GetInt32().Should().Be(0);
        Participants(cfind).Should().Equal("AUDITSCU|127.0.0.1|R|Source", "MEDNODE||-|Destination");
        cfind.GetProperty("detail").GetString().Should().Contain("level STUDY").And.Contain("matching (0010,0020)").And.Contain("(0010,0010)").And.Contain("(0020,000D)");
        var qidoRows = queries.Where(r => r.GetProperty("detail").GetString()!.Contains("QIDO-RS /dicomweb/studies")).ToList();
        qidoRows.Should().HaveCount(2);
        var ok = qidoRows.Should().ContainSingle(r => r.GetProperty("outcome").GetInt32() == 0).Subject;
        Participants(ok)[0].Should().Be("anonymous|127.0.0.1|R|Source");
        ok.GetProperty("detail").GetString().Should().Contain("(0010,0020) SingleValue").And.Contain("(0008,1030)");
        var refused = qidoRows.Should().ContainSingle(r => r.GetProperty("outcome").GetInt32() == 4).Subject;
        refused.GetProperty("detail").GetString().Should().Contain("NoSuchKeyword").And.Contain("failed");
        queries.Select(r => r.GetRawText()).Should().NotContain(t => t.Contains(patient, StringComparison.Ordinal) || t.Contains("zz-typed-value", StringComparison.Ordinal),
            "a query's values are not recorded");

        // Begin Transferring DICOM Instances (110102): C-MOVE, C-GET and the WADO-RS retrieve, each naming the study and its SOP class.
        var begins = await RowsAsync(http, _node.BaseUrl, "110102", 3);
        begins.Should().HaveCount(3);
        begins.Should().OnlyContain(r => r.GetProperty("studyInstanceUid").GetString() == study && r.GetProperty("action").GetString() == "E"
            && r.GetProperty("outcome").GetInt32() == 0 && r.GetProperty("detail").GetString()!.Contains($"ContainsSOPClass {sopClass} NumberOfInstances 1"));
        Participants(begins.Single(r => r.GetProperty("detail").GetString()!.Contains(StudyRootMove)))
            .Should().Equal("MEDNODE||-|Source", "STORESCP|127.0.0.1|-|Destination", "AUDITSCU|127.0.0.1|R|Requestor");
        Participants(begins.Single(r => r.GetProperty("detail").GetString()!.Contains(StudyRootGet)))
            .Should().Equal("MEDNODE||-|Source", "AUDITSCU|127.0.0.1|R|Destination");
        var wadoBegin = begins.Single(r => r.GetProperty("detail").GetString()!.Contains("WADO-RS /dicomweb/studies/{study}"));
        Participants(wadoBegin).Should().Equal($"{_node.BaseUrl}/dicomweb||-|Source", "anonymous|127.0.0.1|R|Destination");

        // DICOM Instances Transferred (110104, action R) after each of them, with the same participants (the C-STORE
        // into the node is audited as 110104 too, on completion: left out here by its detail).
        var transferred = await RowsAsync(http, _node.BaseUrl, "110104", 3,
            r => Detail(r).Contains(StudyRootMove, StringComparison.Ordinal) || Detail(r).Contains(StudyRootGet, StringComparison.Ordinal) || Detail(r).Contains("WADO-RS", StringComparison.Ordinal));
        transferred.Should().HaveCount(3);
        transferred.Should().OnlyContain(r => r.GetProperty("studyInstanceUid").GetString() == study && r.GetProperty("action").GetString() == "R"
            && r.GetProperty("outcome").GetInt32() == 0 && Detail(r).Contains($"ContainsSOPClass {sopClass} NumberOfInstances 1"));
        foreach (var uid in new[] { StudyRootMove, StudyRootGet })
        {
            var end = transferred.Single(r => Detail(r).Contains(uid, StringComparison.Ordinal));
            Detail(end).Should().Contain("1 completed, 0 warning, 0 failed, 0 not sent");
            Participants(end).Should().Equal(Participants(begins.Single(r => Detail(r).Contains(uid, StringComparison.Ordinal))));
        }
        Participants(transferred.Single(r => Detail(r).Contains("WADO-RS", StringComparison.Ordinal))).Should().Equal(Participants(wadoBegin));

        // DICOM Instances Accessed (110103), action Read: the WADO-RS metadata read.
        var accessed = (await RowsAsync(http, _node.BaseUrl, "110103", 1)).Should().ContainSingle().Subject;
        accessed.GetProperty("action").GetString().Should().Be("R");
        accessed.GetProperty("studyInstanceUid").GetString().Should().Be(study);
        accessed.GetProperty("detail").GetString().Should().Contain("/metadata").And.Contain($"ContainsSOPClass {sopClass} NumberOfInstances 1");
        Participants(accessed).Should().Equal("anonymous|127.0.0.1|R|");

        // EventDateTime comes from the node's clock at the event, within the test's run.
        var times = queries.Concat(begins).Concat(transferred).Append(accessed).Select(r => r.GetProperty("time").GetDateTimeOffset()).ToList();
        times.Should().OnlyContain(t => t >= started.AddSeconds(-1) && t <= DateTimeOffset.UtcNow.AddSeconds(1));
        var verify = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{_node.BaseUrl}/api/v1/audit/verify"))).RootElement;
        verify.GetProperty("isIntact").GetBoolean().Should().BeTrue(verify.ToString());
    }

    public void Dispose()
    {
        _node?.Dispose();
        foreach (var p in _processes)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            p.Dispose();
        }
        _dir.Dispose();
    }
}
