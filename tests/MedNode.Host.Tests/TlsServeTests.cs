using System.Globalization;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Issue 9, security: the real `mednode serve` speaks DICOM over TLS (PS3.15 Annex B.10) with mutual certificates to
/// DCMTK, writes refused handshakes and rejected associations to the audit trail as Security Alerts, and serves HTTPS
/// with the configured certificate; `mednode echo|store --tls` talk to DCMTK's storescp over TLS. Certificates are made
/// by `openssl` for each test.
/// </summary>
public sealed class TlsServeTests : IDisposable
{
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-tls-");
    private readonly TestPki _pki = new();
    private readonly TestPki.Pem _ca;
    private readonly TestPki.Pem _server;
    private readonly TestPki.Pem _client;
    private readonly TestPki.Pem _stranger;

    public TlsServeTests()
    {
        _ca = _pki.CreateAuthority("MedNode-Test-CA");
        _server = _pki.Issue(_ca, "mednode-server");
        _client = _pki.Issue(_ca, "dcmtk-client");
        _stranger = _pki.Issue(_pki.CreateAuthority("Other-CA"), "stranger");
    }

    public void Dispose()
    {
        _pki.Dispose();
        _dir.Dispose();
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static Tools.Result Sqlite(string db, string sql) =>
        Tools.Run("/usr/bin/python3", ["-c", "import sqlite3, sys\ncon = sqlite3.connect(sys.argv[1])\nfor row in con.execute(sys.argv[2]): print('|'.join(str(c) for c in row))", db, sql], TimeSpan.FromSeconds(60));

    [RequiresFact("corpus/manifest.json", "echoscu", "storescu", "openssl", "/usr/bin/python3")]
    [Trait("Conformance", "PS3.15 B.10")]
    [Trait("Conformance", "PS3.15 A.5.3.11")]
    public void Serve_DimseTlsWithClientCertificates_DcmtkStores_RefusalsAuditedAsSecurityAlerts()
    {
        var db = _dir.File("index.db");
        var work = Path.Combine(_dir.Path, "node");
        Directory.CreateDirectory(work);
        var tlsPort = NodeProcess.FreePort();
        var file = Corpus.FullPath("uncompressed/pydicom__CT_small.dcm");
        var sop = MedNode.Dicom.DicomFile.Open(file).Dataset.GetString(MedNode.Dicom.DicomTags.SOPInstanceUID)!;
        using (var node = NodeProcess.Start(work,
        [
            $"--MedNode:Database:ConnectionString=Data Source={db}", $"--MedNode:Dimse:StoragePath={_dir.File("store")}",
            "--MedNode:Dimse:Tls:Enabled=true", $"--MedNode:Dimse:Tls:Port={tlsPort}",
            $"--MedNode:Dimse:Tls:CertificatePath={_server.CertificatePath}", $"--MedNode:Dimse:Tls:KeyPath={_server.KeyPath}",
            "--MedNode:Dimse:Tls:RequireClientCertificate=true", $"--MedNode:Dimse:Tls:TrustedCaPath={_ca.CertificatePath}",
        ]))
        {
            string[] good = ["+tls", _client.KeyPath, _client.CertificatePath, "+cf", _ca.CertificatePath];
            var echo = Tools.Run("echoscu", [.. good, "-aec", "MEDNODE", "127.0.0.1", Text(tlsPort)], env: Env);
            echo.ExitCode.Should().Be(0, echo.StdErr);
            var store = Tools.Run("storescu", [.. good, "-aec", "MEDNODE", "127.0.0.1", Text(tlsPort), file], env: Env);
            store.ExitCode.Should().Be(0, store.StdErr);

            var stranger = Tools.Run("echoscu", ["+tls", _stranger.KeyPath, _stranger.CertificatePath, "+cf", _ca.CertificatePath, "-aec", "MEDNODE", "127.0.0.1", Text(tlsPort)], env: Env);
            stranger.ExitCode.Should().NotBe(0, "the client certificate chains to an authority MedNode does not trust");
            var unknownAe = Tools.Run("echoscu", [.. good, "-aec", "NOBODY", "127.0.0.1", Text(tlsPort)], env: Env);
            unknownAe.ExitCode.Should().NotBe(0, "the called AE title is not MedNode's");
            var plain = Tools.Run("echoscu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText], env: Env);
            plain.ExitCode.Should().Be(0, "the unencrypted listener stays on its own port: " + plain.StdErr);

            node.Terminate();
            node.Process.WaitForExit(60_000).Should().BeTrue("the node stops on SIGTERM");
            node.Output.Should().Contain("TLS handshake from").And.NotContain("PRIVATE KEY");
        }

        Sqlite(db, $"SELECT COUNT(*) FROM Instance WHERE SopInstanceUid = '{sop}'").StdOut.Trim().Should().Be("1", "storescu's instance was stored over TLS");
        var alerts = Sqlite(db, "SELECT Outcome, replace(Participants, char(10), ' '), Detail FROM Audit WHERE EventCode = '110113' ORDER BY Sequence");
        alerts.ExitCode.Should().Be(0, alerts.StdErr);
        var rows = alerts.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        rows.Should().Contain(r => r.Contains("TLS handshake refused") && r.Contains("not trusted") && r.Contains("CN=stranger") && r.StartsWith("4|", StringComparison.Ordinal));
        rows.Should().Contain(r => r.Contains("called-ae-title-not-recognized") && r.Contains("NOBODY") && r.Contains("127.0.0.1"));
        var verify = Mednode.Run("audit", "verify", $"--MedNode:Database:ConnectionString=Data Source={db}");
        verify.ExitCode.Should().Be(0, "the Security Alert rows are part of the hash chain: " + verify.StdOut);
    }

    [RequiresFact(null, "curl", "openssl")]
    public void Serve_KestrelHttpsEndpoint_CurlWithTheCaGets200_WithTheConfiguredCertificate()
    {
        var work = Path.Combine(_dir.Path, "node");
        Directory.CreateDirectory(work);
        var https = NodeProcess.FreePort();
        using var node = NodeProcess.Start(work,
        [
            $"--MedNode:Database:ConnectionString=Data Source={_dir.File("index.db")}", $"--MedNode:Dimse:StoragePath={_dir.File("store")}",
            $"--Kestrel:Endpoints:Https:Url=https://127.0.0.1:{https}",
            $"--Kestrel:Endpoints:Https:Certificate:Path={_server.CertificatePath}", $"--Kestrel:Endpoints:Https:Certificate:KeyPath={_server.KeyPath}",
        ], httpEndpointByKestrel: true);
        var curl = Tools.Run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", _ca.CertificatePath, $"https://127.0.0.1:{https}/health/live"]);
        curl.ExitCode.Should().Be(0, curl.StdErr);
        curl.StdOut.Should().Be("200");

        var presented = Tools.Run("bash", ["-c", "openssl s_client -connect 127.0.0.1:\"$0\" < /dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256", Text(https)]);
        presented.ExitCode.Should().Be(0, presented.StdErr);
        presented.StdOut.Trim().Split('=', 2)[1].Should().Be(TestPki.Fingerprint(_server.CertificatePath), "Kestrel presents the configured certificate");

        var untrusted = Tools.Run("curl", ["-sS", "-o", "/dev/null", "--cacert", _stranger.CertificatePath, $"https://127.0.0.1:{https}/health/live"]);
        untrusted.ExitCode.Should().NotBe(0, "curl refuses a certificate that does not chain to the CA it was given");
    }

    [RequiresFact("corpus/manifest.json", "storescp", "openssl")]
    [Trait("Conformance", "PS3.15 B.10")]
    public void Cli_EchoAndStoreWithTls_ToStorescpRequiringClientCertificate_Succeed_UntrustedServerFails()
    {
        var file = Corpus.FullPath("uncompressed/pydicom__CT_small.dcm");
        var sop = MedNode.Dicom.DicomFile.Open(file).Dataset.GetString(MedNode.Dicom.DicomTags.SOPInstanceUID)!;
        using var scp = new StorescpProcess(_dir.File("received"), null, "+tls", _server.KeyPath, _server.CertificatePath, "+cf", _ca.CertificatePath);
        var to = $"STORESCP@127.0.0.1:{Text(scp.Port)}";
        string[] tls = ["--tls", "--ca", _ca.CertificatePath, "--cert", _client.CertificatePath, "--key", _client.KeyPath];

        var echo = Mednode.Run(["echo", to, .. tls]);
        echo.ExitCode.Should().Be(0, echo.StdOut + echo.StdErr);
        echo.StdOut.Should().Contain("status 0x0000");
        var store = Mednode.Run(["store", file, "--to", to, .. tls]);
        store.ExitCode.Should().Be(0, store.StdOut + store.StdErr);
        scp.FilesFor(sop).Should().ContainSingle();

        var untrusted = Mednode.Run(["echo", to, "--tls", "--ca", _stranger.CertificatePath, "--cert", _client.CertificatePath, "--key", _client.KeyPath]);
        untrusted.ExitCode.Should().Be(1);
        untrusted.StdErr.Should().Contain("TLS handshake").And.Contain("not trusted");
    }

    [Fact]
    public void ConfigCheck_TlsEnabledWithoutCertificate_NamesTheSetting()
    {
        var r = Tools.Run("dotnet", [Mednode.Dll, "config", "check", "--MedNode:Dimse:Tls:Enabled=true", "--MedNode:Dimse:Tls:RequireClientCertificate=true"], TimeSpan.FromMinutes(2), workDir: _dir.Path);
        r.ExitCode.Should().Be(1, r.StdOut + r.StdErr);
        r.StdOut.Should().Contain("MedNode:Dimse:Tls:CertificatePath").And.Contain("MedNode:Dimse:Tls:TrustedCaPath");
    }

    [RequiresFact(null, "openssl")]
    public void ConfigCheck_KeyOfAnotherCertificate_NamesTheSetting_WithoutThePassword()
    {
        var r = Tools.Run("dotnet", [Mednode.Dll, "config", "check", "--MedNode:Dimse:Tls:Enabled=true",
            $"--MedNode:Dimse:Tls:CertificatePath={_server.CertificatePath}", $"--MedNode:Dimse:Tls:KeyPath={_client.KeyPath}", "--MedNode:Dimse:Tls:KeyPassword=hunter2-secret"],
            TimeSpan.FromMinutes(2), workDir: _dir.Path);
        r.ExitCode.Should().Be(1, r.StdOut + r.StdErr);
        r.StdOut.Should().Contain("MedNode:Dimse:Tls:CertificatePath").And.NotContain("hunter2-secret");
    }

    [RequiresFact(null, "openssl")]
    public void ConfigCheck_HttpsEndpointWithMissingCertificate_NamesTheSetting()
    {
        var r = Tools.Run("dotnet", [Mednode.Dll, "config", "check", "--Kestrel:Endpoints:Https:Url=https://127.0.0.1:8443",
            $"--Kestrel:Endpoints:Https:Certificate:Path={_dir.File("missing.pem")}"], TimeSpan.FromMinutes(2), workDir: _dir.Path);
        r.ExitCode.Should().Be(1, r.StdOut + r.StdErr);
        r.StdOut.Should().Contain("Kestrel:Endpoints:Https:Certificate:Path");
    }
}
