using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using MedNode.Core.Audit;
using MedNode.Core.Audit.Export;
using MedNode.Core.Diagnostics;
using MedNode.Dicom;
using MedNode.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

/// <summary>
/// The PS3.15 audit messages of the export, checked by real tools: libxml2's xmllint validates each against the schema of
/// PS3.15 §A.5.1.1 (conformance/schemas/dicom-audit-message.rng, written out from the standard's compact syntax) and reads
/// fields back with XPath; DCMTK's dcmdump reads the C-FIND identifier out of ParticipantObjectQuery.
/// </summary>
public sealed class AuditMessageXmlTests : IDisposable
{
    private const string StudyUid = "1.2.826.0.1.3680043.2.1125.1.12345";
    private const string CtImage = "1.2.840.10008.5.1.4.1.1.2";
    private const string StudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    private readonly TempDir _dir = new("mednode-audit-xml-");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 7, 30, 0, TimeSpan.Zero));

    private static string Schema => Path.Combine(SharedData.RepoRoot, "conformance", "schemas", "dicom-audit-message.rng");

    public void Dispose() => _dir.Dispose();

    private static readonly AuditParticipant Scu = new("SCU_AE", "127.0.0.1", true);
    private static readonly AuditParticipant Node = new("MEDNODE", null, false);
    private static readonly AuditStudy Study = new(StudyUid, "PAT-4711", [(CtImage, 3), ("1.2.840.10008.5.1.4.1.1.66.4", 1)]);

    private static DicomDataset Identifier()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        ds.AddOrUpdate(DicomTags.PatientID, DicomVR.LO, "PAT-4711");
        ds.AddOrUpdate(DicomTags.PatientName, DicomVR.PN, "");
        return ds;
    }

    /// <summary>One event of each kind MedNode writes, built the way the node builds them.</summary>
    private static IEnumerable<AuditEvent> EveryEventKind()
    {
        var app = new AuditParticipant("mednode", "node.example", true, "Application");
        yield return new AuditEvent(AuditEventType.ApplicationActivity, AuditAction.E, AuditOutcome.Success, [app], Detail: "MedNode started (pid 1)");
        yield return new AuditEvent(AuditEventType.ApplicationActivity, AuditAction.E, AuditOutcome.Success, [app], Detail: "MedNode stopped (pid 1)");
        yield return DicomAuditEvents.BeginTransferring(Node, Scu, [], Study, "C-GET");
        yield return DicomAuditEvents.InstancesTransferred(Node, Scu, [], Study, AuditOutcome.MinorFailure, "C-GET (sub-operations: 3 completed, 0 warning, 1 failed, 0 not sent)");
        yield return DicomAuditEvents.InstancesAccessed(AuditAction.R, AuditOutcome.Success, Scu, Study, "WADO-RS /studies/{study}/metadata");
        yield return new AuditEvent(AuditEventType.DicomStudyDeleted, AuditAction.D, AuditOutcome.Success, [new AuditParticipant("mednode retention", "node", true)],
            StudyUid, "PAT-4711", $"4 instance(s) removed from the index, 4 file(s) deleted; {Study.Describe()}");
        yield return DicomAuditEvents.Query(Scu, Node, $"C-FIND SOP Class {StudyRootFind}", DicomAuditEvents.DescribeKeys(Identifier()), AuditOutcome.Success,
            query: DicomAuditEvents.QueryPayload(Identifier()));
        yield return DicomAuditEvents.Query(Scu, Node, "QIDO-RS /dicomweb/studies", "level STUDY; matching (0010,0020) Single; returned (none)", AuditOutcome.MinorFailure,
            failure: "unknown attribute", query: new AuditQueryPayload("PatientID=PAT-4711"u8.ToArray(), null));
        yield return new AuditEvent(AuditEventType.Export, AuditAction.R, AuditOutcome.Success,
            [new AuditParticipant("alice", "10.0.0.7", true), Node with { Role = "Source" }, new AuditParticipant("http://node.example/api/v1/jobs/1/result", null, false, "DestinationMedia")],
            StudyUid, "PAT-4711", "analysis results of job 1 (model phantom-lesion, version 1) downloaded as JSON");
        yield return new AuditEvent(AuditEventType.SecurityAlert, AuditAction.E, AuditOutcome.MinorFailure,
            [new AuditParticipant("EVIL", "10.0.0.9", true, "Source"), new AuditParticipant("MEDNODE", null, false, "Destination")],
            Detail: "Node Authentication (DCM 110126): association rejected (A-ASSOCIATE-RJ called AE title not recognized); calling AE 'EVIL', called AE 'X'");
        yield return new AuditEvent(AuditEventType.UserAuthentication, AuditAction.E, AuditOutcome.MinorFailure,
            [new AuditParticipant("unauthenticated", "127.0.0.1", true, "Source"), new AuditParticipant("mednode", "localhost", false, "Destination")],
            Detail: "Login failed: bad API key (GET /dicomweb/studies)");
        yield return new AuditEvent(AuditEventType.AnalysisPerformed, AuditAction.E, AuditOutcome.Success, [new AuditParticipant("worker-1", null, true, "Application")], StudyUid,
            Detail: "model=phantom-lesion; sha256=abc123; version=1; SEG and SR created");
    }

    private static async Task<List<(AuditRecord Row, AuditEvent Event)>> AppendAsync(IEnumerable<AuditEvent> events, AuditOptions? options = null)
    {
        var trail = new InMemoryAuditTrail(options: options);
        var rows = new List<(AuditRecord, AuditEvent)>();
        foreach (var e in events) rows.Add((await trail.AppendAsync(e, CancellationToken.None), e));
        return rows;
    }

    private string Save(string name, string xml)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, xml);
        return path;
    }

    private static Tools.Result Validate(string path) => Tools.Run("xmllint", ["--noout", "--relaxng", Schema, path], TimeSpan.FromSeconds(60));

    private static string XPath(string path, string expression) => Tools.Run("xmllint", ["--xpath", expression, path], TimeSpan.FromSeconds(60)).StdOut.Trim();

    [RequiresFact(null, "xmllint")]
    [Trait("Conformance", "PS3.15 A.5.1 DICOM Audit Message Schema")]
    [Trait("Conformance", "PS3.15 A.5.3.1 Application Activity")]
    [Trait("Conformance", "PS3.15 A.5.3.11 Security Alert")]
    [Trait("Conformance", "PS3.15 A.5.3.12 User Authentication")]
    [Trait("Conformance", "PS3.15 A.5.3.4 Data Export")]
    public async Task Write_EveryEventKindMedNodeWrites_ValidatesAgainstThePs315Schema()
    {
        var rows = await AppendAsync(EveryEventKind());
        var codes = new HashSet<string>();
        foreach (var (row, e) in rows)
        {
            var path = Save($"{row.Sequence}.xml", AuditMessageXml.Write(row, new AuditSource("MEDNODE", "Hospital"), e.Query));
            var result = Validate(path);
            result.ExitCode.Should().Be(0, $"{row.EventCode} ({row.Detail}) validates: {result.StdErr}");
            XPath(path, "string(/AuditMessage/EventIdentification/EventID/@csd-code)").Should().Be(e.Type.Code);
            XPath(path, "string(/AuditMessage/EventIdentification/@EventOutcomeIndicator)").Should().Be(((int)e.Outcome).ToString(System.Globalization.CultureInfo.InvariantCulture));
            // EventTypeCode where PS3.15 names one: Application Start/Stop (A.5.3.1), the alert type (A.5.3.11, CID 403), Login (A.5.3.12).
            string? eventType = e.Type.Code switch
            {
                "110100" => e.Detail!.Contains("started", StringComparison.Ordinal) ? "110120" : "110121",
                "110113" => "110126",
                "110114" => "110122",
                _ => null,
            };
            XPath(path, "string(/AuditMessage/EventIdentification/EventTypeCode/@csd-code)").Should().Be(eventType ?? "");
            if (e.Type == AuditEventType.Export)
            {
                // §A.5.3.4: the media the data went to, Destination Media (110154) with its media type (CID 405; a download: 110037 URI).
                XPath(path, "string(/AuditMessage/ActiveParticipant[RoleIDCode/@csd-code='110154']/@UserID)").Should().Be("http://node.example/api/v1/jobs/1/result");
                XPath(path, "string(/AuditMessage/ActiveParticipant[RoleIDCode/@csd-code='110154']/MediaIdentifier/MediaType/@csd-code)").Should().Be("110037");
            }
            if (e.Type == AuditEventType.AnalysisPerformed)
                XPath(path, "string(/AuditMessage/ParticipantObjectIdentification[ParticipantObjectIDTypeCode/@csd-code='MODEL']/@ParticipantObjectID)").Should().Be("phantom-lesion");
            codes.Add(row.EventCode);
        }
        codes.Should().BeEquivalentTo(AuditEventType.All.Select(t => t.Code), "every event type MedNode defines was rendered");
    }

    [RequiresFact(null, "xmllint")]
    [Trait("Conformance", "PS3.15 A.5.3.7 DICOM Instances Transferred")]
    public async Task Write_InstancesTransferred_HasRolesStudyWithSopClassCountsAndPatient()
    {
        var (row, e) = (await AppendAsync([DicomAuditEvents.InstancesTransferred(Node, Scu, [], Study, AuditOutcome.Success, "C-GET")]))[0];
        var path = Save("transferred.xml", AuditMessageXml.Write(row, new AuditSource("MEDNODE"), e.Query));

        XPath(path, "string(/AuditMessage/EventIdentification/@EventActionCode)").Should().Be("R");
        XPath(path, "string(/AuditMessage/EventIdentification/@EventDateTime)").Should().Be(row.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        XPath(path, "string(/AuditMessage/ActiveParticipant[@UserID='MEDNODE']/RoleIDCode/@csd-code)").Should().Be("110153", "the node sends: Source");
        XPath(path, "string(/AuditMessage/ActiveParticipant[@UserID='SCU_AE']/RoleIDCode/@csd-code)").Should().Be("110152", "the C-GET SCU receives: Destination");
        XPath(path, "string(/AuditMessage/ActiveParticipant[@UserID='SCU_AE']/@UserIsRequestor)").Should().Be("true");
        XPath(path, "string(/AuditMessage/ActiveParticipant[@UserID='SCU_AE']/@NetworkAccessPointTypeCode)").Should().Be("2");
        var study = "/AuditMessage/ParticipantObjectIdentification[ParticipantObjectIDTypeCode/@csd-code='110180']";
        XPath(path, $"string({study}/@ParticipantObjectID)").Should().Be(StudyUid);
        XPath(path, $"string({study}/ParticipantObjectDescription/SOPClass[@UID='{CtImage}']/@NumberOfInstances)").Should().Be("3");
        XPath(path, $"count({study}/ParticipantObjectDescription/SOPClass)").Should().Be("2");
        XPath(path, "string(/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole='1']/@ParticipantObjectID)").Should().Be("PAT-4711");
    }

    [RequiresFact(null, "xmllint", "dcmdump")]
    [Trait("Conformance", "PS3.15 A.5.3.10 Query")]
    public async Task Write_CFindQuery_ParticipantObjectQueryIsTheBase64Identifier_ThatDcmdumpReads()
    {
        var e = DicomAuditEvents.Query(Scu, Node, $"C-FIND SOP Class {StudyRootFind}", DicomAuditEvents.DescribeKeys(Identifier()), AuditOutcome.Success,
            query: DicomAuditEvents.QueryPayload(Identifier()));
        var (row, _) = (await AppendAsync([e]))[0];
        row.Detail.Should().NotContain("PAT-4711", "the trail row keeps the keys, not the values");
        var path = Save("query.xml", AuditMessageXml.Write(row, new AuditSource("MEDNODE"), e.Query));
        Validate(path).ExitCode.Should().Be(0);

        var query = "/AuditMessage/ParticipantObjectIdentification[ParticipantObjectIDTypeCode/@csd-code='110181']";
        XPath(path, $"string({query}/@ParticipantObjectID)").Should().Be(StudyRootFind);
        XPath(path, $"string({query}/@ParticipantObjectTypeCode)").Should().Be("2");
        XPath(path, $"string({query}/@ParticipantObjectTypeCodeRole)").Should().Be("3", "§A.5.3.10: SOP Queried, role Report");
        var ts = XPath(path, $"string({query}/ParticipantObjectDetail[@type='TransferSyntax']/@value)");
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(ts)).Should().Be("1.2.840.10008.1.2.1");
        var identifier = _dir.File("identifier.bin");
        File.WriteAllBytes(identifier, Convert.FromBase64String(XPath(path, $"string({query}/ParticipantObjectQuery)")));
        var dump = Tools.Run("dcmdump", ["-f", "-te", identifier], TimeSpan.FromSeconds(60));
        dump.ExitCode.Should().Be(0, dump.StdErr);
        dump.StdOut.Should().Contain("(0010,0020) LO [PAT-4711]").And.Contain("(0008,0052) CS [STUDY]");
    }

    [RequiresFact(null, "xmllint")]
    [Trait("Conformance", "PS3.15 A.5.3.10 Query")]
    public async Task Write_HashPatientIdentifiers_NoPlainPatientIdInTheMessage_QueryHoldsKeysOnly()
    {
        var options = new AuditOptions { HashPatientIdentifiers = true };
        var query = DicomAuditEvents.Query(Scu, Node, $"C-FIND SOP Class {StudyRootFind}", DicomAuditEvents.DescribeKeys(Identifier()), AuditOutcome.Success,
            query: DicomAuditEvents.QueryPayload(Identifier()));
        var rows = await AppendAsync([query, DicomAuditEvents.InstancesAccessed(AuditAction.R, AuditOutcome.Success, Scu, Study, "WADO-RS")], options);
        foreach (var (row, e) in rows)
        {
            var xml = AuditMessageXml.Write(row, new AuditSource("MEDNODE"), e.Query, hideQueryValues: options.HashPatientIdentifiers);
            var path = Save($"hashed-{row.Sequence}.xml", xml);
            Validate(path).ExitCode.Should().Be(0);
            xml.Should().NotContain("PAT-4711");
            var q = XPath(path, "string(/AuditMessage/ParticipantObjectIdentification/ParticipantObjectQuery)");
            if (q.Length > 0) System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(q)).Should().NotContain("PAT-4711").And.Contain("(0010,0020)");
        }
        var patient = Save("hashed-patient.xml", AuditMessageXml.Write(rows[1].Row, new AuditSource("MEDNODE")));
        XPath(patient, "string(/AuditMessage/ParticipantObjectIdentification[@ParticipantObjectTypeCodeRole='1']/@ParticipantObjectID)").Should().StartWith("sha256:");
    }

    [RequiresFact(null, "xmllint")]
    public async Task FileSink_OneMessagePerLine_EachLineValidates()
    {
        var file = _dir.File("audit/messages.xml");
        var options = new AuditExportOptions { File = file };
        var exporter = new AuditMessageExporter(AuditMessageExporter.CreateSinks(options, _clock), options, new AuditOptions(), _clock);
        var trail = new ExportingAuditTrail(new InMemoryAuditTrail(_clock), exporter);
        var events = EveryEventKind().ToList();
        foreach (var e in events) await trail.AppendAsync(e, CancellationToken.None);
        using (var stop = new CancellationTokenSource())
        {
            await stop.CancelAsync();
            await exporter.RunAsync(stop.Token); // stopped: sends what is queued, then returns
        }
        await exporter.DisposeAsync();

        var lines = File.ReadAllLines(file);
        lines.Should().HaveCount(events.Count, "one line per message");
        for (var i = 0; i < lines.Length; i++)
        {
            var path = Save($"line-{i}.xml", lines[i]);
            Validate(path).ExitCode.Should().Be(0, lines[i]);
            XPath(path, "string(/AuditMessage/EventIdentification/EventID/@csd-code)").Should().Be(events[i].Type.Code);
        }
    }

    [Fact]
    public async Task Exporter_SyslogServerDown_AppendSucceeds_MessageIsRetriedThenDroppedAndCounted()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now: every connect is refused
        var options = new AuditExportOptions { Syslog = new AuditSyslogOptions { Host = "127.0.0.1", Port = port, Transport = SyslogTransport.Tcp }, MaxAttempts = 2, RetryDelay = TimeSpan.FromSeconds(3) };
        var counts = new Dictionary<string, long>();
        using var meter = new MeterListener();
        meter.InstrumentPublished = (i, l) => { if (i.Meter.Name == MedNodeMetrics.MeterName && i.Name == MedNodeMetrics.AuditExportsName) l.EnableMeasurementEvents(i); };
        meter.SetMeasurementEventCallback<long>((_, v, tags, _) =>
        {
            string sink = "", outcome = "";
            foreach (var t in tags) { if (t.Key == MedNodeMetrics.SinkTag) sink = (string)t.Value!; if (t.Key == MedNodeMetrics.OutcomeTag) outcome = (string)t.Value!; }
            if (sink != "syslog-tcp") return;
            lock (counts) counts[outcome] = counts.GetValueOrDefault(outcome) + v;
        });
        meter.Start();
        await using var exporter = new AuditMessageExporter(AuditMessageExporter.CreateSinks(options, _clock), options, new AuditOptions(), _clock);
        var inner = new InMemoryAuditTrail(_clock);
        var trail = new ExportingAuditTrail(inner, exporter);
        using var stop = new CancellationTokenSource();
        var run = exporter.RunAsync(stop.Token);

        var row = await trail.AppendAsync(DicomAuditEvents.InstancesAccessed(AuditAction.R, AuditOutcome.Success, Scu, Study, "WADO-RS"), CancellationToken.None);

        row.Sequence.Should().Be(1);
        (await inner.ReadAsync(AuditQuery.All, CancellationToken.None).ToListAsync()).Should().ContainSingle("the trail has the row whatever the export does");
        long Count(string outcome) { lock (counts) return counts.GetValueOrDefault(outcome); }
        SpinWait.SpinUntil(() => Count("retried") == 1, TimeSpan.FromSeconds(30)).Should().BeTrue("the first refused attempt is retried");
        Count("dropped").Should().Be(0, "the retry waits for the node's clock");
        // Advanced until the retry's timer (armed just after the count) has fired.
        SpinWait.SpinUntil(() => { _clock.Advance(options.RetryDelay); return Count("dropped") == 1; }, TimeSpan.FromSeconds(30))
            .Should().BeTrue("after the second attempt the message is dropped");
        Count("sent").Should().Be(0);
        await stop.CancelAsync();
        await run;
    }
}
