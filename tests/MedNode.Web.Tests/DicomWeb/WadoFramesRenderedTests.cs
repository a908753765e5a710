using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using MedNode.TestSupport;
using Microsoft.AspNetCore.WebUtilities;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>WADO-RS frames, rendered and thumbnail resources, Accept q-values and ETags, against DCMTK, GDCM and Pillow.</summary>
public sealed class WadoFramesRenderedTests(SqliteDicomWebFixture fx) : IClassFixture<SqliteDicomWebFixture>
{
    private const string MultiFrame = "uncompressed/dcmqi__23x38x3_multiframe_mf.dcm";
    private const string RleRgb2Frames = "rle/pydicom__SC_rgb_rle_2frame.dcm";
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";

    /// <summary>Stores a corpus file (again: a repeated STOW of the same instance is accepted) and returns its path as dcmdump reads it.</summary>
    private async Task<string> StoreAsync(string corpusFile)
    {
        using var response = await fx.Client.PostAsync("/dicomweb/studies", Multipart.Dicom(corpusFile));
        response.IsSuccessStatusCode.Should().BeTrue(await response.Content.ReadAsStringAsync());
        var dump = Tools.Run("dcmdump", ["-q", "-s", "+P", "StudyInstanceUID", "+P", "SeriesInstanceUID", "+P", "SOPInstanceUID", Corpus.FullPath(corpusFile)]);
        var uids = dump.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[(l.IndexOf('[') + 1)..l.IndexOf(']')]).ToArray();
        return $"/dicomweb/studies/{uids[0]}/series/{uids[1]}/instances/{uids[2]}";
    }

    private Task<HttpResponseMessage> GetAsync(string url, string? accept = null, string? ifNoneMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept != null) request.Headers.TryAddWithoutValidation("Accept", accept);
        if (ifNoneMatch != null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return fx.Client.SendAsync(request);
    }

    private static async Task<List<(string ContentType, byte[] Body)>> PartsAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("multipart/related");
        var boundary = response.Content.Headers.ContentType.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new MultipartReader(boundary, await response.Content.ReadAsStreamAsync());
        var parts = new List<(string, byte[])>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var ms = new MemoryStream();
            await section.Body.CopyToAsync(ms);
            parts.Add((section.ContentType!, ms.ToArray()));
        }
        return parts;
    }

    /// <summary>The manifest's pixel hash: SHA-256 of all frames decoded by GDCM (gdcmconv --raw).</summary>
    private static string ManifestPixelHash(string corpusFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Corpus.FullPath("manifest.json")));
        foreach (var entry in doc.RootElement.GetProperty("files").EnumerateArray())
            if (entry.GetProperty("path").GetString() == corpusFile) return entry.GetProperty("reference_pixel_sha256").GetString()!;
        throw new InvalidOperationException("not in the manifest: " + corpusFile);
    }

    [RequiresFact("corpus", "dcmdump"), Trait("Conformance", "PS3.18 10.4")]
    public async Task Frames_NativeMultiFrame_AllFramesMatchGdcmPixelHash()
    {
        var url = await StoreAsync(MultiFrame);
        using var response = await GetAsync(url + "/frames/1,2,3", "multipart/related; type=\"application/octet-stream\"");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var parts = await PartsAsync(response);
        parts.Should().HaveCount(3);
        parts.Should().OnlyContain(p => p.ContentType.StartsWith("application/octet-stream", StringComparison.Ordinal) && p.ContentType.Contains("transfer-syntax=1.2.840.10008.1.2.1"));
        Convert.ToHexStringLower(SHA256.HashData(parts.SelectMany(p => p.Body).ToArray())).Should().Be(ManifestPixelHash(MultiFrame));
    }

    [RequiresFact("corpus", "dcmdump"), Trait("Conformance", "PS3.18 8.7.3")]
    public async Task Frames_UnquotedTypeAsOhifSendsIt_ReturnsTheFrame()
    {
        // Cornerstone's WADO-RS loader (omitQuotationForMultipartRequest) sends the type parameter unquoted.
        var url = await StoreAsync(MultiFrame);
        using var response = await GetAsync(url + "/frames/2", "multipart/related; type=application/octet-stream; transfer-syntax=*");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var all = await PartsAsync(await GetAsync(url + "/frames/1,2,3", "multipart/related; type=\"application/octet-stream\""));
        (await PartsAsync(response)).Single().Body.Should().Equal(all[1].Body);
    }

    [RequiresFact("corpus", "dcmdump"), Trait("Conformance", "PS3.18 8.7.3")]
    public async Task Frames_RleAsStored_IsTheFragmentDcmdumpWrites()
    {
        var url = await StoreAsync(RleRgb2Frames);
        using var response = await GetAsync(url + "/frames/2", "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var part = (await PartsAsync(response)).Single();
        part.ContentType.Should().Contain("transfer-syntax=1.2.840.10008.1.2.5");
        using var dir = new TempDir();
        Tools.Run("dcmdump", ["-q", "+W", dir.Path, Corpus.FullPath(RleRgb2Frames)]).ExitCode.Should().Be(0);
        // Item 0 is the Basic Offset Table; item 2 is the second frame's fragment.
        part.Body.Should().Equal(File.ReadAllBytes(Path.Combine(dir.Path, Path.GetFileName(RleRgb2Frames) + ".2.raw")));
    }

    [RequiresFact("corpus", "dcmdump"), Trait("Conformance", "PS3.18 8.7.3")]
    public async Task Frames_RleDecodedOnRequest_MatchGdcmPixelHash()
    {
        var url = await StoreAsync(RleRgb2Frames);
        using var response = await GetAsync(url + "/frames/1,2", "image/jpeg;q=0.2, multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.1");
        var parts = await PartsAsync(response);
        Convert.ToHexStringLower(SHA256.HashData(parts.SelectMany(p => p.Body).ToArray())).Should().Be(ManifestPixelHash(RleRgb2Frames));
    }

    [RequiresFact("corpus", "dcmdump"), Trait("Conformance", "PS3.18 8.7.3")]
    public async Task Frames_ImageTypeMatchingStoredSyntax_ReturnsStoredBitstream()
    {
        var url = await StoreAsync(RleRgb2Frames);
        using var response = await GetAsync(url + "/frames/1", "multipart/related; type=\"image/dicom-rle\"");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await PartsAsync(response)).Single().ContentType.Should().StartWith("image/dicom-rle");
        using var jpeg = await GetAsync(url + "/frames/1", "multipart/related; type=\"image/jls\"");
        jpeg.StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }

    [RequiresTheory("corpus", "dcmdump"), Trait("Conformance", "PS3.18 10.4")]
    [InlineData("0", HttpStatusCode.BadRequest)]
    [InlineData("1,x", HttpStatusCode.BadRequest)]
    [InlineData("-1", HttpStatusCode.BadRequest)]
    [InlineData("1,,2", HttpStatusCode.BadRequest)]
    [InlineData("4", HttpStatusCode.NotFound)]
    [InlineData("1,99", HttpStatusCode.NotFound)]
    public async Task Frames_BadOrOutOfRangeList_Returns400Or404(string list, HttpStatusCode expected)
    {
        var url = await StoreAsync(MultiFrame);
        using var response = await GetAsync(url + "/frames/" + list, "*/*");
        response.StatusCode.Should().Be(expected);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [RequiresFact("corpus", "dcmj2pnm", ImageFiles.Python), Trait("Conformance", "PS3.18 10.4")]
    public async Task Rendered_PngWithDatasetWindow_EqualsDcmj2pnm()
    {
        var url = $"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}/rendered";
        using var response = await GetAsync(url, "image/png");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("image/png");
        using var dir = new TempDir();
        var ours = ImageFiles.Decode(await response.Content.ReadAsByteArrayAsync(), dir);
        var dcmtk = ImageFiles.Dcmtk(Corpus.FullPath(Golden.MrSlice), dir, "+Wi", "1");
        (ours.Width, ours.Height, ours.Mode).Should().Be((dcmtk.Width, dcmtk.Height, "L"));
        ImageFiles.MaxDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThanOrEqualTo(1, "VOI LINEAR (PS3.3 C.11.2.1.2.1) differs only by rounding");
        ours.Pixels.Distinct().Count().Should().BeGreaterThan(50, "a windowed MR slice has many grey levels");
    }

    [RequiresTheory("corpus", "dcmj2pnm", ImageFiles.Python), Trait("Conformance", "PS3.18 8.3.5")]
    [InlineData("40,400,linear", "40", "400")]
    [InlineData("-100,1500,linear", "-100", "1500")]
    public async Task Rendered_WindowParameter_EqualsDcmj2pnmSetWindow(string window, string center, string width)
    {
        var url = await StoreAsync(CtSmall);
        using var response = await GetAsync(url + "/frames/1/rendered?window=" + window, "image/png");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var dir = new TempDir();
        var ours = ImageFiles.Decode(await response.Content.ReadAsByteArrayAsync(), dir);
        var dcmtk = ImageFiles.Dcmtk(Corpus.FullPath(CtSmall), dir, "+Ww", center, width);
        ImageFiles.MaxDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThanOrEqualTo(1);
    }

    [RequiresFact("corpus", "dcmj2pnm", ImageFiles.Python), Trait("Conformance", "PS3.18 10.4")]
    public async Task Rendered_JpegOfRleRgbFrame_DecodesCloseToDcmj2pnm()
    {
        var url = await StoreAsync(RleRgb2Frames);
        using var response = await GetAsync(url + "/frames/2/rendered?quality=95", "image/jpeg");
        response.Content.Headers.ContentType!.MediaType.Should().Be("image/jpeg");
        using var dir = new TempDir();
        var ours = ImageFiles.Decode(await response.Content.ReadAsByteArrayAsync(), dir);
        var dcmtk = ImageFiles.Dcmtk(Corpus.FullPath(RleRgb2Frames), dir, "+F", "2");
        (ours.Width, ours.Height, ours.Mode).Should().Be((dcmtk.Width, dcmtk.Height, "RGB"));
        ImageFiles.MeanDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThan(4, "baseline JPEG at quality 95 is close to the source");
    }

    [RequiresFact("corpus", ImageFiles.Python), Trait("Conformance", "PS3.18 10.4")]
    public async Task Thumbnail_Study_FitsDefaultAndRequestedViewport()
    {
        using var small = await GetAsync($"/dicomweb/studies/{Golden.MrStudy}/thumbnail", "image/jpeg");
        small.StatusCode.Should().Be(HttpStatusCode.OK);
        using var dir = new TempDir();
        var thumb = ImageFiles.Decode(await small.Content.ReadAsByteArrayAsync(), dir);
        (thumb.Width, thumb.Height).Should().Be((128, 128), "the 256×256 slice fits 128×128");
        using var wide = await GetAsync($"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/thumbnail?viewport=64,32", "image/png");
        var fitted = ImageFiles.Decode(await wide.Content.ReadAsByteArrayAsync(), dir);
        (fitted.Width, fitted.Height, fitted.Mode).Should().Be((32, 32, "L"));
    }

    [RequiresTheory("corpus"), Trait("Conformance", "PS3.18 8.7")]
    [InlineData("image/png;q=0.5, image/jpeg;q=0.9", "image/jpeg")]
    [InlineData("image/jpeg;q=0.1, image/png", "image/png")]
    [InlineData("application/dicom, image/*;q=0.3", "image/jpeg")]
    public async Task Rendered_AcceptWithQValues_PicksTheBestSupported(string accept, string expected)
    {
        using var response = await GetAsync($"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}/rendered", accept);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be(expected);
    }

    [RequiresTheory("corpus"), Trait("Conformance", "PS3.18 8.3.5")]
    [InlineData("?window=40", HttpStatusCode.BadRequest)]
    [InlineData("?window=40,0,linear", HttpStatusCode.BadRequest)]
    [InlineData("?window=40,400,cubic", HttpStatusCode.BadRequest)]
    [InlineData("?viewport=0,10", HttpStatusCode.BadRequest)]
    [InlineData("?quality=101", HttpStatusCode.BadRequest)]
    public async Task Rendered_BadParameters_Return400(string query, HttpStatusCode expected)
    {
        using var response = await GetAsync($"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}/rendered" + query, "image/jpeg");
        response.StatusCode.Should().Be(expected);
    }

    [RequiresFact("corpus"), Trait("Conformance", "PS3.18 8.7")]
    public async Task Rendered_SeriesAsMultipartPng_OnePartPerInstance_AndSingleTypeIs406()
    {
        using var response = await GetAsync($"/dicomweb/studies/{Golden.CtStudy}/series/{Golden.CtSeries}/rendered", "multipart/related; type=\"image/png\"");
        var parts = await PartsAsync(response);
        parts.Should().HaveCount(2).And.OnlyContain(p => p.ContentType == "image/png" && p.Body.Take(4).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47 }));
        using var single = await GetAsync($"/dicomweb/studies/{Golden.CtStudy}/series/{Golden.CtSeries}/rendered", "image/png");
        single.StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
        using var dicom = await GetAsync($"/dicomweb/studies/{Golden.MrStudy}/series/{Golden.MrSeries}/instances/{Golden.MrSop}/frames/1", "application/dicom");
        dicom.StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }

    [RequiresFact("corpus"), Trait("Conformance", "RFC 9110 13.1.2")]
    public async Task Metadata_IfNoneMatchWithItsETag_Returns304()
    {
        var url = $"/dicomweb/studies/{Golden.MrStudy}/metadata";
        using var first = await GetAsync(url);
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        var etag = first.Headers.ETag!.Tag;
        using var again = await GetAsync(url, ifNoneMatch: etag);
        again.StatusCode.Should().Be(HttpStatusCode.NotModified);
        again.Headers.ETag!.Tag.Should().Be(etag);
        using var other = await GetAsync($"/dicomweb/studies/{Golden.CtStudy}/metadata", ifNoneMatch: etag);
        other.StatusCode.Should().Be(HttpStatusCode.OK, "another study has another tag");
    }

    [RequiresFact("corpus"), Trait("Conformance", "RFC 9110 13.1.2")]
    public async Task Qido_IfNoneMatchWithItsETag_Returns304UntilTheResultChanges()
    {
        var url = "/dicomweb/studies?PatientID=" + Uri.EscapeDataString("QIN-PROSTATE-01-0001");
        using var first = await GetAsync(url);
        var etag = first.Headers.ETag!.Tag;
        using var again = await GetAsync(url, ifNoneMatch: "\"other\", " + etag);
        again.StatusCode.Should().Be(HttpStatusCode.NotModified);
        using var differentQuery = await GetAsync(url + "&includefield=StudyDescription", ifNoneMatch: etag);
        differentQuery.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
