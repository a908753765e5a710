using System.Net;
using MedNode.Core.Export;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

/// <summary>
/// Storage Commitment after an export push (PS3.4 Annex J): the export worker pushes SEG and SR by C-STORE, asks the
/// destination to commit them, and records each instance's outcome on its outbox item. The destination is Orthanc 1.10.1,
/// which reports on a new association to MedNode's listener; the same-association report is shown with MedNode's own SCP.
/// </summary>
public sealed class ExportCommitmentTests : IDisposable
{
    private const string SegStorage = "1.2.840.10008.5.1.4.1.1.66.4";
    private const string Comprehensive3DSr = "1.2.840.10008.5.1.4.1.1.88.34";

    private readonly TempDir _dir = new("mednode-commit-");
    private readonly InMemoryOutbox _outbox = new();
    private readonly Guid _job = Guid.NewGuid();

    public void Dispose() => _dir.Dispose();


    /// <summary>Takes nothing by C-STORE: the listener is there for storage commitment reports (or, as SCP, requests).</summary>
    /// <summary>Orthanc as the Storage Commitment SCP on <paramref name="dicomPort"/>, reporting to MEDNODE at <paramref name="reportPort"/>.</summary>
    private static Task<OrthancPeer> OrthancReportingToAsync(int dicomPort, int reportPort) => OrthancPeer.StartAsync(new OrthancPeerOptions
    {
        DicomPort = dicomPort,
        DicomWeb = false,
        Modalities = new Dictionary<string, OrthancModality> { ["mednode"] = new("MEDNODE", "127.0.0.1", reportPort) },
    });

    private sealed class NoStore(string temp) : IStoreScpHandler
    {
        public string TempDirectory => temp;

        public Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new StoreScpResult(DimseStatus.OutOfResources, "not a storage SCP"));
    }

    /// <summary>A Storage Commitment SCP that commits to everything it is asked about.</summary>
    private sealed class CommitAll : IStorageCommitmentScpHandler
    {
        public Task<StorageCommitmentResult> CommitAsync(StorageCommitmentRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new StorageCommitmentResult(request.TransactionUid, request.Instances, []));
    }

    private StoredResult Result(ResultKind kind, string sopClass)
    {
        var uid = DicomImplementation.NewUid();
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, sopClass);
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, uid);
        ds.AddOrUpdate(DicomTags.PatientID, DicomVR.LO, "COMMIT-TEST");
        ds.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.2.1125.1");
        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
        ds.AddOrUpdate(DicomTags.Modality, DicomVR.CS, kind == ResultKind.Segmentation ? "SEG" : "SR");
        var path = _dir.File(uid + ".dcm");
        using (var f = File.Create(path)) DicomFileWriter.Write(f, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        return new StoredResult(kind, sopClass, uid, "1.2.826.0.1.3680043.2.1125.1", path);
    }

    private List<StoredResult> SegAndSr() => [Result(ResultKind.Segmentation, SegStorage), Result(ResultKind.StructuredReport, Comprehensive3DSr)];

    private static ExportDestination Dest(string aeTitle, int port) => new() { Name = "pacs", AeTitle = aeTitle, Host = "127.0.0.1", Port = port, StorageCommitment = true };

    private (ExportWorker Worker, ExportCommitment Commitment) Create(ExportDestination destination, ExportOptions options, TimeProvider time)
    {
        var catalog = new DestinationCatalog([destination]);
        var commitment = new ExportCommitment(_outbox, catalog, options, time);
        return (new ExportWorker(_outbox, catalog, [new DimseExportSender()], new PathBlobs(_dir.Path), null, options, time, null, commitment), commitment);
    }

    private async Task<DicomServer> ListenerAsync(IStorageCommitmentReportHandler? reports, IStorageCommitmentScpHandler? scp = null)
    {
        var server = new DicomServer(new DicomServerOptions { AeTitle = "MEDNODE", BindAddress = IPAddress.Loopback, Port = 0 }, new NoStore(_dir.Path))
        {
            StorageCommitmentReports = reports,
            StorageCommitment = scp,
        };
        await server.StartAsync();
        return server;
    }

    /// <summary>Polls the outbox (bounded) until no item of the job awaits a report.</summary>
    private async Task<IReadOnlyList<OutboxItem>> SettledAsync(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var items = await _outbox.ForJobAsync(_job, default);
        while (items.Any(i => i.Commitment == CommitmentState.Requested) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            items = await _outbox.ForJobAsync(_job, default);
        }
        return items;
    }

    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task Export_ToOrthancWithStorageCommitment_EachInstanceRecordedCommitted()
    {
        var results = SegAndSr();
        var destination = Dest("ORTHANC", OrthancPeer.FreePort());
        var (worker, commitment) = Create(destination, new ExportOptions { CommitmentReportWait = TimeSpan.FromSeconds(1) }, TimeProvider.System);
        await using var listener = await ListenerAsync(commitment);
        await using var orthanc = await OrthancReportingToAsync(destination.Port, listener.Port);
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, DateTimeOffset.UtcNow), default);

        await worker.RunOnceAsync(default);
        var items = await SettledAsync(TimeSpan.FromSeconds(60));

        items.Should().HaveCount(2).And.OnlyContain(i => i.State == OutboxState.Delivered, orthanc.Log);
        items.Should().OnlyContain(i => i.Commitment == CommitmentState.Committed && i.CommitmentFailureReason == null, "Orthanc's report lists both (log: {0})", orthanc.Log);
        items.Select(i => i.CommitmentTransactionUid).Distinct().Should().ContainSingle().Which.Should().StartWith("2.25.");
        (await orthanc.ListInstancesAsync()).Should().HaveCount(2);
    }

    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task Commitment_InstanceOrthancDoesNotHold_RecordedFailedWithOrthancsReason()
    {
        var results = SegAndSr();
        var destination = Dest("ORTHANC", OrthancPeer.FreePort());
        var (worker, commitment) = Create(destination, new ExportOptions { CommitmentReportWait = TimeSpan.Zero }, TimeProvider.System);
        await using var listener = await ListenerAsync(commitment);
        await using var orthanc = await OrthancReportingToAsync(destination.Port, listener.Port);
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, DateTimeOffset.UtcNow), default);
        await worker.RunOnceAsync(default);
        (await SettledAsync(TimeSpan.FromSeconds(60))).Should().OnlyContain(i => i.Commitment == CommitmentState.Committed, orthanc.Log);

        // Orthanc loses the SR; a new request for both is answered with the SEG committed and the SR failed.
        string? srId = null;
        foreach (var id in await orthanc.ListInstancesAsync())
            if (await orthanc.GetSopInstanceUidAsync(id) == results[1].SopInstanceUid) srId = id;
        srId.Should().NotBeNull();
        using (var del = await orthanc.Http.DeleteAsync(new Uri(orthanc.BaseUri, "instances/" + srId))) del.IsSuccessStatusCode.Should().BeTrue();
        await commitment.RequestAsync(destination, await _outbox.ForJobAsync(_job, default), default);
        var items = await SettledAsync(TimeSpan.FromSeconds(60));

        items.Single(i => i.SopInstanceUid == results[0].SopInstanceUid).Commitment.Should().Be(CommitmentState.Committed, orthanc.Log);
        var sr = items.Single(i => i.SopInstanceUid == results[1].SopInstanceUid);
        sr.Commitment.Should().Be(CommitmentState.Failed, orthanc.Log);
        sr.CommitmentFailureReason.Should().Be(0x0112, "Orthanc reports 0112H for an instance it does not hold");

        // Orthanc gets the SR back (uploaded through its REST API, not by the export): asking again commits it.
        using (var upload = await orthanc.Http.PostAsync(new Uri(orthanc.BaseUri, "instances"), new ByteArrayContent(await File.ReadAllBytesAsync(results[1].BlobKey))))
            upload.IsSuccessStatusCode.Should().BeTrue();
        (await commitment.RerequestAsync(sr.Id, default)).Outcome.Should().Be(CommitmentRerequest.Requested);
        var again = (await SettledAsync(TimeSpan.FromSeconds(60))).Single(i => i.Id == sr.Id);
        again.Commitment.Should().Be(CommitmentState.Committed, orthanc.Log);
        again.CommitmentFailureReason.Should().BeNull();
        again.Attempts.Should().Be(1, "asking again sends nothing");
    }

    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task Commitment_NoReportWithinTimeout_RecordedTimedOut_AndNothingIsSentAgain()
    {
        var results = SegAndSr();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var destination = Dest("ORTHANC", OrthancPeer.FreePort());
        var options = new ExportOptions { CommitmentReportWait = TimeSpan.Zero, CommitmentTimeout = TimeSpan.FromMinutes(10) };
        var (worker, _) = Create(destination, options, clock);
        // Orthanc reports to a port where nobody listens: the report never arrives.
        await using var orthanc = await OrthancReportingToAsync(destination.Port, OrthancPeer.FreePort());
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, clock.GetUtcNow()), default);

        await worker.RunOnceAsync(default);
        (await _outbox.ForJobAsync(_job, default)).Should().OnlyContain(i => i.Commitment == CommitmentState.Requested && i.State == OutboxState.Delivered);
        clock.Advance(TimeSpan.FromMinutes(9));
        (await worker.RunOnceAsync(default)).Should().Be(0, "nothing is due");
        (await _outbox.ForJobAsync(_job, default)).Should().OnlyContain(i => i.Commitment == CommitmentState.Requested, "the timeout has not passed");
        clock.Advance(TimeSpan.FromMinutes(2));
        (await worker.RunOnceAsync(default)).Should().Be(0, "a timed-out commitment sends nothing again");

        var items = await _outbox.ForJobAsync(_job, default);
        items.Should().OnlyContain(i => i.Commitment == CommitmentState.TimedOut && i.State == OutboxState.Delivered && i.Attempts == 1);
        (await orthanc.ListInstancesAsync()).Should().HaveCount(2, "each instance was sent once");
    }

    /// <summary>
    /// DCMTK's storescp takes the C-STOREs but refuses the Storage Commitment Push Model presentation context: the request
    /// cannot be made, so each item is recorded Failed with the reason in LastError, stays Delivered, and is not sent again.
    /// </summary>
    [RequiresFact(null, "storescp")]
    public async Task Commitment_DestinationWithoutStorageCommitment_RecordedFailed_DeliveryStands()
    {
        var results = SegAndSr();
        using var scp = new StorescpProcess(_dir.File("received"));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (worker, _) = Create(Dest("STORESCP", scp.Port), new ExportOptions { CommitmentReportWait = TimeSpan.Zero }, clock);
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, clock.GetUtcNow()), default);

        await worker.RunOnceAsync(default);
        clock.Advance(TimeSpan.FromHours(1));
        (await worker.RunOnceAsync(default)).Should().Be(0, "nothing is sent again");

        var items = await _outbox.ForJobAsync(_job, default);
        items.Should().HaveCount(2).And.OnlyContain(i => i.State == OutboxState.Delivered && i.Attempts == 1 && i.Commitment == CommitmentState.Failed);
        items.Should().OnlyContain(i => i.LastError!.StartsWith("storage commitment request failed: ", StringComparison.Ordinal) && i.LastError.Contains("presentation context", StringComparison.Ordinal));
        results.Should().OnlyContain(r => scp.FilesFor(r.SopInstanceUid).Count == 1);
    }

    /// <summary>MedNode's own SCP reports on the request's association when the requester is not a configured peer.</summary>
    [Fact]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task Commitment_ScpReportsOnTheRequestAssociation_RecordedCommitted()
    {
        var results = SegAndSr();
        await using var scp = await ListenerAsync(null, new CommitAll());
        var destination = Dest("MEDNODE", scp.Port);
        var (_, commitment) = Create(destination, new ExportOptions { CommitmentReportWait = TimeSpan.FromSeconds(30) }, TimeProvider.System);
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, DateTimeOffset.UtcNow), default);
        var delivered = (await _outbox.ForJobAsync(_job, default)).Select(i => i with { State = OutboxState.Delivered }).ToList();

        await commitment.RequestAsync(destination, delivered, default);

        (await _outbox.ForJobAsync(_job, default)).Should().OnlyContain(i => i.Commitment == CommitmentState.Committed, "the report came back on the same association");
    }

    [Fact]
    public async Task Report_FromAnotherAeTitle_IsIgnored()
    {
        var destination = Dest("ORTHANC", 104);
        var (_, commitment) = Create(destination, new ExportOptions(), TimeProvider.System);
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, [new StoredResult(ResultKind.Segmentation, SegStorage, "1.2.3.4", "1.2.3", "k")], DateTimeOffset.UtcNow), default);
        var item = (await _outbox.ForJobAsync(_job, default)).Single() with { State = OutboxState.Delivered, Commitment = CommitmentState.Requested, CommitmentTransactionUid = "2.25.42" };
        await _outbox.UpdateAsync(item, default);

        await commitment.OnReportAsync(new StorageCommitmentResult("2.25.42", [new StorageCommitmentReference(SegStorage, "1.2.3.4")], []), "INTRUDER", default);
        (await _outbox.ForJobAsync(_job, default)).Single().Commitment.Should().Be(CommitmentState.Requested);

        await commitment.OnReportAsync(new StorageCommitmentResult("2.25.42", [new StorageCommitmentReference(SegStorage, "1.2.3.4")], []), "ORTHANC", default);
        (await _outbox.ForJobAsync(_job, default)).Single().Commitment.Should().Be(CommitmentState.Committed);
    }

    /// <summary>
    /// The N-ACTION-RSP carries a failure status (PS3.7 §10.1.4.1.10): MedNode's own SCP engine without the Storage
    /// Commitment SCP role (it takes only reports) answers 0118H (No Such SOP Class). Each item is recorded Failed with
    /// that status in LastError, stays Delivered, and is neither sent nor asked again an hour later.
    /// </summary>
    [Fact]
    [Trait("Conformance", "PS3.4 J.3.2")]
    public async Task Commitment_NActionRspFailureStatus_RecordedFailedWithTheStatus_NotAskedAgain()
    {
        var results = SegAndSr();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var scp = await ListenerAsync(new IgnoreReports());
        var destination = Dest("MEDNODE", scp.Port);
        var (worker, commitment) = Create(destination, new ExportOptions { CommitmentReportWait = TimeSpan.Zero }, clock);
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, clock.GetUtcNow()), default);
        // Delivered (this SCP engine has no storage handler here): only the commitment request is under test.
        var delivered = (await _outbox.ForJobAsync(_job, default)).Select(i => i with { State = OutboxState.Delivered, Attempts = 1, DeliveredAt = clock.GetUtcNow() }).ToList();
        foreach (var item in delivered) await _outbox.UpdateAsync(item, default);

        await commitment.RequestAsync(destination, delivered, default);
        var first = await _outbox.ForJobAsync(_job, default);
        clock.Advance(TimeSpan.FromHours(1));
        (await worker.RunOnceAsync(default)).Should().Be(0, "nothing is sent again");

        var items = await _outbox.ForJobAsync(_job, default);
        items.Should().HaveCount(2).And.OnlyContain(i => i.State == OutboxState.Delivered && i.Attempts == 1 && i.Commitment == CommitmentState.Failed);
        items.Should().OnlyContain(i => i.LastError!.StartsWith("storage commitment request failed: ", StringComparison.Ordinal) && i.LastError.Contains("status 0x0118", StringComparison.Ordinal),
            "the N-ACTION-RSP status is recorded ({0})", items[0].LastError);
        items.Select(i => i.CommitmentRequestedAt).Should().Equal(first.Select(i => i.CommitmentRequestedAt), "the request is not made again");
    }

    /// <summary>
    /// Orthanc 1.10.1 with MEDNODE configured without the storage commitment permission (<c>AllowStorageCommitment</c>
    /// false) accepts the presentation context but answers the N-ACTION-RQ by aborting the association (its DICOM
    /// authorization filter): a path distinct from a refused presentation context and from a failure status. Each item is
    /// Failed with the abort in LastError, stays Delivered, and is neither sent nor asked again; Orthanc holds each once.
    /// </summary>
    [RequiresFact(null, "Orthanc")]
    public async Task Commitment_OrthancAbortsTheNActionForAPeerWithoutThePermission_RecordedFailed_NotAskedAgain()
    {
        var results = SegAndSr();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var destination = Dest("ORTHANC", OrthancPeer.FreePort());
        var (worker, _) = Create(destination, new ExportOptions { CommitmentReportWait = TimeSpan.Zero }, clock);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomPort = destination.Port,
            DicomWeb = false,
            Extra = new Dictionary<string, System.Text.Json.Nodes.JsonNode>
            {
                ["DicomModalities"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["mednode"] = new System.Text.Json.Nodes.JsonObject { ["AET"] = "MEDNODE", ["Host"] = "127.0.0.1", ["Port"] = OrthancPeer.FreePort(), ["AllowStorageCommitment"] = false },
                },
            },
        });
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, clock.GetUtcNow()), default);

        await worker.RunOnceAsync(default);
        var first = await _outbox.ForJobAsync(_job, default);
        clock.Advance(TimeSpan.FromHours(1));
        (await worker.RunOnceAsync(default)).Should().Be(0, "nothing is sent again");

        var items = await _outbox.ForJobAsync(_job, default);
        items.Should().HaveCount(2).And.OnlyContain(i => i.State == OutboxState.Delivered && i.Attempts == 1 && i.Commitment == CommitmentState.Failed, orthanc.Log);
        items.Should().OnlyContain(i => i.LastError!.StartsWith("storage commitment request failed: ", StringComparison.Ordinal) && i.LastError.Contains("abort", StringComparison.OrdinalIgnoreCase),
            "Orthanc aborts the association ({0})", items[0].LastError);
        // Orthanc's log is read asynchronously from its stderr: wait (bounded) for the line.
        var logDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!orthanc.Log.Contains("DICOM authorization rejected", StringComparison.Ordinal) && DateTime.UtcNow < logDeadline) await Task.Delay(100);
        orthanc.Log.Should().Contain("DICOM authorization rejected", "Orthanc's own filter refused the N-ACTION");
        items.Select(i => i.CommitmentRequestedAt).Should().Equal(first.Select(i => i.CommitmentRequestedAt), "the request is not made again");
        (await orthanc.ListInstancesAsync()).Should().HaveCount(2, "each instance was sent once");
    }

    /// <summary>
    /// Re-request (<see cref="ExportCommitment.RerequestAsync"/>): the report route was broken (Orthanc reports to a port
    /// where nobody listens), so the commitment timed out; once Orthanc's entry for MEDNODE is fixed through its REST API,
    /// asking again records each instance Committed under a new Transaction UID. Nothing is sent again; an item already
    /// committed, and an unknown id, are not asked.
    /// </summary>
    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task Rerequest_TimedOutCommitment_AfterTheReportRouteIsFixed_RecordedCommittedUnderANewTransaction()
    {
        var results = SegAndSr();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var destination = Dest("ORTHANC", OrthancPeer.FreePort());
        var (worker, commitment) = Create(destination, new ExportOptions { CommitmentReportWait = TimeSpan.Zero, CommitmentTimeout = TimeSpan.FromMinutes(10) }, clock);
        await using var listener = await ListenerAsync(commitment);
        await using var orthanc = await OrthancReportingToAsync(destination.Port, OrthancPeer.FreePort());
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, clock.GetUtcNow()), default);
        await worker.RunOnceAsync(default);
        clock.Advance(TimeSpan.FromMinutes(11));
        await worker.RunOnceAsync(default);
        var timedOut = await _outbox.ForJobAsync(_job, default);
        timedOut.Should().OnlyContain(i => i.Commitment == CommitmentState.TimedOut);

        var body = $$"""{"AET":"MEDNODE","Host":"127.0.0.1","Port":{{listener.Port}}}""";
        using (var put = await orthanc.Http.PutAsync(new Uri(orthanc.BaseUri, "modalities/mednode"), new StringContent(body)))
            put.IsSuccessStatusCode.Should().BeTrue(await put.Content.ReadAsStringAsync());
        foreach (var item in timedOut)
        {
            var (outcome, recorded) = await commitment.RerequestAsync(item.Id, default);
            outcome.Should().Be(CommitmentRerequest.Requested);
            recorded!.CommitmentTransactionUid.Should().NotBe(item.CommitmentTransactionUid, "a new request has a new Transaction UID");
        }
        var items = await SettledAsync(TimeSpan.FromSeconds(60));

        items.Should().OnlyContain(i => i.Commitment == CommitmentState.Committed && i.State == OutboxState.Delivered && i.Attempts == 1, orthanc.Log);
        items.Select(i => i.CommitmentTransactionUid).Should().NotIntersectWith(timedOut.Select(i => i.CommitmentTransactionUid));
        (await commitment.RerequestAsync(items[0].Id, default)).Outcome.Should().Be(CommitmentRerequest.NotFailedOrTimedOut, "a committed instance is not asked again");
        (await commitment.RerequestAsync(Guid.NewGuid(), default)).Outcome.Should().Be(CommitmentRerequest.NotFound);
        (await orthanc.ListInstancesAsync()).Should().HaveCount(2, "each instance was sent once");
    }

    /// <summary>Takes reports and drops them (a listener that is no Storage Commitment SCP).</summary>
    private sealed class IgnoreReports : IStorageCommitmentReportHandler
    {
        public Task OnReportAsync(StorageCommitmentResult report, string callingAeTitle, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
