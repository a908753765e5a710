using System.Collections.Concurrent;
using System.Net.Http.Headers;
using MedNode.Dicom;
using MedNode.TestSupport;
using Microsoft.Playwright;

namespace MedNode.Viewer.Tests;

/// <summary>
/// One OHIF page in a 1280x800 viewport with the guided tour dismissed; its console, page errors and HTTP responses are kept
/// and written, with the final DOM, beside the screenshots in .test-output/artifacts/ when the session ends.
/// </summary>
internal sealed class OhifSession : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly string _name;

    private OhifSession(IPage page, string name)
    {
        Page = page;
        _name = name;
    }

    public IPage Page { get; }

    public static string Artifacts => Path.Combine(SharedData.RepoRoot, ".test-output", "artifacts");

    public static async Task<OhifSession> OpenAsync(IBrowser browser, string name)
    {
        Directory.CreateDirectory(Artifacts);
        var page = await OhifPages.NewPageAsync(browser);
        var session = new OhifSession(page, name);
        page.Console += (_, m) => session._log.Enqueue($"console.{m.Type}: {m.Text}");
        page.PageError += (_, e) => session._log.Enqueue("pageerror: " + e);
        page.RequestFailed += (_, r) => session._log.Enqueue($"failed: {r.Method} {r.Url} {r.Failure}");
        page.Response += (_, r) => session._log.Enqueue($"{r.Status} {r.Request.Method} {r.Url}");
        return session;
    }

    public Task ShotAsync(string file) => Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, file) });

    /// <summary>Stores data sets in MedNode over STOW-RS (PS3.18 10.5), one multipart/related request.</summary>
    public static async Task StowAsync(string origin, IEnumerable<DicomDataset> datasets)
    {
        using var content = new MultipartContent("related", "mednode-viewer-boundary");
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        foreach (var ds in datasets)
        {
            using var ms = new MemoryStream();
            DicomFileWriter.Write(ms, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            var part = new ByteArrayContent(ms.ToArray());
            part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
            content.Add(part);
        }
        using var http = new HttpClient { BaseAddress = new Uri(origin) };
        using var response = await http.PostAsync("/dicomweb/studies", content);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ShotAsync(_name + "-final.png");
            await File.WriteAllTextAsync(Path.Combine(Artifacts, _name + ".html"), await Page.ContentAsync());
        }
        finally
        {
            await File.WriteAllLinesAsync(Path.Combine(Artifacts, _name + ".log"), _log);
        }
    }
}
