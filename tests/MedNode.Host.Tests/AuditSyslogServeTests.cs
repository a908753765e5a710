using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// The PS3.15 audit export of a running `mednode serve` (<c>MedNode:Audit:Export</c>) received by a real syslog server:
/// Debian's rsyslogd, started by hand with its own configuration on free loopback ports (imudp for RFC 5426, imtcp with
/// RFC 6587 octet counting), writing each message through a template of the fields as rsyslog parsed them
/// (<c>%pri%</c>, <c>%app-name%</c>, <c>%msgid%</c>, <c>%timereported%</c>, <c>%msg%</c>). Each message body is validated
/// by xmllint against the schema of PS3.15 §A.5.1 (conformance/schemas/dicom-audit-message.rng).
/// </summary>
public sealed class AuditSyslogServeTests : IDisposable
{
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-audit-syslog-");
    private Process? _rsyslog;
    private NodeProcess? _node;

    private static string Schema => Path.Combine(SharedData.RepoRoot, "conformance", "schemas", "dicom-audit-message.rng");

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _node?.Dispose();
        if (_rsyslog is { HasExited: false })
        {
            _rsyslog.Kill();
            _rsyslog.WaitForExit(10_000);
        }
        _rsyslog?.Dispose();
        _dir.Dispose();
    }

    private static int FreeUdpPort()
    {
        using var u = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)u.Client.LocalEndPoint!).Port;
    }

    /// <summary>Starts rsyslogd in the foreground with a configuration of its own; returns the file it writes.</summary>
    private string StartRsyslog(int udpPort, int tcpPort) => StartRsyslog(tcpPort, $"""
        global(workDirectory="{_dir.Path}" maxMessageSize="64k")
        module(load="imudp")
        module(load="imtcp")
        input(type="imudp" address="127.0.0.1" port="{P(udpPort)}")
        input(type="imtcp" address="127.0.0.1" port="{P(tcpPort)}")
        """);

    private string StartRsyslog(int tcpPort, string inputs)
    {
        var output = _dir.File("received.log");
        var conf = _dir.File("rsyslog.conf");
        File.WriteAllText(conf, inputs + $"""

            template(name="fields" type="string" string="%pri%|%app-name%|%msgid%|%timereported:::date-rfc3339%|%msg%\n")
            action(type="omfile" file="{output}" template="fields")
            """);
        _rsyslog = Process.Start(new ProcessStartInfo(Tools.Find("rsyslogd")!, ["-n", "-f", conf, "-i", _dir.File("rsyslogd.pid")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        SpinWait.SpinUntil(() => StorescpProcess.CanConnect(tcpPort), TimeSpan.FromSeconds(20)).Should().BeTrue("rsyslogd listens on TCP " + P(tcpPort));
        return output;
    }

    private sealed record Received(int Pri, string AppName, string MsgId, DateTimeOffset Timestamp, string Msg);

    /// <summary>The messages rsyslog wrote, polled until one satisfies <paramref name="until"/> (the export runs off the request path).</summary>
    private static List<Received> Messages(string output, Func<List<Received>, bool> until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var list = new List<Received>();
            if (File.Exists(output))
            {
                using var fs = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(fs, new UTF8Encoding(false));
                while (reader.ReadLine() is { } line)
                {
                    var f = line.Split('|', 5);
                    if (f.Length == 5)
                        list.Add(new Received(int.Parse(f[0], CultureInfo.InvariantCulture), f[1], f[2], DateTimeOffset.Parse(f[3], CultureInfo.InvariantCulture), f[4]));
                }
            }
            if (until(list) || DateTime.UtcNow > deadline) return list;
            Thread.Sleep(100);
        }
    }

    private static bool Has(List<Received> list, string eventId) => list.Any(m => m.Msg.Contains($"csd-code=\"{eventId}\"", StringComparison.Ordinal));

    private string XPath(string path, string expression) => Tools.Run("xmllint", ["--xpath", expression, path], TimeSpan.FromSeconds(60)).StdOut.Trim();

    /// <summary>Each message: PRI 85 (authpriv.notice) or 84 (authpriv.warning), APP-NAME and MSGID as configured, a body that validates.</summary>
    private void CheckAll(List<Received> list, DateTimeOffset from, string name)
    {
        for (var i = 0; i < list.Count; i++)
        {
            var m = list[i];
            m.Pri.Should().BeOneOf(10 * 8 + 5, 10 * 8 + 4);
            m.AppName.Should().Be("mednode");
            m.MsgId.Should().Be("IHE+RFC-3881");
            m.Timestamp.Should().BeOnOrAfter(from.AddSeconds(-1)).And.BeOnOrBefore(DateTimeOffset.UtcNow.AddSeconds(1));
            var path = _dir.File($"{name}-{i}.xml");
            File.WriteAllText(path, m.Msg, new UTF8Encoding(false)); // the body keeps its BOM (RFC 5424 MSG-UTF8)
            var valid = Tools.Run("xmllint", ["--noout", "--relaxng", Schema, path], TimeSpan.FromSeconds(60));
            valid.ExitCode.Should().Be(0, $"{m.Msg} validates: {valid.StdErr}");
        }
    }

    [RequiresFact("corpus", "rsyslogd", "xmllint", "findscu", "storescu")]
    [Trait("Conformance", "PS3.15 A.5.1 DICOM Audit Message Schema")]
    [Trait("Conformance", "PS3.15 A.5.3.1 Application Activity")]
    [Trait("Conformance", "PS3.15 A.5.3.10 Query")]
    public void Serve_ExportsToRsyslogOverUdpAndTcp_HeaderFieldsAsParsed_BodiesValidate()
    {
        int udp = FreeUdpPort(), tcp = NodeProcess.FreePort();
        var output = StartRsyslog(udp, tcp);
        var started = DateTimeOffset.UtcNow;
        var file = _dir.File("audit-messages.xml");
        foreach (var (transport, port) in new[] { ("Udp", udp), ("Tcp", tcp) })
        {
            var work = Directory.CreateDirectory(_dir.File("node-" + transport)).FullName;
            _node = NodeProcess.Start(work, [$"--MedNode:Audit:Export:Syslog:Host=127.0.0.1", $"--MedNode:Audit:Export:Syslog:Port={P(port)}",
                $"--MedNode:Audit:Export:Syslog:Transport={transport}", $"--MedNode:Audit:Export:File={file}", "--MedNode:Audit:Export:AuditSourceId=MEDNODE-TEST"], env: Env);
            Messages(output, l => l.Count(m => m.Msg.Contains("110120", StringComparison.Ordinal)) >= (transport == "Udp" ? 1 : 2))
                .Count(m => m.Msg.Contains("110120", StringComparison.Ordinal)).Should().Be(transport == "Udp" ? 1 : 2, "Application Start arrives over " + transport);

            var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", _node.DimsePortText, Corpus.FullPath("uncompressed/pydicom__CT_small.dcm")], TimeSpan.FromSeconds(60), env: Env);
            store.ExitCode.Should().Be(0, store.StdErr);
            var find = Tools.Run("findscu", ["-S", "-aet", "SYSLOGSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=SYSLOG-4711",
                "127.0.0.1", _node.DimsePortText], TimeSpan.FromSeconds(60), env: Env);
            find.ExitCode.Should().Be(0, find.StdErr);
            var queries = Messages(output, l => l.Count(m => m.Msg.Contains("SYSLOGSCU", StringComparison.Ordinal)) >= (transport == "Udp" ? 1 : 2))
                .Where(m => m.Msg.Contains("SYSLOGSCU", StringComparison.Ordinal)).ToList();
            queries.Should().HaveCount(transport == "Udp" ? 1 : 2, "the C-FIND arrives as a Query over " + transport);

            // The query's ParticipantObjectQuery holds the identifier: DCMTK reads the patient ID typed into findscu from it.
            var path = _dir.File($"query-{transport}.xml");
            File.WriteAllText(path, queries[^1].Msg, new UTF8Encoding(false));
            XPath(path, "string(/AuditMessage/EventIdentification/EventID/@csd-code)").Should().Be("110112");
            XPath(path, "string(/AuditMessage/ActiveParticipant[@UserID='SYSLOGSCU']/RoleIDCode/@csd-code)").Should().Be("110153");
            XPath(path, "string(/AuditMessage/AuditSourceIdentification/@AuditSourceID)").Should().Be("MEDNODE-TEST");
            var identifier = _dir.File($"identifier-{transport}.bin");
            File.WriteAllBytes(identifier, Convert.FromBase64String(XPath(path, "string(/AuditMessage/ParticipantObjectIdentification/ParticipantObjectQuery)")));
            Tools.Run("dcmdump", ["-f", "-te", identifier], TimeSpan.FromSeconds(60)).StdOut.Should().Contain("[SYSLOG-4711]");

            _node.Terminate();
            _node.Process.WaitForExit(60_000).Should().BeTrue("the node stops on SIGTERM");
            Messages(output, l => Has(l, "110121") && (transport == "Udp" || l.Count(m => m.Msg.Contains("110121", StringComparison.Ordinal)) >= 2))
                .Count(m => m.Msg.Contains("110121", StringComparison.Ordinal)).Should().Be(transport == "Udp" ? 1 : 2, "Application Stop is sent before the node exits");
            _node.Dispose();
            _node = null;
        }

        var all = Messages(output, _ => true);
        CheckAll(all, started, "syslog");
        all.Should().Contain(m => m.Pri == 85, "a success is authpriv.notice");

        // The file sink wrote the same messages, one per line; each line validates on its own.
        var lines = File.ReadAllLines(file);
        lines.Should().HaveCount(all.Count, "the file and syslog got every message");
        for (var i = 0; i < lines.Length; i++)
        {
            var path = _dir.File($"line-{i}.xml");
            File.WriteAllText(path, lines[i]);
            Tools.Run("xmllint", ["--noout", "--relaxng", Schema, path], TimeSpan.FromSeconds(60)).ExitCode.Should().Be(0, lines[i]);
        }
    }

    /// <summary>
    /// RFC 5425: rsyslogd's imtcp with the OpenSSL stream driver (Debian rsyslog-openssl) in x509/certvalid mode, so the node
    /// must present a certificate of the test authority (mutual authentication, as IHE ATNA secure nodes do), and the node
    /// checks rsyslog's certificate against that authority.
    /// </summary>
    [RequiresFact(null, "rsyslogd", "xmllint", "openssl", "findscu")]
    [Trait("Conformance", "PS3.15 A.5.1 DICOM Audit Message Schema")]
    public void Serve_ExportsToRsyslogOverTls_WithMutualAuthentication_BodiesValidate()
    {
        using var pki = new TestPki();
        var ca = pki.CreateAuthority("audit-ca");
        var server = pki.Issue(ca, "localhost");
        var client = pki.Issue(ca, "mednode-node");
        var tls = NodeProcess.FreePort();
        var output = StartRsyslog(tls, $"""
            global(workDirectory="{_dir.Path}" maxMessageSize="64k" DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="{ca.CertificatePath}"
                DefaultNetstreamDriverCertFile="{server.CertificatePath}" DefaultNetstreamDriverKeyFile="{server.KeyPath}")
            module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid")
            input(type="imtcp" address="127.0.0.1" port="{P(tls)}")
            """);
        var started = DateTimeOffset.UtcNow;
        _node = NodeProcess.Start(_dir.Path, ["--MedNode:Audit:Export:Syslog:Host=127.0.0.1", $"--MedNode:Audit:Export:Syslog:Port={P(tls)}",
            "--MedNode:Audit:Export:Syslog:Transport=Tls", $"--MedNode:Audit:Export:Syslog:TlsTrustedAuthorities={ca.CertificatePath}",
            $"--MedNode:Audit:Export:Syslog:TlsCertificateFile={client.CertificatePath}", $"--MedNode:Audit:Export:Syslog:TlsKeyFile={client.KeyPath}",
            "--MedNode:Audit:Export:Syslog:TlsServerName=localhost"], env: Env);
        var find = Tools.Run("findscu", ["-S", "-aet", "TLSSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "127.0.0.1", _node.DimsePortText], TimeSpan.FromSeconds(60), env: Env);
        find.ExitCode.Should().Be(0, find.StdErr);

        var list = Messages(output, l => Has(l, "110120") && l.Any(m => m.Msg.Contains("TLSSCU", StringComparison.Ordinal)));
        Has(list, "110120").Should().BeTrue("Application Start arrives over TLS");
        list.Should().Contain(m => m.Msg.Contains("TLSSCU", StringComparison.Ordinal) && m.Msg.Contains("110112", StringComparison.Ordinal), "the query arrives over TLS");
        CheckAll(list, started, "tls");
    }

    [RequiresFact(null, "findscu")]
    public async Task Serve_SyslogServerDown_NodeServesAndAudits_DropsAreCountedInMetrics()
    {
        var port = NodeProcess.FreePort(); // nothing listens there
        _node = NodeProcess.Start(_dir.Path, ["--MedNode:Audit:Export:Syslog:Host=127.0.0.1", $"--MedNode:Audit:Export:Syslog:Port={P(port)}",
            "--MedNode:Audit:Export:Syslog:Transport=Tcp", "--MedNode:Audit:Export:MaxAttempts=1"], env: Env);
        var find = Tools.Run("findscu", ["-S", "-aet", "DOWNSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "127.0.0.1", _node.DimsePortText], TimeSpan.FromSeconds(60), env: Env);
        find.ExitCode.Should().Be(0, find.StdErr);

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        double dropped;
        while (true)
        {
            var metrics = await http.GetStringAsync(new Uri($"{_node.BaseUrl}/metrics"));
            var m = System.Text.RegularExpressions.Regex.Match(metrics, @"^mednode_audit_exports_total\{sink=""syslog-tcp"",outcome=""dropped""\} ([0-9.e+]+)$", System.Text.RegularExpressions.RegexOptions.Multiline);
            dropped = m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            if (dropped >= 2 || DateTime.UtcNow > deadline) break;
            await Task.Delay(100);
        }
        dropped.Should().BeGreaterThanOrEqualTo(2, "Application Start and the Query were dropped");
        var rows = await http.GetStringAsync(new Uri($"{_node.BaseUrl}/api/v1/audit?eventCode=110112"));
        rows.Should().Contain("DOWNSCU", "the trail in the database has the query");
        var warnings = _node.Output.Split('\n').Where(l => l.Contains("\"LogSendFailed\"", StringComparison.Ordinal)).ToList();
        warnings.Should().ContainSingle("a destination that stays down is warned about once")
            .Which.Should().Contain("\"Sink\":\"syslog-tcp\"").And.Contain("Connection refused");
    }
}
