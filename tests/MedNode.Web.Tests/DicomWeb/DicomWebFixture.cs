using System.Net.Http.Headers;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Storage;
using MedNode.Persistence;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;
using MedNode.Web.Api;
using MedNode.Web.DicomWeb;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>
/// The DICOMweb endpoints on a real Kestrel at 127.0.0.1:0, with a blob folder in a temp dir and the index on the
/// derived fixture's database (<see cref="SqliteDicomWebFixture"/>, <see cref="PostgresDicomWebFixture"/>), migrated as at start-up.
/// </summary>
public abstract class DicomWebFixture : IAsyncLifetime
{
    public const string Origin = "http://viewer.test";

    private readonly TempDir _dir = new("mednode-web-");
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The running application's services (index, blob store).</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The fixture did not start.");

    protected string TempPath(string name) => _dir.File(name);

    /// <summary>The blob store's free-space watermark (<see cref="FileSystemBlobStoreOptions.MinFreeBytes"/>).</summary>
    protected virtual long MinFreeBytes => 0;

    /// <summary>Whether the corpus instances are stored at start.</summary>
    protected virtual bool StoresCorpus => true;

    /// <summary>The <c>MedNode:Database</c> provider and connection string, or null when the database is missing outside CI.</summary>
    protected abstract Task<(string Provider, string ConnectionString)?> DatabaseAsync();

    public async Task InitializeAsync()
    {
        if (await DatabaseAsync() is not { } database) return;
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MedNode:Database:Provider"] = database.Provider,
            ["MedNode:Database:ConnectionString"] = database.ConnectionString,
            ["MedNode:DicomWeb:CorsOrigins:0"] = Origin,
            ["MedNode:DicomWeb:MaxQueryResults"] = "100",
            // These tests are about DICOMweb itself; authentication has its own (Security/).
            ["MedNode:Security:AllowAnonymous"] = "true",
        });
        builder.Services.AddMedNodePersistence(builder.Configuration);
        builder.Services.AddDicomWeb(builder.Configuration);
        builder.Services.AddNodeApi();
        builder.Services.AddMedNodeSecurity(builder.Configuration);
        builder.Services.AddSingleton<IBlobStore>(new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("blobs"), MinFreeBytes = MinFreeBytes }));
        builder.Services.AddSingleton<IIngestService>(sp => new IngestService(sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IInstanceIndex>()));
        _app = builder.Build();
        _app.UseCors();
        _app.UseMedNodeSecurity();
        _app.MapNodeApi();
        _app.MapDicomWeb();
        await _app.Services.InitializeMedNodeDatabaseAsync(CancellationToken.None);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address) };
        if (StoresCorpus && SharedData.Exists("corpus"))
        {
            using var response = await Client.PostAsync("/dicomweb/studies", Multipart.Dicom(Golden.CtImage1, Golden.CtImage2, Golden.MrSlice));
            response.EnsureSuccessStatusCode();
        }
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_app != null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

public class SqliteDicomWebFixture : DicomWebFixture
{
    protected override Task<(string Provider, string ConnectionString)?> DatabaseAsync() =>
        Task.FromResult<(string, string)?>(("Sqlite", $"Data Source={TempPath("index.db")}"));
}

/// <summary>A node whose blob store is always below its watermark (more free bytes asked for than any disk has).</summary>
public sealed class FullDiskDicomWebFixture : SqliteDicomWebFixture
{
    protected override long MinFreeBytes => long.MaxValue;

    protected override bool StoresCorpus => false;
}

public sealed class PostgresDicomWebFixture : DicomWebFixture
{
    protected override async Task<(string Provider, string ConnectionString)?> DatabaseAsync()
    {
        // Outside CI without PostgreSQL the tests are skipped ([RequiresPostgres]); the fixture then starts nothing.
        if (PostgresPeer.MissingReason != null && !SharedData.InCi) return null;
        return ("PostgreSQL", await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync());
    }
}

/// <summary>Builds multipart/related request bodies.</summary>
internal static class Multipart
{
    public static HttpContent Dicom(params string[] corpusFiles) =>
        Parts(corpusFiles.Select(f => ("application/dicom", File.ReadAllBytes(Corpus.FullPath(f)))).ToArray());

    public static HttpContent Parts(params (string ContentType, byte[] Bytes)[] parts)
    {
        var content = new MultipartContent("related", "mednode-test-boundary");
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        foreach (var (type, bytes) in parts)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            content.Add(part);
        }
        return content;
    }
}

/// <summary>Corpus files and their UIDs as DCMTK dcmdump prints them (the golden values of these tests).</summary>
internal static class Golden
{
    public const string CtImage1 = "uncompressed/dcmqi__23x38x3_image_IMG0001.dcm";
    public const string CtImage2 = "uncompressed/dcmqi__23x38x3_image_IMG0002.dcm";
    public const string MrSlice = "uncompressed/dcmqi__pm-example-slice.dcm";
    public const string JpegBaseline = "jpeg/dicomParser__CT0012.fragmented_no_bot_jpeg_baseline.51.dcm";

    public const string CtStudy = "1.2.826.0.1.3680043.2.1125.1.99615878007501689887866317012655114";
    public const string CtSeries = "1.2.826.0.1.3680043.2.1125.1.31406211013692525450623069050794718";
    public const string CtSop1 = "1.2.826.0.1.3680043.2.1125.1.48512289027692760970921807163463783";
    public const string CtSop2 = "1.2.826.0.1.3680043.2.1125.1.87332118640148086231551956812617986";
    public const string MrStudy = "1.3.6.1.4.1.14519.5.2.1.3671.7001.133687106572018334063091507027";
    public const string MrSeries = "1.3.6.1.4.1.14519.5.2.1.3671.7001.261913302903961139526297576821";
    public const string MrSop = "1.3.6.1.4.1.14519.5.2.1.3671.7001.261174908113108792755326592408";
    public const string JpegStudy = "1.3.6.1.4.1.5962.1.2.10.1166562673.14401";

    /// <summary>The MR slice's pixel value length from the corpus manifest (GDCM).</summary>
    public const int MrPixelBytes = 131072;
}
