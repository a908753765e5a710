using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// `mednode serve` on its embedded defaults (SQLite, filesystem store): DCMTK echoscu and storescu talk to it over DIMSE,
/// and the stored study comes back over QIDO-RS and WADO-RS.
/// </summary>
public sealed class ServeEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-serve-");
    private Process? _node;

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    private (int Http, int Dimse) Start()
    {
        int http = FreePort(), dimse = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { Mednode.Dll, "serve", "--urls", $"http://127.0.0.1:{http}", $"--MedNode:Dimse:Port={dimse}", "--MedNode:Dimse:BindAddress=127.0.0.1" })
            psi.ArgumentList.Add(a);
        _node = Process.Start(psi)!;
        _node.OutputDataReceived += (_, _) => { };
        _node.ErrorDataReceived += (_, _) => { };
        _node.BeginOutputReadLine();
        _node.BeginErrorReadLine();
        using var http0 = new HttpClient();
        for (int i = 0; i < 120; i++)
        {
            try
            {
                if (http0.GetAsync($"http://127.0.0.1:{http}/health/live").Result.IsSuccessStatusCode) return (http, dimse);
            }
            catch (AggregateException) { }
            _node.HasExited.Should().BeFalse("mednode serve should keep running");
            Thread.Sleep(500);
        }
        throw new TimeoutException("mednode serve did not come up");
    }

    [RequiresFact("corpus", "echoscu", "storescu")]
    [Trait("Conformance", "PS3.4 B")]
    public void Serve_EchoStoreThenQidoAndWado_StudyComesBack()
    {
        var (http, dimse) = Start();
        var env = new Dictionary<string, string> { ["TCP_NODELAY"] = "1" };
        var echo = Tools.Run("echoscu", ["-aec", "MEDNODE", "127.0.0.1", dimse.ToString(System.Globalization.CultureInfo.InvariantCulture)], env: env);
        echo.ExitCode.Should().Be(0, echo.StdErr);
        var file = Corpus.FullPath("uncompressed/pydicom__CT_small.dcm");
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", dimse.ToString(System.Globalization.CultureInfo.InvariantCulture), file], env: env);
        store.ExitCode.Should().Be(0, store.StdErr);

        using var client = new HttpClient();
        var qido = client.GetStringAsync($"http://127.0.0.1:{http}/dicomweb/studies?PatientID=1CT1").Result;
        using var doc = JsonDocument.Parse(qido);
        doc.RootElement.GetArrayLength().Should().Be(1);
        var studyUid = doc.RootElement[0].GetProperty("0020000D").GetProperty("Value")[0].GetString();
        var source = MedNode.Dicom.DicomFile.Open(file).Dataset;
        studyUid.Should().Be(source.GetString(MedNode.Dicom.DicomTags.StudyInstanceUID));

        var req = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{http}/dicomweb/studies/{studyUid}");
        req.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
        var resp = client.Send(req);
        resp.StatusCode.Should().Be(HttpStatusCode.OK);
        var body = resp.Content.ReadAsByteArrayAsync().Result;
        var pixels = (MedNode.Dicom.DicomElement)source[MedNode.Dicom.Imaging.DicomPixelData.PixelDataTag]!;
        body.AsSpan().IndexOf(pixels.Buffer.GetMemory().Span).Should().BeGreaterThan(0, "the retrieved instance carries the stored pixel data");
        Directory.GetFiles(Path.Combine(_dir.Path, "data"), "*.dcm", SearchOption.AllDirectories).Should().HaveCount(1);
    }

    public void Dispose()
    {
        if (_node is { HasExited: false }) { _node.Kill(true); _node.WaitForExit(10_000); }
        _node?.Dispose();
        _dir.Dispose();
    }
}
