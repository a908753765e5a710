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


    private (int Http, int Dimse) Start()
    {
        int http = NodeProcess.FreePort(), dimse = NodeProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _dir.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { Mednode.Dll, "serve", "--urls", $"http://127.0.0.1:{http}", $"--MedNode:Dimse:Port={dimse}", "--MedNode:Dimse:BindAddress=127.0.0.1", "--MedNode:Security:AllowAnonymous=true" })
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

    /// <summary>
    /// Issue "Pixel codecs": DCMTK storescu sends JPEG lossless, JPEG 2000 and JPEG-LS files as they are; MedNode stores
    /// them; WADO-RS serves them as Explicit VR Little Endian, which dcmdump reads and whose pixels hash to the corpus
    /// manifest's reference (GDCM/DCMTK decoders).
    /// </summary>
    [RequiresTheory("corpus", "storescu", "dcmdump")]
    [InlineData("jpeg/fo-dicom__GH184.dcm", "-xs")]
    [InlineData("jpeg/pylibjpeg-data__JPEGLossless_1s_1f_u_16_12.dcm", "-xf")]
    [InlineData("jpeg2000/pydicom__MR_small_jp2klossless.dcm", "-xv")]
    [InlineData("jpeg-ls/dicomParser__CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm", "-xt")]
    [Trait("Conformance", "PS3.18 8.7.3.5")]
    public void Serve_CompressedStoredThenWadoExplicit_DcmdumpAndPixelsCorrect(string relative, string proposal)
    {
        var (http, dimse) = Start();
        var file = Corpus.FullPath(relative);
        var env = new Dictionary<string, string> { ["TCP_NODELAY"] = "1" };
        var args = new List<string> { "-aec", "MEDNODE" };
        if (proposal == "-xf")
        {
            // JPEG lossless process 14 (.57) needs a configuration profile (PEERS.md).
            var cfg = _dir.File("storescu.cfg");
            File.WriteAllText(cfg, "[[TransferSyntaxes]]\n[JPEG57]\nTransferSyntax1 = JPEGLossless:Non-hierarchical:Process14\n"
                + "[[PresentationContexts]]\n[P57]\nPresentationContext1 = SecondaryCaptureImageStorage\\JPEG57\nPresentationContext2 = CTImageStorage\\JPEG57\nPresentationContext3 = MRImageStorage\\JPEG57\n"
                + "[[Profiles]]\n[P57]\nPresentationContexts = P57\n");
            args.AddRange(["-xf", cfg, "P57"]);
        }
        else args.Add(proposal);
        args.AddRange(["127.0.0.1", dimse.ToString(System.Globalization.CultureInfo.InvariantCulture), file]);
        var store = Tools.Run("storescu", args, env: env);
        store.ExitCode.Should().Be(0, store.StdOut + store.StdErr);

        var source = MedNode.Dicom.DicomFile.Open(file);
        var ds = source.Dataset;
        string study = ds.GetString(MedNode.Dicom.DicomTags.StudyInstanceUID)!, series = ds.GetString(MedNode.Dicom.DicomTags.SeriesInstanceUID)!,
            sop = ds.GetString(MedNode.Dicom.DicomTags.SOPInstanceUID)!;
        using var client = new HttpClient();
        var req = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{http}/dicomweb/studies/{study}/series/{series}/instances/{sop}");
        req.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1");
        var resp = client.Send(req);
        resp.StatusCode.Should().Be(HttpStatusCode.OK);
        var boundary = resp.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, resp.Content.ReadAsStream());
        var section = reader.ReadNextSectionAsync().Result!;
        var outPath = _dir.File("wado.dcm");
        using (var fs = File.Create(outPath)) section.Body.CopyTo(fs);

        var dump = Tools.Run("dcmdump", ["-q", "+P", "TransferSyntaxUID", "+P", "SOPInstanceUID", outPath]);
        dump.ExitCode.Should().Be(0, dump.StdErr);
        dump.StdOut.Should().Contain("=LittleEndianExplicit").And.Contain(sop);
        var served = MedNode.Dicom.DicomFile.Open(outPath);
        var pixels = MedNode.Dicom.Imaging.DicomPixelData.Create(served.Dataset)!;
        pixels.IsEncapsulated.Should().BeFalse();
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(pixels.GetAllNativeBytes()));
        hash.Should().Be(Corpus.Entry(relative).Str("reference_pixel_sha256"));
    }

    public void Dispose()
    {
        if (_node is { HasExited: false }) { _node.Kill(true); _node.WaitForExit(10_000); }
        _node?.Dispose();
        _dir.Dispose();
    }
}
