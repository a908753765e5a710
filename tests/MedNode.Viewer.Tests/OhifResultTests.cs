using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
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
/// Debian Chromium reads them back over DICOMweb: opening the SEG colours the lesions, opening the SR draws a lesion's RECIST
/// long and short axes with their lengths and its bounding box, and tracking the SR's measurements turns the boxes into
/// rectangles. Screenshots of each step go to .test-output/artifacts/.
/// </summary>
[Collection(OhifCollection.Name)]
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

    [RequiresTestDepsFact(OhifIndex, null, Chromium), Trait("Conformance", "PS3.3 A.51, PS3.16 TID 1500 (OHIF 3.13.2)")]
    public async Task Ohif_SegAndSrOfPhantomAnalysis_SegColoursLesionsAndSrDrawsRecistAxesAndBox()
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
        await OhifPages.GotoAsync(page, $"{server.Origin}/viewer?StudyInstanceUIDs={study}");
        await page.WaitForFunctionAsync(CountLitPixelsJs, null, new PageWaitForFunctionOptions { Timeout = 120_000, PollingInterval = 500 });
        var before = await ColouredPixelsAsync(page, -1, 10_000);
        await session.ShotAsync("ohif-seg-before.png");

        // The SEG is its own display set in the study browser: double-clicking puts it in the viewport, which asks to open it.
        await OpenDisplaySetAsync(page, "SEG", confirm: true);
        var coloured = await ColouredPixelsAsync(page, before + 100, 120_000);
        await session.ShotAsync("ohif-seg-after.png");
        coloured.Should().BeGreaterThan(before + 100, "the SEG's segments are drawn in colour over the grey CT");

        // The SR opens in OHIF's SR viewport on the key image of a measurement. OHIF merges the groups of a Tracking UID: the
        // lesion's TID 1411 and RECIST TID 1410 groups have no top-level SCOORD, so OHIF draws the SCOORDs the Long and Short
        // Axis NUMs are inferred from and writes "L: : <value> mm" / "W: : <value> mm" (Number(NumericValue).toFixed(2)); the
        // bounding box, in a group of its own Tracking UID, is drawn as its own annotation on the same image.
        // OHIF adds the annotations after the key image has rendered and does not draw them until the image changes. Its
        // measurements are in the SR's order of Tracking UIDs: lesion 1, lesion 1's box (same image), lesion 2, ...; stepping
        // twice with the viewport's arrow, as a reader would, renders lesion 2's key image with its annotations.
        var beforeSr = await DrawingAsync(page);
        await OpenDisplaySetAsync(page, "SR", confirm: false);
        var next = page.Locator("[data-cy='viewport-action-arrows-right'] svg").First;
        await next.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await next.ClickAsync();
        await next.ClickAsync();
        var drawn = await RecistDrawnAsync(page);
        await session.ShotAsync("ohif-sr-recist.png");
        File.WriteAllText(Path.Combine(OhifSession.Artifacts, "ohif-sr-recist.json"), drawn.GetRawText());
        AssertRecistDrawn(drawn, beforeSr, result);
        (await page.GetByText("Something went wrong").CountAsync()).Should().Be(0, "OHIF reported no error");

        // Tracking the SR's measurements: OHIF 3.13.2 in its default (simplified) tracking mode shows no prompt for an SR and
        // no LOAD button on its badge; what answering "Yes" to the prompt runs (promptHydrateStructuredReport's callback) is
        // the command hydrateSecondaryDisplaySet, run here through OHIF's own command manager (unless OHIF has hydrated the SR
        // by itself, which its simplified mode may do when the SR viewport becomes active). dcmjs's adapters map each
        // bounding-box group (a 5-point closed POLYLINE Image Region) to a RectangleROI; the groups without a top-level
        // SCOORD (TID 1411 and the RECIST TID 1410) have no Cornerstone tool and are left out, without an error.
        var tracked = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const services = window.extensionManager._servicesManager.services;
              const sr = services.displaySetService.getActiveDisplaySets().find(d => d.Modality === 'SR');
              const viewportId = services.viewportGridService.getActiveViewportId();
              if (!sr.isHydrated) await window.commandsManager.runCommand('hydrateSecondaryDisplaySet', { displaySet: sr, viewportId });
              return services.measurementService.getMeasurements().map(m => ({ tool: m.toolName, sop: m.SOPInstanceUID }));
            }
            """);
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('svg.svg-layer tspan')].some(t => t.textContent.startsWith('Area: '))",
            null, new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 500 });
        await session.ShotAsync("ohif-sr-tracked.png");
        var keySlices = result.Lesions.Select(l => result.Slices[l.Measurements.Recist!.SliceIndex].SopInstanceUid).ToList();
        tracked.EnumerateArray().Select(m => m.GetProperty("tool").GetString()).Should().OnlyContain(t => t == "RectangleROI",
            "the bounding boxes are the SR's only groups with a Cornerstone tool: {0}", tracked.GetRawText());
        tracked.EnumerateArray().Select(m => m.GetProperty("sop").GetString()).Distinct().Should().BeEquivalentTo(keySlices,
            "each lesion's box is tracked as a rectangle on its key slice");
        (await page.GetByText("Something went wrong").CountAsync()).Should().Be(0, "OHIF reported no error after tracking");
    }

    /// <summary>The annotation layer's drawing: line end points, polyline points (canvas pixels) and text lines.</summary>
    private const string DrawingJs = """
        (needRecist) => {
          const lines = [], polylines = [], texts = [];
          for (const svg of document.querySelectorAll('svg.svg-layer')) {
            for (const l of svg.querySelectorAll('line')) lines.push(['x1', 'y1', 'x2', 'y2'].map(a => Number(l.getAttribute(a))));
            for (const p of svg.querySelectorAll('polyline')) polylines.push((p.getAttribute('points') || '').split(/[\s,]+/).filter(v => v.length).map(Number));
            for (const t of svg.querySelectorAll('tspan')) texts.push(t.textContent);
          }
          if (needRecist && !(texts.some(t => t.startsWith('L: ')) && texts.some(t => t.startsWith('W: ')))) return false;
          return { lines, polylines, texts };
        }
        """;

    private static async Task<JsonElement> DrawingAsync(IPage page) =>
        await (await page.EvaluateHandleAsync(DrawingJs, false)).JsonValueAsync<JsonElement>();

    /// <summary>Polls until the annotation layer writes a long and a short axis.</summary>
    private static async Task<JsonElement> RecistDrawnAsync(IPage page) =>
        await (await page.WaitForFunctionAsync(DrawingJs, true, new PageWaitForFunctionOptions { Timeout = 120_000, PollingInterval = 500 })).JsonValueAsync<JsonElement>();

    /// <summary>
    /// The text shows the long and short axes of one analysed lesion (to OHIF's two decimals); two of the drawn lines are
    /// perpendicular with the lengths in that ratio (the pixels are square), i.e. the RECIST axes; the bounding box is drawn as
    /// an axis-aligned closed polyline that holds both axes' end points.
    /// </summary>
    private static void AssertRecistDrawn(JsonElement drawn, JsonElement before, AnalysisResult result)
    {
        static double Value(JsonElement texts, string prefix) => double.Parse(
            Regex.Match(texts.EnumerateArray().Select(t => t.GetString()!).First(t => t.StartsWith(prefix, StringComparison.Ordinal)), @"([0-9]+\.[0-9]+) mm$").Groups[1].Value,
            CultureInfo.InvariantCulture);
        var texts = drawn.GetProperty("texts");
        double l = Value(texts, "L: "), w = Value(texts, "W: ");
        var lesion = result.Lesions.Select(x => x.Measurements.Recist!)
            .FirstOrDefault(r => Math.Abs(r.LongAxisMm - l) <= 0.01 && Math.Abs(r.ShortAxisMm - w) <= 0.01);
        lesion.Should().NotBeNull($"L {l} mm and W {w} mm are the RECIST axes of an analysed lesion ({string.Join(", ", result.Lesions.Select(x => $"{x.Measurements.Recist!.LongAxisMm:F2}/{x.Measurements.Recist.ShortAxisMm:F2}"))})");

        int Shapes(JsonElement d) => d.GetProperty("lines").GetArrayLength() + d.GetProperty("polylines").GetArrayLength();
        Shapes(drawn).Should().BeGreaterThanOrEqualTo(Shapes(before) + 3, "the SR adds two axes and a box to the annotation layer");
        // The angle between the measured axes (the RECIST short axis is perpendicular to the long one up to the voxel grid).
        var (lf, lt, sf, st) = (lesion!.LongAxisFrom, lesion.LongAxisTo, lesion.ShortAxisFrom, lesion.ShortAxisTo);
        var expectedCos = ((lt.X - lf.X) * (st.X - sf.X) + (lt.Y - lf.Y) * (st.Y - sf.Y) + (lt.Z - lf.Z) * (st.Z - sf.Z))
            / (Vec3.Distance(lf, lt) * Vec3.Distance(sf, st));
        var lines = drawn.GetProperty("lines").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetDouble()).ToArray())
            .Where(a => Math.Sqrt(Sq(a[2] - a[0]) + Sq(a[3] - a[1])) > 3).ToList();
        var axes = (from a in lines from b in lines
                    let la = Math.Sqrt(Sq(a[2] - a[0]) + Sq(a[3] - a[1]))
                    let lb = Math.Sqrt(Sq(b[2] - b[0]) + Sq(b[3] - b[1]))
                    let cos = ((a[2] - a[0]) * (b[2] - b[0]) + (a[3] - a[1]) * (b[3] - b[1])) / (la * lb)
                    where la >= lb && Math.Abs(Math.Abs(cos) - Math.Abs(expectedCos)) < 0.02 && Math.Abs(la / lb - lesion!.LongAxisMm / lesion.ShortAxisMm) < 0.03 * lesion.LongAxisMm / lesion.ShortAxisMm
                    select (Long: a, Short: b)).ToList();
        axes.Should().NotBeEmpty("two drawn lines meet at the axes' angle (cos {0:F3}) with their length ratio {1:F3}: {2}", expectedCos, lesion.LongAxisMm / lesion.ShortAxisMm, drawn.GetRawText());

        var boxes = drawn.GetProperty("polylines").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetDouble()).ToArray())
            .Where(p => p.Length == 10 && p[0] == p[8] && p[1] == p[9])
            .Select(p => (X: p.Where((_, i) => i % 2 == 0).ToArray(), Y: p.Where((_, i) => i % 2 == 1).ToArray()))
            .Where(b => b.X.Distinct().Count() == 2 && b.Y.Distinct().Count() == 2).ToList();
        boxes.Should().NotBeEmpty("the bounding box is drawn as a closed axis-aligned polyline");
        var (longAxis, shortAxis) = axes[0];
        boxes.Any(b => new[] { longAxis, shortAxis }.All(a => Inside(b, a[0], a[1]) && Inside(b, a[2], a[3])))
            .Should().BeTrue("the lesion's box holds both axes' end points: {0}", drawn.GetRawText());

        static double Sq(double v) => v * v;
        static bool Inside((double[] X, double[] Y) b, double x, double y) =>
            x >= b.X.Min() - 1.5 && x <= b.X.Max() + 1.5 && y >= b.Y.Min() - 1.5 && y <= b.Y.Max() + 1.5;
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
