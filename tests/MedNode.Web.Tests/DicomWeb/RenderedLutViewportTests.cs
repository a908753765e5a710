using System.Net;
using MedNode.TestSupport;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>
/// WADO-RS rendered resources against DCMTK's dcmj2pnm: the VOI LUT and Modality LUT Sequences, PALETTE COLOR, the viewport
/// source region and the accept query parameter.
/// </summary>
public sealed class RenderedLutViewportTests(SqliteDicomWebFixture fx) : IClassFixture<SqliteDicomWebFixture>
{
    private const string VoiLut = "uncompressed/pydicom-data__vlut_04.dcm";
    private const string ModalityLut = "uncompressed/pydicom-data__mlut_18.dcm";
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private const string RgbTwoFrames = "uncompressed/pydicom-data__SC_rgb_2frame.dcm";

    private Task<string> StoreAsync(string corpusFile) => StoreFileAsync(Corpus.FullPath(corpusFile));

    private async Task<string> StoreFileAsync(string path)
    {
        using var response = await fx.Client.PostAsync("/dicomweb/studies", Multipart.Parts(("application/dicom", File.ReadAllBytes(path))));
        response.IsSuccessStatusCode.Should().BeTrue(await response.Content.ReadAsStringAsync());
        var dump = Tools.Run("dcmdump", ["-q", "-s", "+P", "StudyInstanceUID", "+P", "SeriesInstanceUID", "+P", "SOPInstanceUID", path]);
        var uids = dump.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[(l.IndexOf('[') + 1)..l.IndexOf(']')]).ToArray();
        return $"/dicomweb/studies/{uids[0]}/series/{uids[1]}/instances/{uids[2]}";
    }

    /// <summary>A copy of a corpus file modified by dcmodify (e.g. a new SOP Instance UID where corpus files share one).</summary>
    private static string Modified(string corpusFile, TempDir dir, params string[] modifications)
    {
        var file = dir.File(Path.GetFileName(corpusFile));
        File.Copy(Corpus.FullPath(corpusFile), file);
        var modify = Tools.Run("dcmodify", ["-nb", .. modifications.SelectMany(m => new[] { "-m", m }), file]);
        modify.ExitCode.Should().Be(0, modify.StdErr);
        return file;
    }

    private async Task<ImageFiles.Decoded> RenderedAsync(string url, TempDir dir, string accept = "image/png")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await fx.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.Should().Be("image/png");
        return ImageFiles.Decode(await response.Content.ReadAsByteArrayAsync(), dir);
    }

    [RequiresFact("corpus", "dcmj2pnm", "dcmodify", ImageFiles.Python), Trait("Conformance", "PS3.3 C.11.2")]
    public async Task Rendered_VoiLutSequence_EqualsDcmj2pnmUseVoiLut()
    {
        // The corpus file's VOI LUT is the identity; dcmodify gives it a curved one (entry i = i²/255 scaled to 16 bits), so
        // the LUT, not a window, decides the picture.
        using var dir = new TempDir();
        var lut = string.Join('\\', Enumerable.Range(0, 256).Select(i => (i * i / 255 * 257).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var file = Modified(VoiLut, dir, $"(0028,3010)[0].(0028,3006)={lut}", "(0008,0018)=1.2.826.0.1.3680043.8.498.4042026112601");
        var ours = await RenderedAsync(await StoreFileAsync(file) + "/rendered", dir);
        var dcmtk = ImageFiles.Dcmtk(file, dir, "+Wl", "1");
        (ours.Width, ours.Height, ours.Mode).Should().Be((dcmtk.Width, dcmtk.Height, "L"));
        ImageFiles.MaxDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThanOrEqualTo(1);
        var windowed = ImageFiles.Dcmtk(file, dir, "+Wm");
        ImageFiles.MaxDifference(ours.Pixels, windowed.Pixels).Should().BeGreaterThan(1, "the VOI LUT, not a min-max window, was applied");
    }

    [RequiresTheory("corpus", "dcmj2pnm", ImageFiles.Python), Trait("Conformance", "PS3.3 C.11.1")]
    [InlineData("32768", "65536")]
    [InlineData("16000", "8000")]
    public async Task Rendered_ModalityLutSequence_EqualsDcmj2pnmWithModalityLut(string center, string width)
    {
        var url = await StoreAsync(ModalityLut);
        using var dir = new TempDir();
        var ours = await RenderedAsync($"{url}/rendered?window={center},{width},linear", dir);
        var dcmtk = ImageFiles.Dcmtk(Corpus.FullPath(ModalityLut), dir, "+Ww", center, width);
        (ours.Width, ours.Height, ours.Mode).Should().Be((dcmtk.Width, dcmtk.Height, "L"));
        ImageFiles.MaxDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThanOrEqualTo(1);
        var withoutLut = ImageFiles.Dcmtk(Corpus.FullPath(ModalityLut), dir, "-M", "+Ww", center, width);
        ImageFiles.MaxDifference(ours.Pixels, withoutLut.Pixels).Should().BeGreaterThan(1, "the Modality LUT changes the picture");
    }

    [RequiresFact("corpus", "dcmj2pnm", ImageFiles.Python), Trait("Conformance", "PS3.3 C.11.1")]
    public async Task Rendered_ModalityLutSequenceWithoutWindow_EqualsDcmj2pnmMinMaxWindow()
    {
        var url = await StoreAsync(ModalityLut);
        using var dir = new TempDir();
        var ours = await RenderedAsync(url + "/rendered", dir);
        var dcmtk = ImageFiles.Dcmtk(Corpus.FullPath(ModalityLut), dir, "+Wm");
        ImageFiles.MaxDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThanOrEqualTo(1, "the min–max window spans the Modality LUT's output");
    }

    [RequiresTheory("corpus", "dcmj2pnm", "dcmodify", ImageFiles.Python), Trait("Conformance", "PS3.3 C.7.6.3.1.5")]
    [InlineData("uncompressed/pydicom-data__OT-PAL-8-face.dcm")]
    [InlineData("uncompressed/pydicom__examples_palette.dcm")]
    [InlineData("uncompressed/fo-dicom__TestPattern_Palette_16.dcm")]
    [InlineData("rle/pydicom-data__OBXXXX1A_rle_2frame.dcm", 2)]
    public async Task Rendered_PaletteColor_EqualsDcmj2pnmRgb(string corpusFile, int frame = 1)
    {
        using var dir = new TempDir();
        // pydicom's OBXXXX1A files share their SOP Instance UID with examples_palette; the RLE one is stored under its own.
        var file = corpusFile.StartsWith("rle/", StringComparison.Ordinal)
            ? Modified(corpusFile, dir, "(0008,0018)=1.2.826.0.1.3680043.8.498.4042026112602") : Corpus.FullPath(corpusFile);
        var url = await StoreFileAsync(file);
        var ours = await RenderedAsync($"{url}/frames/{frame}/rendered", dir);
        var dcmtk = ImageFiles.Dcmtk(file, dir, "+F", frame.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (ours.Width, ours.Height, ours.Mode).Should().Be((dcmtk.Width, dcmtk.Height, "RGB"));
        ImageFiles.MaxDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThanOrEqualTo(1);
        ours.Pixels.Chunk(3).Should().Contain(p => p[0] != p[1] || p[1] != p[2], "a palette image has colour");
    }

    [RequiresTheory("corpus", "dcmj2pnm", ImageFiles.Python), Trait("Conformance", "PS3.18 8.3.5.1.3")]
    [InlineData("40,30,10,20,40,30", new[] { "+C", "10", "20", "40", "30" })]
    [InlineData("40,30,10,20,-40,30", new[] { "+C", "10", "20", "40", "30", "+Lh" })]
    [InlineData("40,30,10,20,-40,-30", new[] { "+C", "10", "20", "40", "30", "+Lhv" })]
    [InlineData("118,108,10,20,,", new[] { "+C", "10", "20", "118", "108" })]
    public async Task Rendered_ViewportSourceRegion_EqualsDcmj2pnmClipAndFlip(string viewport, string[] clip)
    {
        var url = await StoreAsync(CtSmall);
        using var dir = new TempDir();
        var ours = await RenderedAsync($"{url}/rendered?window=40,400,linear&viewport={viewport}", dir);
        var dcmtk = ImageFiles.Dcmtk(Corpus.FullPath(CtSmall), dir, [.. clip, "+Ww", "40", "400"]);
        (ours.Width, ours.Height).Should().Be((dcmtk.Width, dcmtk.Height));
        ImageFiles.MaxDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThanOrEqualTo(1);
    }

    [RequiresFact("corpus", "dcmj2pnm", ImageFiles.Python), Trait("Conformance", "PS3.18 8.3.5.1.3")]
    public async Task Rendered_ViewportSourceRegionScaled_FitsTheViewport()
    {
        var url = await StoreAsync(CtSmall);
        using var dir = new TempDir();
        var ours = await RenderedAsync($"{url}/rendered?window=40,400,linear&viewport=20,15,10,20,40,30", dir);
        var dcmtk = ImageFiles.Dcmtk(Corpus.FullPath(CtSmall), dir, "-i", "+C", "10", "20", "40", "30", "+Sxv", "20", "+Ww", "40", "400");
        (ours.Width, ours.Height).Should().Be((dcmtk.Width, dcmtk.Height));
        ImageFiles.MeanDifference(ours.Pixels, dcmtk.Pixels).Should().BeLessThan(8, "both halve the same region (DCMTK clips only without interpolation; we average)");
    }

    [RequiresTheory("corpus", "dcmdump"), Trait("Conformance", "PS3.18 8.3.5.1.3")]
    [InlineData("10,10,0,0,200,10")]
    [InlineData("10,10,-1,0,5,5")]
    [InlineData("10,10,0,0,0,5")]
    [InlineData("10,10,0,0,5")]
    public async Task Rendered_SourceRegionOutsideOrMalformed_Returns400(string viewport)
    {
        var url = await StoreAsync(CtSmall);
        using var response = await fx.Client.GetAsync($"{url}/rendered?viewport={viewport}");
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [RequiresFact("corpus", "dcmj2pnm", ImageFiles.Python), Trait("Conformance", "PS3.18 10.4")]
    public async Task Rendered_MultiFrameInstanceAsMultipart_EveryFrameEqualsDcmj2pnmAllFrames()
    {
        var url = await StoreAsync(RgbTwoFrames);
        using var dir = new TempDir();
        var ours = await RenderedPartsAsync(url + "/rendered", dir);
        var dcmtk = Dcmj2pnmAllFrames(Corpus.FullPath(RgbTwoFrames), 2, dir);
        ours.Should().HaveCount(2);
        for (int i = 0; i < 2; i++) ImageFiles.MaxDifference(ours[i].Pixels, dcmtk[i].Pixels).Should().BeLessThanOrEqualTo(1);
        ImageFiles.MaxDifference(dcmtk[0].Pixels, dcmtk[1].Pixels).Should().BeGreaterThan(1, "the two frames differ, so their order is checked");
        using var single = await fx.Client.GetAsync(url + "/rendered");
        single.Content.Headers.ContentType!.MediaType.Should().Be("image/jpeg", "a single image is the first frame");
    }

    /// <summary>
    /// A rendered series and study hold every frame of a multi-frame instance (PS3.18 §10.4.1.1.3), in order: the two-frame
    /// RGB file under new study, series and SOP Instance UIDs (dcmodify), so it is alone in them, gives two parts equal to dcmj2pnm's frames.
    /// </summary>
    [RequiresFact("corpus", "dcmj2pnm", "dcmodify", "dcmdump", ImageFiles.Python), Trait("Conformance", "PS3.18 10.4")]
    public async Task Rendered_SeriesAndStudyOfMultiFrameInstance_EveryFrameEqualsDcmj2pnmAllFrames()
    {
        using var dir = new TempDir();
        var file = Modified(RgbTwoFrames, dir, "(0020,000d)=1.2.826.0.1.3680043.10.1137.71", "(0020,000e)=1.2.826.0.1.3680043.10.1137.71.1",
            "(0008,0018)=1.2.826.0.1.3680043.10.1137.71.1.1");
        var url = await StoreFileAsync(file);
        var dcmtk = Dcmj2pnmAllFrames(file, 2, dir);
        ImageFiles.MaxDifference(dcmtk[0].Pixels, dcmtk[1].Pixels).Should().BeGreaterThan(1, "the two frames differ, so their order is checked");
        foreach (var resource in (string[])[url[..url.IndexOf("/instances/", StringComparison.Ordinal)], url[..url.IndexOf("/series/", StringComparison.Ordinal)]])
        {
            var ours = await RenderedPartsAsync(resource + "/rendered", dir);
            ours.Should().HaveCount(2, resource);
            for (int i = 0; i < 2; i++) ImageFiles.MaxDifference(ours[i].Pixels, dcmtk[i].Pixels).Should().BeLessThanOrEqualTo(1, resource);
        }
    }

    /// <summary>The PNG parts of a multipart/related rendered response, decoded.</summary>
    private async Task<List<ImageFiles.Decoded>> RenderedPartsAsync(string url, TempDir dir)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", "multipart/related; type=\"image/png\"");
        using var response = await fx.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, await response.Content.ReadAsStreamAsync());
        var parts = new List<ImageFiles.Decoded>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            section.ContentType.Should().Be("image/png");
            using var ms = new MemoryStream();
            await section.Body.CopyToAsync(ms);
            parts.Add(ImageFiles.Decode(ms.ToArray(), dir));
        }
        return parts;
    }

    /// <summary>Every frame as DCMTK renders it (<c>dcmj2pnm +Fa +on</c>).</summary>
    private static List<ImageFiles.Decoded> Dcmj2pnmAllFrames(string path, int frames, TempDir dir)
    {
        var prefix = dir.File("dcmtk-" + Guid.NewGuid().ToString("N") + ".png");
        Tools.Run("dcmj2pnm", ["+Fa", "+on", path, prefix]).ExitCode.Should().Be(0);
        return [.. Enumerable.Range(0, frames).Select(i => ImageFiles.DecodeFile($"{prefix}.{i}.png", dir))];
    }

    [RequiresFact("corpus", "dcmdump"), Trait("Conformance", "PS3.18 8.3.3.1")]
    public async Task Rendered_AcceptQueryParameter_OverridesTheAcceptHeader()
    {
        var url = await StoreAsync(CtSmall);
        using var dir = new TempDir();
        var png = await RenderedAsync(url + "/rendered?accept=image/png", dir, accept: "image/jpeg");
        (png.Width, png.Height).Should().Be((128, 128));
        using var request = new HttpRequestMessage(HttpMethod.Get, url + "/rendered?accept=" + Uri.EscapeDataString("application/dicom"));
        request.Headers.TryAddWithoutValidation("Accept", "image/png");
        using var refused = await fx.Client.SendAsync(request);
        refused.StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }
}
