using System.Text.Json.Nodes;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>
/// Storage Commitment Push Model (PS3.4 Annex J) between MedNode and Orthanc 1.10.1, both ways, with an instance the
/// SCP does not hold; and MedNode against itself with the report on the request's association.
/// </summary>
public class StorageCommitmentTests
{
    private const string CtImageStorage = "1.2.840.10008.5.1.4.1.1.2";

    /// <summary>A SOP Instance UID no one holds (2.25 root, random).</summary>
    private static readonly string Missing = StorageCommitment.NewTransactionUid();

    private static List<string> Files(int count) => OrthancDimseTests.StudyFiles().Take(count).ToList();

    private static List<StorageCommitmentReference> References(IEnumerable<string> files) =>
        files.Select(f => new StorageCommitmentReference(OrthancDimseTests.SopClassOf(f), OrthancDimseTests.SopInstanceOf(f))).ToList();

    /// <summary>
    /// MedNode's SCU asks MedNode's SCP (the requester is not a configured peer, so the report comes on the same
    /// association): stored instances are committed, an unknown one fails with 0112H, one named under another SOP
    /// Class fails with 0119H.
    /// </summary>
    [RequiresFact(OrthancDimseTests.Study)]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task DicomClient_CommitmentFromMedNodeOnSameAssociation_CommittedAndFailedWithReasons()
    {
        var files = Files(3);
        await using var node = await new TestNode().StartAsync();
        var client = new DicomClient("127.0.0.1", node.Port, "MEDNODE", "SCU");
        (await client.StoreAsync(files)).Should().OnlyContain(o => o.IsSuccess);
        var refs = References(files);
        var wrongClass = new StorageCommitmentReference("1.2.840.10008.5.1.4.1.1.4", refs[0].SopInstanceUid);

        var result = await client.RequestStorageCommitmentAsync([.. refs, new(CtImageStorage, Missing), wrongClass]);

        result.Committed.Should().BeEquivalentTo(refs);
        result.Failed.Should().BeEquivalentTo(new[]
        {
            new StorageCommitmentFailure(CtImageStorage, Missing, 0x0112),
            new StorageCommitmentFailure(wrongClass.SopClassUid, wrongClass.SopInstanceUid, 0x0119),
        });
        result.EventTypeId.Should().Be(2);
    }

    /// <summary>
    /// Orthanc as Storage Commitment SCU (POST /modalities/MEDNODE/storage-commitment) asks MedNode, which holds three
    /// of the four instances; MedNode reports on a new association to Orthanc (a configured peer), and Orthanc's report
    /// lists three successes and one failure with reason 0112H.
    /// </summary>
    [RequiresFact(OrthancDimseTests.Study, "Orthanc")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task Orthanc_AsksMedNodeForCommitment_ReportOnNewAssociationWithFailure()
    {
        var files = Files(3);
        var orthancPort = OrthancPeer.FreePort();
        var options = new DicomServerOptions { AllowedPeers = [new DicomPeer("ORTHANC", "127.0.0.1", orthancPort)] };
        await using var node = await new TestNode(options).StartAsync();
        (await new DicomClient("127.0.0.1", node.Port, "MEDNODE", "SCU").StoreAsync(files)).Should().OnlyContain(o => o.IsSuccess);
        await using var orthanc = await OrthancPeer.StartAsync(OrthancDimseTests.OptionsFor(node) with { DicomPort = orthancPort });
        var refs = References(files);

        var all = await orthanc.RequestStorageCommitmentAsync("MEDNODE", refs.Select(r => (r.SopClassUid, r.SopInstanceUid)));
        var allReport = await orthanc.WaitStorageCommitmentReportAsync(all, TimeSpan.FromSeconds(60));
        allReport["Status"]!.GetValue<string>().Should().Be("Success", allReport.ToJsonString());
        SopInstances(allReport["Success"]).Should().BeEquivalentTo(refs.Select(r => r.SopInstanceUid));

        var some = await orthanc.RequestStorageCommitmentAsync("MEDNODE", [.. refs.Select(r => (r.SopClassUid, r.SopInstanceUid)), (CtImageStorage, Missing)]);
        var report = await orthanc.WaitStorageCommitmentReportAsync(some, TimeSpan.FromSeconds(60));
        report["Status"]!.GetValue<string>().Should().Be("Failure", report.ToJsonString());
        SopInstances(report["Success"]).Should().BeEquivalentTo(refs.Select(r => r.SopInstanceUid));
        var failure = report["Failures"]!.AsArray().Should().ContainSingle().Subject!;
        failure["SOPInstanceUID"]!.GetValue<string>().Should().Be(Missing);
        failure["FailureReason"]!.GetValue<int>().Should().Be(0x0112);
    }

    /// <summary>
    /// MedNode's SCU stores three instances to Orthanc and asks Orthanc (the SCP) to commit them and one it never got;
    /// Orthanc reports on a new association to MedNode's listener: three committed, the fourth failed with Orthanc's
    /// reason 0112H.
    /// </summary>
    [RequiresFact(OrthancDimseTests.Study, "Orthanc")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task DicomClient_AsksOrthancForCommitment_ReportOnNewAssociationWithFailure()
    {
        var files = Files(3);
        var reports = new StorageCommitmentReportWaiter();
        await using var node = await new TestNode(commitmentReports: reports).StartAsync();
        await using var orthanc = await OrthancPeer.StartAsync(OrthancDimseTests.OptionsFor(node));
        var client = new DicomClient("127.0.0.1", orthanc.DicomPort, orthanc.AeTitle, "MEDNODE");
        (await client.StoreAsync(files)).Should().OnlyContain(o => o.IsSuccess);
        var refs = References(files);

        var all = await client.RequestStorageCommitmentAsync(refs, reports, TimeSpan.FromSeconds(60));
        all.Committed.Should().BeEquivalentTo(refs);
        all.Failed.Should().BeEmpty();

        var some = await client.RequestStorageCommitmentAsync([.. refs, new(CtImageStorage, Missing)], reports, TimeSpan.FromSeconds(60));
        some.Committed.Should().BeEquivalentTo(refs);
        some.Failed.Should().ContainSingle().Which.Should().Be(new StorageCommitmentFailure(CtImageStorage, Missing, 0x0112));
        some.EventTypeId.Should().Be(2);
    }

    /// <summary>
    /// N-ACTION-RQs that are not a valid Request Storage Commitment get a failure status in the N-ACTION-RSP (PS3.7
    /// §10.1.4.1.10) and no report: wrong Action Type ID 0123H, wrong Requested SOP Instance 0112H, no Transaction UID
    /// 0120H. The association stays usable: a C-ECHO after it succeeds.
    /// </summary>
    [Theory]
    [Trait("Conformance", "PS3.4 J.3")]
    [InlineData(2, StorageCommitment.PushModelSopInstanceUid, true, 0x0123)]
    [InlineData(1, "1.2.3.4", true, 0x0112)]
    [InlineData(1, StorageCommitment.PushModelSopInstanceUid, false, 0x0120)]
    public async Task DicomServer_InvalidCommitmentRequest_FailureStatusAndNoReport(int actionType, string instance, bool withTransaction, int status)
    {
        await using var node = await new TestNode().StartAsync();
        var transport = await Dicom.Network.SocketTransport.ConnectAsync("127.0.0.1", node.Port, default);
        await using var association = await Dicom.Network.Association.RequestAsync(transport, new Dicom.Network.AssociationRequest("MEDNODE", "SCU",
        [
            new Dicom.Network.Pdus.PresentationContextRq(1, StorageCommitment.PushModelSopClassUid, [Fixtures.ImplicitLE]),
            new Dicom.Network.Pdus.PresentationContextRq(3, Fixtures.Verification, [Fixtures.ImplicitLE]),
        ]));
        var info = StorageCommitment.BuildActionInformation("1.2.3", [new(CtImageStorage, "1.2.3.4.5")]);
        if (!withTransaction) info.Remove(Dicom.DicomTags.TransactionUID);
        var rq = new NActionRq { RequestedSopClassUid = StorageCommitment.PushModelSopClassUid, RequestedSopInstanceUid = instance, ActionTypeId = (ushort)actionType, MessageId = 7, HasDataSet = true };
        await association.SendMessageAsync(1, rq.Encode(), StorageCommitment.Encode(info, Fixtures.ImplicitLE));

        var rsp = (await association.ReceiveMessageAsync())!.DecodeCommand().Should().BeOfType<NActionRsp>().Subject;
        rsp.Status.Should().Be((ushort)status);
        rsp.MessageIdBeingRespondedTo.Should().Be(7);
        await association.SendCommandAsync(3, new CEchoRq { AffectedSopClassUid = Fixtures.Verification, MessageId = 8 });
        (await association.ReceiveMessageAsync())!.DecodeCommand().Should().BeOfType<CEchoRsp>("no N-EVENT-REPORT comes before the echo's answer");
        await association.ReleaseAsync();
    }

    /// <summary>
    /// A calling AE without <see cref="DimseServices.Commitment"/> (MedNode's own engine and client): proposing the
    /// Storage Commitment context in the default SCU role, it is user-rejected (PS3.8 Table 9-18); taking the SCP role by
    /// SCP/SCU Role Selection (PS3.7 §D.3.3.4), as a reporter does (PS3.4 J.3.3), the context and the SCP role are
    /// accepted and its N-EVENT-REPORT is taken, but an N-ACTION-RQ there is answered 0124H Refused: Not authorized.
    /// </summary>
    [Fact]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task DicomServer_CallingAeWithoutCommitment_ContextRejected_AsReporterItsReportIsTaken_ItsNActionIs0124()
    {
        var reports = new StorageCommitmentReportWaiter();
        var alerts = new SecurityEvents();
        var options = new DicomServerOptions { RequireKnownPeers = true, AllowedPeers = [new DicomPeer("ECHOONLY", null, 104, DimseServices.Echo)] };
        await using var node = await new TestNode(options, commitmentReports: reports, securityEvents: alerts).StartAsync();
        Dicom.Network.Pdus.PresentationContextRq[] contexts =
        [
            new(1, StorageCommitment.PushModelSopClassUid, [Fixtures.ImplicitLE]),
            new(3, Fixtures.Verification, [Fixtures.ImplicitLE]),
        ];

        await using (var asScu = await Dicom.Network.Association.RequestAsync(await Dicom.Network.SocketTransport.ConnectAsync("127.0.0.1", node.Port, default),
            new Dicom.Network.AssociationRequest("MEDNODE", "ECHOONLY", contexts)))
        {
            asScu.PresentationContexts.Single(c => c.Id == 1).Result.Should().Be(Dicom.Network.Pdus.PresentationContextResult.UserRejection);
            asScu.PresentationContexts.Single(c => c.Id == 3).IsAccepted.Should().BeTrue("ECHOONLY may echo");
            await asScu.ReleaseAsync();
        }
        // Each refusal is told to the host as a security event (audited as Use of Restricted Function, PS3.15 A.5.3.11).
        var refused = alerts.WaitFor(1)[0];
        refused.Kind.Should().Be(DicomSecurityEventKind.StorageCommitmentRefused);
        refused.CallingAeTitle.Should().Be("ECHOONLY");
        refused.RemoteAddress.Should().NotBeNull();
        refused.Reason.Should().Contain("presentation context user-rejected");

        await using (var asScp = await Dicom.Network.Association.RequestAsync(await Dicom.Network.SocketTransport.ConnectAsync("127.0.0.1", node.Port, default),
            new Dicom.Network.AssociationRequest("MEDNODE", "ECHOONLY", contexts) { RoleSelections = [new(StorageCommitment.PushModelSopClassUid, ScuRole: true, ScpRole: true)] }))
        {
            var pc = asScp.PresentationContexts.Single(c => c.Id == 1);
            pc.IsAccepted.Should().BeTrue("a reporter's context is accepted");
            pc.ScpRole.Should().BeTrue("the SCP role is granted to report");
            var info = StorageCommitment.BuildActionInformation("1.2.3", [new(CtImageStorage, "1.2.3.4.5")]);
            var rq = new NActionRq { RequestedSopClassUid = StorageCommitment.PushModelSopClassUid, RequestedSopInstanceUid = StorageCommitment.PushModelSopInstanceUid, ActionTypeId = 1, MessageId = 7, HasDataSet = true };
            await asScp.SendMessageAsync(1, rq.Encode(), StorageCommitment.Encode(info, Fixtures.ImplicitLE));
            var rsp = (await asScp.ReceiveMessageAsync())!.DecodeCommand().Should().BeOfType<NActionRsp>().Subject;
            rsp.Status.Should().Be(DimseStatus.NotAuthorized);
            await asScp.ReleaseAsync();
        }
        var notAuthorized = alerts.WaitFor(2)[1];
        notAuthorized.Kind.Should().Be(DicomSecurityEventKind.StorageCommitmentRefused);
        notAuthorized.CallingAeTitle.Should().Be("ECHOONLY");
        notAuthorized.Reason.Should().Contain("0124H");

        var transaction = StorageCommitment.NewTransactionUid();
        reports.Register(transaction);
        var client = new DicomClient("127.0.0.1", node.Port, "MEDNODE", "ECHOONLY");
        (await client.SendStorageCommitmentReportAsync(new StorageCommitmentResult(transaction, [new(CtImageStorage, "1.2.3.4.5")], []))).Should().Be(DimseStatus.Success);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        (await reports.WaitAsync(transaction, wait.Token)).Committed.Should().ContainSingle().Which.SopInstanceUid.Should().Be("1.2.3.4.5");
        alerts.Seen.Should().HaveCount(2, "taking a report as the reporter's SCP is no refusal");
    }

    private sealed class SecurityEvents : IDicomSecurityEventHandler
    {
        public System.Collections.Concurrent.ConcurrentQueue<DicomSecurityEvent> Seen { get; } = new();

        public Task OnSecurityEventAsync(DicomSecurityEvent securityEvent, CancellationToken cancellationToken)
        {
            Seen.Enqueue(securityEvent);
            return Task.CompletedTask;
        }

        /// <summary>Polls (bounded) until <paramref name="count"/> events are in; returns them in order.</summary>
        public List<DicomSecurityEvent> WaitFor(int count)
        {
            SpinWait.SpinUntil(() => Seen.Count >= count, TimeSpan.FromSeconds(30)).Should().BeTrue($"{count} security event(s) are raised");
            return [.. Seen];
        }
    }

    private static IEnumerable<string> SopInstances(JsonNode? list) =>
        list!.AsArray().Select(n => n!["SOPInstanceUID"]!.GetValue<string>());
}
