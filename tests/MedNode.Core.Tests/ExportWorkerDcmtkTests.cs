using System.Security.Cryptography;
using MedNode.Core.Audit;
using MedNode.Core.Export;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

/// <summary>The export worker against DCMTK's storescp: fallback on SEG refusal, retries while the destination is down, dead letters on permanent rejection.</summary>
public sealed class ExportWorkerDcmtkTests : IDisposable
{
    private const string SegStorage = "1.2.840.10008.5.1.4.1.1.66.4";
    private const string Comprehensive3DSr = "1.2.840.10008.5.1.4.1.1.88.34";
    private const string SecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";
    private const string KeyObjectSelection = "1.2.840.10008.5.1.4.1.1.88.59";

    private readonly TempDir _dir = new("mednode-export-");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryOutbox _outbox = new();
    private readonly Guid _job = Guid.NewGuid();


    public void Dispose() => _dir.Dispose();

    private StoredResult Result(ResultKind kind, string sopClass)
    {
        var uid = DicomImplementation.NewUid();
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, sopClass);
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, uid);
        ds.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.2.1125.1");
        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.2.1125.2");
        ds.AddOrUpdate(DicomTags.Modality, DicomVR.CS, kind switch { ResultKind.Segmentation => "SEG", ResultKind.SecondaryCapture => "OT", ResultKind.KeyObjectSelection => "KO", _ => "SR" });
        var path = _dir.File(uid + ".dcm");
        using (var f = File.Create(path)) DicomFileWriter.Write(f, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        return new StoredResult(kind, sopClass, uid, "1.2.826.0.1.3680043.2.1125.1", path);
    }

    private List<StoredResult> AllResults() =>
        [Result(ResultKind.Segmentation, SegStorage), Result(ResultKind.StructuredReport, Comprehensive3DSr), Result(ResultKind.SecondaryCapture, SecondaryCapture), Result(ResultKind.KeyObjectSelection, KeyObjectSelection)];

    private ExportWorker Worker(ExportDestination destination, IAuditTrail? audit = null) =>
        new(_outbox, new DestinationCatalog([destination]), [new DimseExportSender()], new PathBlobs(_dir.Path), audit,
            new ExportOptions { InitialBackoff = TimeSpan.FromSeconds(10), MaxBackoff = TimeSpan.FromMinutes(5) }, _clock);

    private static ExportDestination Dest(int port) => new() { Name = "pacs", AeTitle = "STORESCP", Host = "127.0.0.1", Port = port };

    private async Task<Dictionary<string, OutboxState>> StatesAsync(IEnumerable<StoredResult> results)
    {
        var items = await _outbox.ForJobAsync(_job, default);
        return results.ToDictionary(r => r.SopInstanceUid, r => items.Single(i => i.SopInstanceUid == r.SopInstanceUid).State);
    }

    /// <summary>A storescp profile that accepts SR, SC and KOS but not Segmentation (DCMTK's -xf configuration format).</summary>
    private string NoSegProfile()
    {
        var cfg = _dir.File("noseg.cfg");
        File.WriteAllText(cfg, $"""
            [[TransferSyntaxes]]
            [Uncompressed]
            TransferSyntax1 = LocalEndianExplicit
            TransferSyntax2 = LittleEndianImplicit
            [[PresentationContexts]]
            [NoSeg]
            PresentationContext1 = 1.2.840.10008.1.1\Uncompressed
            PresentationContext2 = {Comprehensive3DSr}\Uncompressed
            PresentationContext3 = {SecondaryCapture}\Uncompressed
            PresentationContext4 = {KeyObjectSelection}\Uncompressed
            [[Profiles]]
            [NoSeg]
            PresentationContexts = NoSeg
            """);
        return cfg;
    }

    [RequiresFact(null, "storescp")]
    [Trait("Conformance", "PS3.4 B.2")]
    public async Task Export_DestinationRefusesSegmentation_FallbackIsSentInstead()
    {
        var results = AllResults();
        using var scp = new StorescpProcess(_dir.File("received"), null, "-xf", NoSegProfile(), "NoSeg");
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: true, results, _clock.GetUtcNow()), default);
        var worker = Worker(Dest(scp.Port));

        await worker.RunOnceAsync(default);
        await worker.RunOnceAsync(default); // the released fallback items

        var states = await StatesAsync(results);
        states[results[0].SopInstanceUid].Should().Be(OutboxState.Replaced);
        results.Skip(1).Should().OnlyContain(r => states[r.SopInstanceUid] == OutboxState.Delivered);
        scp.FilesFor(results[0].SopInstanceUid).Should().BeEmpty("storescp refused the Segmentation SOP class");
        results.Skip(1).Should().OnlyContain(r => scp.FilesFor(r.SopInstanceUid).Count == 1);
    }

    [RequiresFact(null, "storescp")]
    public async Task Export_DestinationDown_IsRetriedWithBackoff_AndDeliveredOnce()
    {
        var results = AllResults();
        var port = StorescpProcess.FreePort();
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, _clock.GetUtcNow()), default);
        var worker = Worker(Dest(port));

        (await worker.RunOnceAsync(default)).Should().Be(2, "SEG and SR are due");
        var items = await _outbox.ForJobAsync(_job, default);
        items.Should().OnlyContain(i => i.State == OutboxState.Pending && i.Attempts == 1 && i.NextAttemptAt > _clock.GetUtcNow());
        (await worker.RunOnceAsync(default)).Should().Be(0, "nothing is due before the backoff has passed");

        using var scp = new StorescpProcess(_dir.File("received"), port);
        _clock.Advance(TimeSpan.FromSeconds(11));
        (await worker.RunOnceAsync(default)).Should().Be(2);
        (await worker.RunOnceAsync(default)).Should().Be(0);
        var states = await StatesAsync(results.Take(2));
        states.Values.Should().OnlyContain(s => s == OutboxState.Delivered);
        results.Take(2).Should().OnlyContain(r => scp.FilesFor(r.SopInstanceUid).Count == 1);
        results.Skip(2).Should().OnlyContain(r => scp.FilesFor(r.SopInstanceUid).Count == 0, "no fallback was asked for");
    }

    /// <summary>
    /// PS3.15 §A.5.3.3: each attempt records what was meant to go (Begin Transferring, per study, with the SOP classes);
    /// only a delivery adds DICOM Instances Transferred (§A.5.3.7), so an attempt that failed shows as a Begin without its end.
    /// </summary>
    [RequiresFact(null, "storescp")]
    [Trait("Conformance", "PS3.15 A.5.3.3 Begin Transferring DICOM Instances")]
    [Trait("Conformance", "PS3.15 A.5.3.7 DICOM Instances Transferred")]
    public async Task Export_EachAttemptIsAuditedAsBeginTransferring_OnlyTheDeliveryAsInstancesTransferred()
    {
        var results = AllResults();
        var port = StorescpProcess.FreePort();
        var trail = new InMemoryAuditTrail(_clock);
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, _clock.GetUtcNow()), default);
        await Worker(Dest(port), trail).RunOnceAsync(default);
        using var scp = new StorescpProcess(_dir.File("received"), port);
        _clock.Advance(TimeSpan.FromSeconds(11));
        await Worker(Dest(port), trail).RunOnceAsync(default);
        results.Take(2).Should().OnlyContain(r => scp.FilesFor(r.SopInstanceUid).Count == 1);

        var rows = await trail.ReadAsync(AuditQuery.All, default).ToListAsync();
        rows.Select(r => r.EventCode).Should().Equal("110102", "110102", "110104");
        rows.Should().OnlyContain(r => r.StudyInstanceUid == "1.2.826.0.1.3680043.2.1125.1" && r.Participants == $"MEDNODE||R|Source\nSTORESCP|127.0.0.1|-|Destination");
        rows[0].Action.Should().Be("E");
        rows[0].Detail.Should().Contain($"ContainsSOPClass {SegStorage} NumberOfInstances 1").And.Contain($"ContainsSOPClass {Comprehensive3DSr} NumberOfInstances 1");
        rows[0].Time.Should().BeBefore(rows[1].Time);
        rows[2].Action.Should().Be("R");
        rows[2].Outcome.Should().Be((int)AuditOutcome.Success);
    }

    [RequiresFact(null, "storescp")]
    public async Task Export_PermanentRejection_IsDeadLettered_NotRetried_AndReplayDelivers()
    {
        var results = AllResults();
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "Fallback", allowFallback: true, results, _clock.GetUtcNow()), default);
        int port;
        using (var refusing = new StorescpProcess(_dir.File("refused"), null, "--refuse"))
        {
            port = refusing.Port;
            await Worker(Dest(port)).RunOnceAsync(default);
        }
        var dead = await _outbox.ListAsync(OutboxState.DeadLetter, default);
        dead.Select(d => d.SopInstanceUid).Should().BeEquivalentTo(results.Skip(2).Select(r => r.SopInstanceUid));
        dead.Should().OnlyContain(d => d.LastError!.Contains("rejected", StringComparison.OrdinalIgnoreCase));

        _clock.Advance(TimeSpan.FromHours(1));
        using var scp = new StorescpProcess(_dir.File("received"), port);
        (await Worker(Dest(port)).RunOnceAsync(default)).Should().Be(0, "dead letters are not retried");
        foreach (var d in dead) (await _outbox.ReplayAsync(d.Id, _clock.GetUtcNow(), default)).Should().BeTrue();
        await Worker(Dest(port)).RunOnceAsync(default);
        results.Skip(2).Should().OnlyContain(r => scp.FilesFor(r.SopInstanceUid).Count == 1);
        (await _outbox.ListAsync(OutboxState.Delivered, default)).Should().HaveCount(2);
    }

    /// <summary>
    /// A result whose stored file no longer matches the SHA-256 its ingest recorded is never sent: the export reads it
    /// through the store's integrity policy like every other reader. It is a dead letter naming the check (sending it again
    /// cannot help), the other result goes, and a replay after the file is restored delivers it once.
    /// </summary>
    [RequiresFact(null, "storescp")]
    public async Task Export_StoredResultCorrupted_IsDeadLetteredNotSent_ReplayAfterRestoreDelivers()
    {
        var results = AllResults().Take(2).ToList();
        var index = new InMemoryInstanceIndex();
        foreach (var r in results)
        {
            await index.AddOrReplaceAsync(new InstanceRecord
            {
                SopInstanceUid = r.SopInstanceUid, SopClassUid = r.SopClassUid, StudyInstanceUid = r.StudyInstanceUid,
                SeriesInstanceUid = "1.2.826.0.1.3680043.2.1125.2", TransferSyntaxUid = DicomTransferSyntax.ExplicitVRLittleEndian.Uid,
                BlobKey = r.BlobKey, Sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(r.BlobKey))),
            }, default);
        }
        var seg = results[0];
        var original = File.ReadAllBytes(seg.BlobKey);
        var damaged = (byte[])original.Clone();
        damaged[^1] ^= 0xFF;
        File.WriteAllBytes(seg.BlobKey, damaged);

        var blobs = new PathBlobs(_dir.Path);
        var integrity = new BlobIntegrityService(blobs, new BlobIntegrityOptions { VerifyOnRead = VerifyOnRead.WhenChanged });
        blobs.Integrity = integrity;
        using var scp = new StorescpProcess(_dir.File("received"), null);
        ExportWorker Worker() => new(_outbox, new DestinationCatalog([Dest(scp.Port)]), [new DimseExportSender()], blobs, null,
            new ExportOptions(), _clock, null, null, index);
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, _clock.GetUtcNow()), default);

        await Worker().RunOnceAsync(default);

        var dead = (await _outbox.ListAsync(OutboxState.DeadLetter, default)).Should().ContainSingle().Subject;
        dead.SopInstanceUid.Should().Be(seg.SopInstanceUid);
        dead.LastError.Should().Contain("integrity");
        scp.FilesFor(seg.SopInstanceUid).Should().BeEmpty("corrupted bytes are never sent");
        scp.FilesFor(results[1].SopInstanceUid).Should().HaveCount(1, "the intact result still goes");
        integrity.Status.Corrupted.Should().Be(1, "the integrity service counts the file it found corrupted");

        File.WriteAllBytes(seg.BlobKey, original);
        (await _outbox.ReplayAsync(dead.Id, _clock.GetUtcNow(), default)).Should().BeTrue();
        await Worker().RunOnceAsync(default);
        scp.FilesFor(seg.SopInstanceUid).Should().HaveCount(1, "the replay after the restore delivers it");
        (await _outbox.ListAsync(OutboxState.Delivered, default)).Should().HaveCount(2);
    }

    [RequiresFact(null, "storescp", "openssl")]
    [Trait("Conformance", "PS3.15 B.10")]
    public async Task Export_DestinationOverTls_DeliveredWithClientCertificate_UntrustedServerIsRetriedNotDelivered()
    {
        using var pki = new TestPki();
        var ca = pki.CreateAuthority("hospital-ca");
        var server = pki.Issue(ca, "pacs");
        var client = pki.Issue(ca, "mednode");
        var stranger = pki.CreateAuthority("other-ca");
        // storescp over TLS, trusting only the hospital CA for client certificates.
        using var scp = new StorescpProcess(_dir.File("received"), null, "+tls", server.KeyPath, server.CertificatePath, "+cf", ca.CertificatePath);
        var trusted = Dest(scp.Port);
        trusted.Tls = new DestinationTls { TrustedCaPath = ca.CertificatePath, CertificatePath = client.CertificatePath, KeyPath = client.KeyPath };
        trusted.Validate().Should().BeEmpty();

        var tester = new DestinationTester(new HttpClient());
        (await tester.TestAsync(trusted, default)).Ok.Should().BeTrue("C-ECHO over TLS succeeds");
        var results = AllResults();
        await _outbox.AddAsync(OutboxItemFactory.Create(_job, "pacs", "SegSr", allowFallback: false, results, _clock.GetUtcNow()), default);
        (await Worker(trusted).RunOnceAsync(default)).Should().Be(2);
        (await StatesAsync(results.Take(2))).Values.Should().OnlyContain(s => s == OutboxState.Delivered);
        results.Take(2).Should().OnlyContain(r => scp.FilesFor(r.SopInstanceUid).Count == 1, "SEG and SR arrived over TLS");

        // The same storescp, but MedNode trusts another authority: the handshake fails, nothing is sent, the items wait for a retry.
        var untrusted = Dest(scp.Port);
        untrusted.Tls = new DestinationTls { TrustedCaPath = stranger.CertificatePath, CertificatePath = client.CertificatePath, KeyPath = client.KeyPath };
        var echo = await tester.TestAsync(untrusted, default);
        echo.Ok.Should().BeFalse();
        echo.Detail.Should().Contain("TLS handshake");
        var job2 = Guid.NewGuid();
        var more = AllResults();
        await _outbox.AddAsync(OutboxItemFactory.Create(job2, "pacs", "SegSr", allowFallback: false, more, _clock.GetUtcNow()), default);
        await Worker(untrusted).RunOnceAsync(default);
        var items = await _outbox.ForJobAsync(job2, default);
        items.Should().HaveCount(2).And.OnlyContain(i => i.State == OutboxState.Pending && i.Attempts == 1, "a failed handshake is retried with backoff");
        more.Should().OnlyContain(r => scp.FilesFor(r.SopInstanceUid).Count == 0);
    }

    [Fact]
    public void Destination_BearerTokenAndBearerTokenFileTogether_AreRefusedNamingBoth()
    {
        var d = new ExportDestination { Name = "web", Kind = DestinationKind.DicomWeb, Url = "https://pacs.example/dicomweb/", BearerToken = "t", BearerTokenFile = "/run/secrets/stow" };
        d.Validate().Should().ContainSingle().Which.Should().Contain("BearerToken").And.Contain("BearerTokenFile");
        d.BearerToken = null;
        d.Validate().Should().BeEmpty("a token file alone is fine");
    }

    [Fact]
    public void Destination_TlsWithoutAuthorityOrWithHalfAClientCertificate_IsRefusedNamingTheSetting()
    {
        var d = Dest(104);
        d.Tls = new DestinationTls { TrustedCaPath = "", CertificatePath = _dir.File("absent.pem") };
        var errors = d.Validate();
        errors.Should().Contain(e => e.Contains("Tls:TrustedCaPath is required", StringComparison.Ordinal));
        errors.Should().Contain(e => e.Contains("Tls:CertificatePath and Tls:KeyPath go together", StringComparison.Ordinal));
        errors.Should().Contain(e => e.Contains("Tls:CertificatePath", StringComparison.Ordinal) && e.Contains("does not exist", StringComparison.Ordinal));
    }
}
