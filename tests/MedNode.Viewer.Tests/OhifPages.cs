using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Playwright;

namespace MedNode.Viewer.Tests;

/// <summary>
/// The OHIF tests share one xUnit collection: each drives a headless Chromium that renders with SwiftShader on the CPU. With
/// the three test classes in parallel, beside the other test assemblies on a two-core machine, CI once saw both same-origin
/// tests miss Playwright's 30 s for the load event of OHIF's first page (which loads in 4–17 s here when it runs alone).
/// </summary>
[CollectionDefinition(Name)]
public sealed class OhifCollection
{
    public const string Name = "OHIF in Chromium";
}

/// <summary>Page settings and navigation shared by the OHIF tests.</summary>
internal static class OhifPages
{
    /// <summary>Playwright's default of 30 s per navigation and action, raised: OHIF's bundles load and compile in 4–17 s on an idle
    /// two-core machine and several times that while other test assemblies run. The waits that decide a test give their own limits.</summary>
    public const float DefaultTimeoutMs = 180_000;

    /// <summary>Opens a page in a 1280x800 viewport with OHIF's guided tour dismissed and <see cref="DefaultTimeoutMs"/> limits.</summary>
    public static async Task<IPage> NewPageAsync(IBrowser browser)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        page.SetDefaultNavigationTimeout(DefaultTimeoutMs);
        page.SetDefaultTimeout(DefaultTimeoutMs);
        await page.AddInitScriptAsync("localStorage.setItem('shownTours', JSON.stringify(['basicViewerTour']));");
        return page;
    }

    /// <summary>
    /// Navigates to <paramref name="url"/> and waits for the document, not for every script and font (the load event): what the
    /// test waits for next says whether OHIF ran. Should the navigation fail, the exception names the requests still open and
    /// the time taken, so that a CI log that keeps only the message says which request did not finish.
    /// </summary>
    public static async Task GotoAsync(IPage page, string url)
    {
        var open = new ConcurrentDictionary<IRequest, long>();
        void Started(object? _, IRequest r) => open[r] = Stopwatch.GetTimestamp();
        void Ended(object? _, IRequest r) => open.TryRemove(r, out long _);
        page.Request += Started;
        page.RequestFinished += Ended;
        page.RequestFailed += Ended;
        var start = Stopwatch.GetTimestamp();
        try
        {
            await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException)
        {
            var pending = open.Select(kv => $"{kv.Key.Method} {kv.Key.Url} (open {Stopwatch.GetElapsedTime(kv.Value).TotalSeconds:F0} s)").Take(20);
            throw new TimeoutException(
                $"navigating to {url} failed after {Stopwatch.GetElapsedTime(start).TotalSeconds:F0} s; requests still open: " +
                (open.IsEmpty ? "none" : string.Join("; ", pending)), e);
        }
        finally
        {
            page.Request -= Started;
            page.RequestFinished -= Ended;
            page.RequestFailed -= Ended;
        }
    }
}
