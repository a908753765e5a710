using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using MedNode.TestSupport;
using Microsoft.AspNetCore.WebUtilities;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>MedNode driven by a real DICOMweb client: the dicomweb-client npm package (0.11) in Node, on each index database.</summary>
public abstract class DicomWebClientTests(DicomWebFixture fx)
{
    private const string StowFile = "uncompressed/dcmqi__23x38x3_image_IMG0003.dcm";

    [RequiresTestDepsFact("node/node_modules/dicomweb-client", "corpus", "node", "dcmdump"), Trait("Conformance", "PS3.18 10.4, 10.5, 10.6")]
    public async Task DicomwebClient_QidoWadoStow_SeeTheStoredData()
    {
        var script = Path.Combine(SharedData.RepoRoot, "tests", "MedNode.Web.Tests", "Clients", "dicomweb-client-check.cjs");
        var baseUrl = new Uri(fx.Client.BaseAddress!, "/dicomweb").ToString();
        var run = await Task.Run(() => Tools.Run("node", [script, baseUrl, Golden.MrStudy, Golden.MrSeries, Golden.MrSop, Corpus.FullPath(StowFile)],
            env: new Dictionary<string, string> { ["NODE_PATH"] = TestDeps.NodeModules }));
        run.ExitCode.Should().Be(0, run.StdErr);
        var result = JsonDocument.Parse(run.StdOut).RootElement;

        Strings(result, "studies").Should().Equal(Golden.MrStudy);
        Strings(result, "series").Should().Equal(Golden.MrSeries);
        Strings(result, "instances").Should().Equal(Golden.MrSop);
        result.GetProperty("metadataSop").GetString().Should().Be(Golden.MrSop);
        result.GetProperty("metadataRows").GetInt32().Should().Be(256);
        var stored = File.ReadAllBytes(Corpus.FullPath(Golden.MrSlice));
        result.GetProperty("instanceSha256").GetString().Should().Be(Convert.ToHexStringLower(SHA256.HashData(stored)), "the instance comes back byte for byte");
        result.GetProperty("frameLengths").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(Golden.MrPixelBytes);
        result.GetProperty("frameSha256").GetString().Should().Be(PixelHash(Golden.MrSlice), "the frame is the pixel data GDCM and DCMTK decode");

        // STOW-RS through the client, then the stored bytes compared with the file.
        var uids = Tools.Run("dcmdump", ["-q", "-s", "+P", "StudyInstanceUID", "+P", "SeriesInstanceUID", "+P", "SOPInstanceUID", Corpus.FullPath(StowFile)])
            .StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[(l.IndexOf('[') + 1)..l.IndexOf(']')]).ToArray();
        var request = new HttpRequestMessage(HttpMethod.Get, $"/dicomweb/studies/{uids[0]}/series/{uids[1]}/instances/{uids[2]}");
        request.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
        using var response = await fx.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var section = await new MultipartReader(boundary, await response.Content.ReadAsStreamAsync()).ReadNextSectionAsync();
        using var ms = new MemoryStream();
        await section!.Body.CopyToAsync(ms);
        ms.ToArray().Should().Equal(File.ReadAllBytes(Corpus.FullPath(StowFile)));
    }

    private static List<string> Strings(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(x => x.GetString()!)];

    private static string PixelHash(string corpusFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Corpus.FullPath("manifest.json")));
        return doc.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == corpusFile)
            .GetProperty("reference_pixel_sha256").GetString()!;
    }
}

public sealed class SqliteDicomWebClientTests(SqliteDicomWebFixture fx) : DicomWebClientTests(fx), IClassFixture<SqliteDicomWebFixture>;

[RequiresPostgres]
public sealed class PostgresDicomWebClientTests(PostgresDicomWebFixture fx) : DicomWebClientTests(fx), IClassFixture<PostgresDicomWebFixture>;
