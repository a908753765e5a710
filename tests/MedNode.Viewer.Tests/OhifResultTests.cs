using System.Globalization;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Results;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;

namespace MedNode.Viewer.Tests;

/// <summary>
/// Issue #7's viewer check: the bundled phantom-lesion model analyses a synthetic CT, <see cref="ResultEncoder"/> turns the
/// result into a Segmentation and a TID 1500 SR, MedNode stores the CT, SEG and SR (STOW-RS), and OHIF 3.13.2 in headless
/// Debian Chromium reads them back over DICOMweb: opening the SEG colours the lesions, opening the SR draws the measurement's
/// graphic and lists the RECIST lengths. Screenshots before and after go to .test-output/artifacts/.
/// </summary>
public sealed class OhifResultTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string OhifIndex = "ohif/package/dist/index.html";

    /// <summary>The phantom of PhantomResultFixture (Analysis.Tests): anisotropic (0.8 mm pixels, 1.5 mm slices), three lesions.</summary>
    private static readonly CtPhantomSpec Spec = new()
    {
        Columns = 160,
        Rows = 160,
        Slices = 48,
        PixelSpacing = 0.8,
        SliceSpacing = 1.5,
        Origin = new Vec3(-64, -64, -36),
        NoiseSigma = 10,
        Seed = 42,
        Lesions =
        [
            new PhantomEllipsoid(new Vec3(-25, -15, -10), new Vec3(12, 10, 9), 130),
            new PhantomEllipsoid(new Vec3(20, 15, 5), new Vec3(8, 8, 8), 120),
            new PhantomEllipsoid(new Vec3(-15, 25, 15), new Vec3(6, 5, 5), 140),
        ],
    };

    /// <summary>
    /// The largest viewport canvas's count of coloured pixels: those whose channels differ by more than 40 (a windowed CT
    /// is grey, R = G = B; a segment's fill is not), as a string (0 would read as "not yet"); false (keep polling) while
    /// it is at most <c>above</c>.
    /// </summary>
    private const string CountColouredPixelsJs = """
        (above) => {
          let best = -1;
          for (const c of document.querySelectorAll('canvas')) {
            if (c.width * c.height < 10000) continue;
            const ctx = c.getContext('2d');
            if (!ctx) continue;
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) {
              const r = d[i], g = d[i + 1], b = d[i + 2];
              if (Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
            }
            best = Math.max(best, n);
          }
          return best > above ? String(best) : false;
        }
        """;

    /// <summary>Non-black pixels of the largest canvas; false until the CT slice is drawn.</summary>
    private const string CountLitPixelsJs = """
        () => {
          let best = 0;
          for (const c of document.querySelectorAll('canvas')) {
            if (c.width * c.height < 10000) continue;
            const ctx = c.getContext('2d');
            if (!ctx) continue;
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30) n++;
            best = Math.max(best, n);
          }
          return best > 20000 ? best : false;
        }
        """;

    /// <summary>The drawn SVG annotation shapes of the viewports (Cornerstone3D's svg-layer): polylines, paths and lines with at least two points.</summary>
    private const string CountAnnotationShapesJs = """
        () => {
          let n = 0;
          for (const svg of document.querySelectorAll('svg.svg-layer')) {
            for (const e of svg.querySelectorAll('polyline, path, line, polygon')) {
              const box = e.getBBox();
              if (box.width + box.height > 4) n++;
            }
          }
          return n > 0 ? n : false;
        }
        """;

    [RequiresTestDepsFact(OhifIndex, null, Chromium), Trait("Conformance", "PS3.3 A.51, PS3.16 TID 1500 (OHIF 3.13.2)")]
    public async Task Ohif_SegAndSrOfPhantomAnalysis_SegColoursLesionsAndSrDrawsMeasurements()
    {
        using var dir = new TempDir("mednode-ohif-result-");
        var series = CtPhantom.CreateSeries(Spec);
        var files = new List<string>();
        foreach (var (ds, i) in series.Select((ds, i) => (ds, i)))
        {
            ds.AddOrUpdate(DicomTags.StudyDescription, "MedNode phantom result");
            ds.AddOrUpdate(DicomTags.SeriesDescription, "Phantom axial");
            ds.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, 1);
            ds.AddOrUpdate(DicomTags.WindowCenter, DicomVR.DS, 40);
            ds.AddOrUpdate(DicomTags.WindowWidth, DicomVR.DS, 400);
            var path = dir.File($"ct{i:D3}.dcm");
            using (var fs = File.Create(path)) DicomFileWriter.Write(fs, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            files.Add(path);
        }
        using var model = new ModelLoader(NullLogger<ModelLoader>.Instance)
            .Load(Path.Combine(SharedData.RepoRoot, "models", "phantom-lesion"), new InferenceOptions { Device = InferenceDevice.Cpu });
        var result = new AnalysisPipeline(TimeProvider.System).AnalyzeFiles(files, model);
        result.Status.Should().Be(AnalysisStatus.Completed, result.Reason);
        result.Lesions.Should().NotBeEmpty();
        var encoded = new ResultEncoder(TimeProvider.System).Encode(result, series, model.Manifest, ResultObjects.SegmentationAndReport);

        await using var server = await ViewerServer.StartAsync(dicomWeb: true, ohif: true);
        await OhifSession.StowAsync(server.Origin, series);
        await OhifSession.StowAsync(server.Origin, [encoded.Segmentation!, encoded.MeasurementReport!]);
        var study = series[0].GetString(DicomTags.StudyInstanceUID)!;

        await using var browser = await OhifViewerTests.Browser.LaunchAsync();
        await using var session = await OhifSession.OpenAsync(browser.Instance, "ohif-result");
        var page = session.Page;
        await page.GotoAsync($"{server.Origin}/viewer?StudyInstanceUIDs={study}");
        await page.WaitForFunctionAsync(CountLitPixelsJs, null, new PageWaitForFunctionOptions { Timeout = 120_000, PollingInterval = 500 });
        var before = await ColouredPixelsAsync(page, -1, 10_000);
        await session.ShotAsync("ohif-seg-before.png");

        // The SEG is its own display set in the study browser: double-clicking puts it in the viewport, which asks to open it.
        await OpenDisplaySetAsync(page, "SEG", confirm: true);
        var coloured = await ColouredPixelsAsync(page, before + 100, 120_000);
        await session.ShotAsync("ohif-seg-after.png");
        coloured.Should().BeGreaterThan(before + 100, "the SEG's segments are drawn in colour over the grey CT");

        // The SR opens in OHIF's SR viewport, on the key image of a measurement group, without tracking it (hydrating
        // it into the measurement panel is a separate prompt, not answered here). OHIF merges the TID 1411 and TID 1410
        // groups of a lesion by Tracking Unique Identifier, draws the group's top-level SCOORD and writes its first five NUMs
        // (CodeMeaning: Number(NumericValue).toFixed(2) unit) in the text box. That SCOORD is the TID 1410 Image Region (the
        // lesion's bounding box on the key slice), so OHIF draws the box, not the RECIST axes (SCOORDs under the Long and
        // Short Axis NUMs), and the volumetric NUMs fill the five lines before the axis lengths.
        // OHIF adds the annotations after the key image has rendered and does not always draw them until the next render:
        // stepping to the next measurement with the viewport's arrow, as a reader would, renders its key image with them.
        await OpenDisplaySetAsync(page, "SR", confirm: false);
        var next = page.Locator("[data-cy='viewport-action-arrows-right'] svg").First;
        await next.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await next.ClickAsync();
        var shapes = await (await page.WaitForFunctionAsync(CountAnnotationShapesJs, null,
            new PageWaitForFunctionOptions { Timeout = 120_000, PollingInterval = 500 })).JsonValueAsync<int>();
        var volumes = result.Lesions.Select(l => "Volume: " + l.Measurements.VolumeMesh.ToString("F2", CultureInfo.InvariantCulture) + " mm3").ToList();
        var annotationText = page.Locator("svg.svg-layer tspan").Filter(new LocatorFilterOptions { HasTextString = "Volume: " }).First;
        await annotationText.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await session.ShotAsync("ohif-sr-after.png");
        shapes.Should().BeGreaterThan(0, "the SR's measurement graphic is drawn on its key image");
        (await annotationText.TextContentAsync()).Should().BeOneOf(volumes, "the text box shows the SR's volume of one of the analysed lesions");
        (await page.GetByText("Something went wrong").CountAsync()).Should().Be(0, "OHIF reported no error");
    }

    private static async Task<int> ColouredPixelsAsync(IPage page, int above, float timeoutMs)
    {
        var handle = await page.WaitForFunctionAsync(CountColouredPixelsJs, above, new PageWaitForFunctionOptions { Timeout = timeoutMs, PollingInterval = 500 });
        return int.Parse(await handle.JsonValueAsync<string>(), CultureInfo.InvariantCulture);
    }

    /// <summary>Double-clicks the study browser's thumbnail of the first display set of <paramref name="modality"/>; with <paramref name="confirm"/>, answers "Yes" to the viewport's prompt to open it.</summary>
    private static async Task OpenDisplaySetAsync(IPage page, string modality, bool confirm)
    {
        var thumbnail = page.Locator("[data-cy^='study-browser-thumbnail']")
            .Filter(new LocatorFilterOptions { Has = page.Locator("[data-cy='series-modality-label']", new PageLocatorOptions { HasTextRegex = new System.Text.RegularExpressions.Regex("^" + modality + "$") }) })
            .First;
        await thumbnail.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await thumbnail.DblClickAsync();
        if (!confirm) return;
        var yes = page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Yes", Exact = true }).First;
        await yes.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await yes.ClickAsync();
    }
}
