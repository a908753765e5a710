using System.Net.Http.Headers;
using MedNode.Analysis.Phantoms;
using MedNode.Dicom;
using MedNode.TestSupport;
using Microsoft.Playwright;

namespace MedNode.Viewer.Tests;

/// <summary>
/// OHIF 3.13.2 (prebuilt, npm pack @ohif/app) in headless Debian Chromium driven by Playwright, reading a synthetic CT series
/// from MedNode over QIDO-RS and WADO-RS: same origin, and cross-origin through CORS.
/// </summary>
[Collection(OhifCollection.Name)]
public sealed class OhifViewerTests
{
    internal const string Chromium = "/usr/bin/chromium";
    internal const string OhifIndex = "ohif/package/dist/index.html";

    /// <summary>Counts the non-black pixels of the largest 2D viewport canvas; false (keep polling) until there are many.</summary>
    private const string CountLitPixelsJs = """
        () => {
          const canvases = [...document.querySelectorAll('canvas.cornerstone-canvas'), ...document.querySelectorAll('canvas')];
          let best = 0;
          for (const c of canvases) {
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

    [RequiresTestDepsFact(OhifIndex, null, Chromium), Trait("Conformance", "PS3.18 10.4, 10.6 (OHIF 3.13.2)")]
    public Task Ohif_SameOrigin_StudyListShowsDescriptionAndViewerDrawsTheCt() => SameOriginAsync(null, "ohif-same-origin.png");

    /// <summary>OHIF and DICOMweb on one server whose index is <paramref name="database"/> (null: SQLite): the study list, then the CT drawn.</summary>
    internal static async Task SameOriginAsync((string Provider, string ConnectionString)? database, string screenshot)
    {
        await using var server = await ViewerServer.StartAsync(dicomWeb: true, ohif: true, database: database);
        var (study, description) = await StorePhantomAsync(server.Origin);
        await using var browser = await Browser.LaunchAsync();
        await OpenInOhifAsync(browser, server.Origin, study, description, screenshot);
    }

    [RequiresTestDepsFact(OhifIndex, null, Chromium), Trait("Conformance", "PS3.18 10.4 + CORS (Fetch standard)")]
    public async Task Ohif_CrossOrigin_PreflightedRequestsSucceedAndViewerDrawsTheCt()
    {
        await using var ohif = await ViewerServer.StartAsync(dicomWeb: false, ohif: true);
        await using var node = await ViewerServer.StartAsync(dicomWeb: true, ohif: false, corsOrigin: ohif.Origin);
        ohif.DicomWebOrigin = node.Origin;
        var (study, description) = await StorePhantomAsync(node.Origin);

        await using var browser = await Browser.LaunchAsync();
        var page = await OhifPages.NewPageAsync(browser.Instance);
        await OhifPages.GotoAsync(page, ohif.Origin + "/app-config.js");
        // A quoted type= parameter is not CORS-safelisted, so Chromium sends a preflight first; the fetch fails unless it passes.
        var result = await page.EvaluateAsync<string>($$"""
            async () => {
              const r = await fetch('{{node.Origin}}/dicomweb/studies/{{study}}/metadata', { headers: { Accept: 'application/dicom+json, multipart/related; type="application/octet-stream"' } });
              const body = await r.json();
              return r.status + ' ' + r.headers.get('etag') + ' ' + body[0]['0020000D'].Value[0];
            }
            """);
        result.Should().MatchRegex("^200 \"[0-9a-f]+\" " + study.Replace(".", "\\.", StringComparison.Ordinal) + "$", "the ETag is an exposed header");
        await OpenInOhifAsync(browser, ohif.Origin, study, description, "ohif-cross-origin.png");
    }

    private static async Task OpenInOhifAsync(Browser browser, string ohifOrigin, string study, string description, string screenshot)
    {
        var page = await OhifPages.NewPageAsync(browser.Instance);
        var shot = Path.Combine(SharedData.RepoRoot, ".test-output", "artifacts", screenshot);
        Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
        // The browser's console and the HTTP requests, kept beside the screenshot to explain a failure.
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Console += (_, m) => log.Enqueue($"console.{m.Type}: {m.Text}");
        page.PageError += (_, e) => log.Enqueue("pageerror: " + e);
        page.RequestFailed += (_, r) => log.Enqueue($"failed: {r.Method} {r.Url} {r.Failure}");
        page.Response += (_, r) => log.Enqueue($"{r.Status} {r.Request.Method} {r.Url} accept={r.Request.Headers.GetValueOrDefault("accept")}");
        try
        {
            await OhifPages.GotoAsync(page, ohifOrigin + "/");
            await page.GetByText(description).First.WaitForAsync(new LocatorWaitForOptions { Timeout = 180_000 });
            await OhifPages.GotoAsync(page, $"{ohifOrigin}/viewer?StudyInstanceUIDs={study}");
            var lit = await page.WaitForFunctionAsync(CountLitPixelsJs, null, new PageWaitForFunctionOptions { Timeout = 120_000, PollingInterval = 500 });
            (await lit.JsonValueAsync<int>()).Should().BeGreaterThan(20000, "the CT slice is drawn in the viewport");
        }
        finally
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
            await File.WriteAllLinesAsync(Path.ChangeExtension(shot, ".log"), log);
        }
    }

    /// <summary>Playwright and one headless Chromium (Debian's, nothing downloaded; Playwright gives it a fresh temporary profile).</summary>
    internal sealed class Browser : IAsyncDisposable
    {
        private IPlaywright? _playwright;

        public IBrowser Instance { get; private set; } = null!;

        public static async Task<Browser> LaunchAsync()
        {
            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            var b = new Browser { _playwright = await Playwright.CreateAsync() };
            b.Instance = await b._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
            });
            return b;
        }

        public async ValueTask DisposeAsync()
        {
            if (Instance != null) await Instance.DisposeAsync();
            _playwright?.Dispose();
        }
    }

    /// <summary>Stores a 24-slice synthetic CT (CtPhantom) with a Study Description over STOW-RS; returns its Study Instance UID.</summary>
    private static async Task<(string Study, string Description)> StorePhantomAsync(string origin)
    {
        var description = "MedNode phantom " + Guid.NewGuid().ToString("N")[..8];
        var series = CtPhantom.CreateSeries(new CtPhantomSpec { Columns = 160, Rows = 160, Slices = 24, Seed = 7 });
        var content = new MultipartContent("related", "mednode-viewer-boundary");
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        foreach (var ds in series)
        {
            ds.AddOrUpdate(DicomTags.StudyDescription, description);
            ds.AddOrUpdate(DicomTags.SeriesDescription, "Phantom axial");
            ds.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, 1);
            ds.AddOrUpdate(DicomTags.WindowCenter, DicomVR.DS, 40);
            ds.AddOrUpdate(DicomTags.WindowWidth, DicomVR.DS, 400);
            using var ms = new MemoryStream();
            DicomFileWriter.Write(ms, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            var part = new ByteArrayContent(ms.ToArray());
            part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
            content.Add(part);
        }
        using var http = new HttpClient { BaseAddress = new Uri(origin) };
        using var response = await http.PostAsync("/dicomweb/studies", content);
        response.EnsureSuccessStatusCode();
        return (series[0].GetString(DicomTags.StudyInstanceUID)!, description);
    }
}

/// <summary>
/// The same-origin OHIF test of <see cref="OhifViewerTests"/> with MedNode's index on PostgreSQL: OHIF's study list (QIDO-RS)
/// shows the stored study and the viewer draws it (WADO-RS). Only this one runs twice: the cross-origin test differs in CORS,
/// which does not touch the index.
/// </summary>
[RequiresPostgres, Collection(OhifCollection.Name)]
public sealed class OhifViewerPostgresTests
{
    [RequiresTestDepsFact(OhifViewerTests.OhifIndex, null, OhifViewerTests.Chromium), Trait("Conformance", "PS3.18 10.4, 10.6 (OHIF 3.13.2)")]
    public async Task Ohif_SameOriginOnPostgres_StudyListShowsDescriptionAndViewerDrawsTheCt()
    {
        var connection = await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync();
        await OhifViewerTests.SameOriginAsync(("PostgreSQL", connection), "ohif-same-origin-postgres.png");
    }
}
