using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MedNode.Dicom;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Diagnostics;
using MedNode.Dicom.Network.Server;
using MedNode.Dicom.Network.Tls;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>
/// DICOM over TLS (PS3.15 Annex B.10) against real peers: DCMTK's echoscu, storescu and storescp built with OpenSSL,
/// and `openssl s_client`, with a throwaway certification authority made by `openssl` for each test.
/// </summary>
public sealed class DicomTlsTests : IDisposable
{
    private const string Mr = "uncompressed/dcmqi__pm-example-slice.dcm";
    private readonly TestPki _pki = new();
    private readonly TestPki.Pem _ca;
    private readonly TestPki.Pem _server;
    private readonly TestPki.Pem _client;
    private readonly TestPki.Pem _otherCa;
    private readonly TestPki.Pem _stranger;

    public DicomTlsTests()
    {
        _ca = _pki.CreateAuthority("MedNode-Test-CA");
        _server = _pki.Issue(_ca, "mednode-server");
        _client = _pki.Issue(_ca, "dcmtk-client");
        _otherCa = _pki.CreateAuthority("Other-CA");
        _stranger = _pki.Issue(_otherCa, "stranger");
    }

    public void Dispose() => _pki.Dispose();

    private sealed class SecurityEvents : IDicomSecurityEventHandler
    {
        public ConcurrentQueue<DicomSecurityEvent> Seen { get; } = new();

        public Task OnSecurityEventAsync(DicomSecurityEvent securityEvent, CancellationToken cancellationToken)
        {
            Seen.Enqueue(securityEvent);
            return Task.CompletedTask;
        }

        public DicomSecurityEvent WaitFor(DicomSecurityEventKind kind)
        {
            SpinWait.SpinUntil(() => Seen.Any(e => e.Kind == kind), TimeSpan.FromSeconds(30)).Should().BeTrue($"a {kind} event is raised");
            return Seen.First(e => e.Kind == kind);
        }
    }

    private DicomServerOptions TlsOptions(bool requireClientCertificate = true, int? tlsPort = null)
    {
        var (cert, chain) = DicomTlsCertificates.LoadPem(_server.CertificatePath, _server.KeyPath);
        return new DicomServerOptions
        {
            Tls = new DicomTlsServerOptions
            {
                Certificate = cert,
                CertificateChain = chain,
                Port = tlsPort,
                RequireClientCertificate = requireClientCertificate,
                TrustedAuthorities = DicomTlsCertificates.LoadAuthorities(_ca.CertificatePath),
            },
        };
    }

    private static Tools.Result Echoscu(int port, params string[] tls) =>
        Tools.Run("echoscu", [.. tls, "-aet", "DCMTKSCU", "-aec", "MEDNODE", "127.0.0.1", port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

    private string[] WithCertificate(TestPki.Pem pem) => ["+tls", pem.KeyPath, pem.CertificatePath, "+cf", _ca.CertificatePath];

    [RequiresFact(null, "echoscu", "openssl")]
    [Trait("Conformance", "PS3.15 B.10")]
    public async Task Echoscu_TlsWithTrustedClientCertificate_Succeeds()
    {
        await using var node = await new TestNode(TlsOptions()).StartAsync();
        var r = Echoscu(node.Port, WithCertificate(_client));
        r.ExitCode.Should().Be(0, r.StdErr);
    }

    [RequiresFact("corpus/manifest.json", "storescu", "openssl")]
    [Trait("Conformance", "PS3.15 B.10")]
    public async Task Storescu_Tls_InstanceStored()
    {
        var source = Corpus.FullPath(Mr);
        using var received = new TempDir();
        using (var scp = new StorescpProcess(received.Path, null, "-B"))
        {
            var plain = Tools.Run("storescu", ["-aet", "DCMTKSCU", "-aec", "STORESCP", "127.0.0.1", scp.Port.ToString(), source], TimeSpan.FromSeconds(60), env: Dcmtk.Env);
            plain.ExitCode.Should().Be(0, plain.StdErr);
        }
        await using var node = await new TestNode(TlsOptions()).StartAsync();
        var r = Dcmtk.Storescu(node.Port, WithCertificate(_client), source);
        r.ExitCode.Should().Be(0, r.StdErr);
        node.WaitIdle();
        var uid = DicomFile.Open(source, new Dicom.IO.DicomReadOptions { StopAtPixelData = true }).Dataset.GetString(DicomTags.SOPInstanceUID)!;
        // What storescu sends over TLS arrives as what it sends over plain TCP to a bit-preserving storescp.
        Dcmtk.DataSetBytes(node.StoredPath(uid)).Should().Equal(Dcmtk.DataSetBytes(Directory.GetFiles(received.Path).Should().ContainSingle().Subject));
    }

    [RequiresFact(null, "echoscu", "openssl")]
    [Trait("Conformance", "PS3.15 B.10")]
    public async Task Echoscu_ClientCertificateFromAnotherAuthority_RejectedReportedAndCounted_ServerGoesOn()
    {
        var events = new SecurityEvents();
        long handshakeFailures = 0;
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, l) => { if (instrument.Name == DicomNetworkMetrics.AssociationsRejectedName) l.EnableMeasurementEvents(instrument); };
        meter.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var t in tags)
                if (t.Key == DicomNetworkMetrics.ReasonTag && (string?)t.Value == DicomNetworkMetrics.TlsHandshakeFailedReason) Interlocked.Add(ref handshakeFailures, value);
        });
        meter.Start();
        await using var node = await new TestNode(TlsOptions(), securityEvents: events).StartAsync();

        var r = Echoscu(node.Port, WithCertificate(_stranger));
        r.ExitCode.Should().NotBe(0, "the client certificate is signed by an authority MedNode does not trust");
        var alert = events.WaitFor(DicomSecurityEventKind.TlsHandshakeFailed);
        alert.Reason.Should().Contain("not trusted");
        alert.PeerCertificateSubject.Should().Contain("CN=stranger");
        alert.RemoteAddress!.ToString().Should().EndWith("127.0.0.1");
        Interlocked.Read(ref handshakeFailures).Should().BeGreaterThanOrEqualTo(1);

        var good = Echoscu(node.Port, WithCertificate(_client));
        good.ExitCode.Should().Be(0, "a failed handshake ends only its own connection: " + good.StdErr);
    }

    [RequiresFact(null, "echoscu", "openssl")]
    [Trait("Conformance", "PS3.15 B.10")]
    public async Task Echoscu_NoClientCertificateWhenRequired_Rejected()
    {
        var events = new SecurityEvents();
        await using var node = await new TestNode(TlsOptions(), securityEvents: events).StartAsync();
        var r = Echoscu(node.Port, "+tla", "+cf", _ca.CertificatePath);
        r.ExitCode.Should().NotBe(0);
        events.WaitFor(DicomSecurityEventKind.TlsHandshakeFailed).Reason.Should().Contain("no certificate");
    }

    [RequiresFact(null, "echoscu", "openssl")]
    public async Task Server_TlsOnItsOwnPort_ServesPlainAndTls_PlainPeerOnTlsPortIsRefused()
    {
        var events = new SecurityEvents();
        await using var node = await new TestNode(TlsOptions(requireClientCertificate: false, tlsPort: 0), securityEvents: events).StartAsync();
        var tlsPort = node.Server.TlsPort!.Value;
        tlsPort.Should().NotBe(node.Port);
        Echoscu(node.Port).ExitCode.Should().Be(0, "the unencrypted listener stays");
        var anonymous = Echoscu(tlsPort, "+tla", "+cf", _ca.CertificatePath);
        anonymous.ExitCode.Should().Be(0, "no client certificate is required here: " + anonymous.StdErr);
        Echoscu(tlsPort).ExitCode.Should().NotBe(0, "an unencrypted A-ASSOCIATE-RQ is no TLS handshake");
        events.WaitFor(DicomSecurityEventKind.TlsHandshakeFailed);
    }

    [RequiresFact(null, "echoscu", "openssl")]
    public async Task Echoscu_UnknownCalledAeOverTls_RejectedAndReported()
    {
        var events = new SecurityEvents();
        await using var node = await new TestNode(TlsOptions(), securityEvents: events).StartAsync();
        var r = Tools.Run("echoscu", [.. WithCertificate(_client), "-aet", "DCMTKSCU", "-aec", "NOBODY", "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);
        r.ExitCode.Should().NotBe(0);
        var rejected = events.WaitFor(DicomSecurityEventKind.AssociationRejected);
        rejected.Reason.Should().Be("called-ae-title-not-recognized");
        rejected.CallingAeTitle.Should().Be("DCMTKSCU");
        rejected.CalledAeTitle.Should().Be("NOBODY");
        rejected.PeerCertificateSubject.Should().Contain("CN=dcmtk-client");
    }

    private DicomTlsClientOptions ClientTls(TestPki.Pem trusted)
    {
        var (cert, chain) = DicomTlsCertificates.LoadPem(_client.CertificatePath, _client.KeyPath);
        return new DicomTlsClientOptions { TrustedAuthorities = DicomTlsCertificates.LoadAuthorities(trusted.CertificatePath), Certificate = cert, CertificateChain = chain };
    }

    [RequiresFact("corpus/manifest.json", "storescp", "openssl")]
    [Trait("Conformance", "PS3.15 B.10")]
    public async Task DicomClient_StoreToStorescpOverTlsWithClientCertificate_Stored()
    {
        var source = Corpus.FullPath(Mr);
        using var received = new TempDir();
        // storescp's default peer authentication is --require-peer-cert: it verifies MedNode's client certificate.
        using var scp = new StorescpProcess(received.Path, null, "+tls", _server.KeyPath, _server.CertificatePath, "+cf", _ca.CertificatePath);
        var client = new DicomClient("127.0.0.1", scp.Port, "STORESCP", "MEDNODE") { Tls = ClientTls(_ca) };
        (await client.EchoAsync()).Should().Be(0);
        var outcome = (await client.StoreAsync([source])).Should().ContainSingle().Subject;
        outcome.IsSuccess.Should().BeTrue(outcome.Error);
        scp.FilesFor(outcome.SopInstanceUid!).Should().ContainSingle();
    }

    [RequiresFact(null, "storescp", "openssl")]
    public async Task DicomClient_ServerCertificateFromUntrustedAuthority_Refused()
    {
        using var received = new TempDir();
        using var scp = new StorescpProcess(received.Path, null, "+tls", _server.KeyPath, _server.CertificatePath, "+cf", _ca.CertificatePath);
        var client = new DicomClient("127.0.0.1", scp.Port, "STORESCP", "MEDNODE") { Tls = ClientTls(_otherCa) };
        var echo = async () => await client.EchoAsync();
        (await echo.Should().ThrowAsync<DicomTlsException>()).Which.Reason.Should().Contain("not trusted");
    }

    private static Tools.Result SClient(int port, params string[] args) =>
        Tools.Run("bash", ["-c", "openssl s_client -connect 127.0.0.1:\"$0\" \"$@\" < /dev/null", port.ToString(), .. args], TimeSpan.FromSeconds(60));

    [RequiresFact(null, "openssl")]
    [Trait("Conformance", "PS3.15 B.10")]
    public async Task TlsListener_Tls11AndCbcCipherSuites_Refused_Tls12WithGcm_Accepted()
    {
        await using var node = await new TestNode(TlsOptions(requireClientCertificate: false)).StartAsync();
        string[] verify = ["-CAfile", _ca.CertificatePath, "-verify_return_error"];
        SClient(node.Port, [.. verify, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]).ExitCode.Should().Be(0, "the BCP 195 suite is offered");
        SClient(node.Port, [.. verify, "-tls1_3"]).ExitCode.Should().Be(0, "TLS 1.3 is allowed");
        SClient(node.Port, [.. verify, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]).ExitCode.Should().NotBe(0, "TLS 1.1 is refused (PS3.15 B.10)");
        SClient(node.Port, [.. verify, "-tls1_2", "-cipher", "AES128-SHA"]).ExitCode.Should().NotBe(0, "a CBC suite without forward secrecy is refused");
    }
}
