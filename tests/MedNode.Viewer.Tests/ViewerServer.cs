using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Storage;
using MedNode.Persistence;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;
using MedNode.Web.DicomWeb;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace MedNode.Viewer.Tests;

/// <summary>
/// A real Kestrel at 127.0.0.1:0 serving MedNode's DICOMweb (SQLite index unless told otherwise, blob folder in a temp dir) and/or OHIF's prebuilt
/// dist with an SPA fallback to index.html and an app-config.js that points OHIF at <c>dicomWebRoot</c>.
/// </summary>
public sealed class ViewerServer : IAsyncDisposable
{
    private readonly TempDir _dir = new("mednode-viewer-");
    private WebApplication? _app;

    public string Origin { get; private set; } = "";

    /// <summary>The origin OHIF's data source points at (read per request, so it can be set after both servers have started); null: this one.</summary>
    public string? DicomWebOrigin { get; set; }

    /// <param name="dicomWeb">Serve MedNode's DICOMweb.</param>
    /// <param name="ohif">Serve OHIF; its data source is <see cref="DicomWebOrigin"/>/dicomweb.</param>
    /// <param name="corsOrigin">An origin allowed to call DICOMweb from a browser.</param>
    /// <param name="database">The index's <c>MedNode:Database</c> provider and connection string; null: SQLite in the temp dir.</param>
    public static async Task<ViewerServer> StartAsync(bool dicomWeb, bool ohif, string? corsOrigin = null, (string Provider, string ConnectionString)? database = null)
    {
        var server = new ViewerServer();
        await server.InitAsync(dicomWeb, ohif, corsOrigin, database);
        return server;
    }

    private async Task InitAsync(bool dicomWeb, bool ohif, string? corsOrigin, (string Provider, string ConnectionString)? database)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MedNode:Database:Provider"] = database?.Provider ?? "Sqlite",
            ["MedNode:Database:ConnectionString"] = database?.ConnectionString ?? $"Data Source={_dir.File("index.db")}",
            ["MedNode:DicomWeb:CorsOrigins:0"] = corsOrigin,
            ["MedNode:Security:AllowAnonymous"] = "true",
        }.Where(kv => kv.Value != null));
        if (dicomWeb)
        {
            builder.Services.AddMedNodePersistence(builder.Configuration);
            builder.Services.AddDicomWeb(builder.Configuration);
            builder.Services.AddMedNodeSecurity(builder.Configuration);
            builder.Services.AddSingleton<IBlobStore>(new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("blobs") }));
            builder.Services.AddSingleton<IIngestService>(sp => new IngestService(sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IInstanceIndex>()));
        }
        _app = builder.Build();
        if (dicomWeb)
        {
            _app.UseCors();
            _app.UseMedNodeSecurity();
            _app.MapDicomWeb();
            await _app.Services.InitializeMedNodeDatabaseAsync(CancellationToken.None);
        }
        if (ohif)
        {
            var files = new PhysicalFileProvider(TestDeps.OhifDist);
            // The dist's own app-config.js points at a public demo server; this endpoint replaces it.
            _app.MapGet("/app-config.js", (HttpContext c) => Results.Text(AppConfig(DicomWebOrigin ?? $"{c.Request.Scheme}://{c.Request.Host}"), "application/javascript"));
            _app.UseStaticFiles(new StaticFileOptions { FileProvider = files, ServeUnknownFileTypes = true });
            _app.MapFallbackToFile("index.html", new StaticFileOptions { FileProvider = files });
        }
        await _app.StartAsync();
        Origin = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    /// <summary>OHIF 3 configuration with one DICOMweb data source (PEERS.md: wadors rendering, wildcard, relative bulk data).</summary>
    private static string AppConfig(string origin) => $$"""
        window.config = {
          routerBasename: '/',
          extensions: [],
          modes: [],
          customizationService: {},
          showStudyList: true,
          maxNumberOfWebWorkers: 2,
          showWarningMessageForCrossOrigin: false,
          showCPUFallbackMessage: false,
          showLoadingIndicator: true,
          investigationalUseDialog: { option: 'never' },
          defaultDataSourceName: 'mednode',
          dataSources: [{
            namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
            sourceName: 'mednode',
            configuration: {
              friendlyName: 'MedNode',
              name: 'mednode',
              wadoUriRoot: '{{origin}}/dicomweb',
              qidoRoot: '{{origin}}/dicomweb',
              wadoRoot: '{{origin}}/dicomweb',
              qidoSupportsIncludeField: true,
              imageRendering: 'wadors',
              thumbnailRendering: 'thumbnail',
              enableStudyLazyLoad: true,
              supportsFuzzyMatching: false,
              supportsWildcard: true,
              staticWado: false,
              singlepart: 'bulkdata,video',
              bulkDataURI: { enabled: true, relativeResolution: 'studies' },
              omitQuotationForMultipartRequest: true,
            },
          }],
        };
        """;

    public async ValueTask DisposeAsync()
    {
        if (_app != null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
