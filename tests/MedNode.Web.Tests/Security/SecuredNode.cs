using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MedNode.Core.Audit;
using MedNode.Core.Export;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Rules;
using MedNode.Core.Storage;
using MedNode.Persistence;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;
using MedNode.Web.Admin;
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

namespace MedNode.Web.Tests.Security;

/// <summary>
/// DICOMweb, the admin API and the upload API behind <c>MedNode:Security</c> on a real Kestrel at 127.0.0.1:0, with the
/// index and the audit trail on SQLite in a temp dir. Three API keys (reader, sender, admin), an HMAC key and an RSA key
/// for JWTs. Every log line is kept in <see cref="Logs"/>.
/// </summary>
public sealed class SecuredNode : IAsyncDisposable
{
    public const string Issuer = "https://idp.hospital.test";
    public const string Audience = "mednode";
    public const string Origin = "http://viewer.test";
    public const string ReaderKey = "reader-key-7f3a9c1e5b";
    public const string SenderKey = "sender-key-2d8e4b6a0c";
    public const string AdminKey = "admin-key-9b1c7e3f5d";

    private readonly TempDir _dir = new("mednode-security-");
    private WebApplication? _app;

    /// <summary>The HMAC key of HS256 tokens (32 random bytes).</summary>
    public byte[] HmacKey { get; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>The RSA key pair of RS256 tokens; the node is given only the public key, as a PEM file.</summary>
    public RSA Rsa { get; } = RSA.Create(2048);

    public string RsaPrivateKeyPath => _dir.File("rsa-private.pem");

    public HttpClient Client { get; private set; } = null!;

    public ConcurrentQueue<string> Logs { get; } = new();

    public IServiceProvider Services => _app!.Services;

    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <param name="overrides">Settings that replace the defaults.</param>
    /// <param name="credentials">Configure the API keys and the JWT keys; false: none at all.</param>
    public static async Task<SecuredNode> StartAsync(IDictionary<string, string?>? overrides = null, bool credentials = true)
    {
        var node = new SecuredNode();
        await node.InitAsync(overrides ?? new Dictionary<string, string?>(), credentials);
        return node;
    }

    private async Task InitAsync(IDictionary<string, string?> overrides, bool credentials)
    {
        await File.WriteAllTextAsync(_dir.File("rsa-public.pem"), Rsa.ExportSubjectPublicKeyInfoPem());
        await File.WriteAllTextAsync(RsaPrivateKeyPath, Rsa.ExportPkcs8PrivateKeyPem());
        var settings = new Dictionary<string, string?>
        {
            ["MedNode:Database:Provider"] = "Sqlite",
            ["MedNode:Database:ConnectionString"] = $"Data Source={_dir.File("index.db")}",
            ["MedNode:DicomWeb:CorsOrigins:0"] = Origin,
            ["MedNode:Security:AuditWindowSeconds"] = "0",
        };
        if (credentials) AddCredentials(settings);
        foreach (var kv in overrides) settings[kv.Key] = kv.Value;

        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(new CollectingLoggerProvider(Logs));
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMedNodePersistence(builder.Configuration);
        builder.Services.AddDicomWeb(builder.Configuration);
        builder.Services.AddNodeApi();
        builder.Services.AddMedNodeSecurity(builder.Configuration);
        // The DICOMweb audit events queue here; tests append them with DrainAsync (no hosted loop in this fixture).
        builder.Services.AddSingleton(sp => new BackgroundAuditWriter(sp.GetRequiredService<IAuditTrail>(), TimeProvider.System))
            .AddSingleton<IAuditSink>(sp => sp.GetRequiredService<BackgroundAuditWriter>());
        builder.Services.AddSingleton<IBlobStore>(new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("blobs"), MinFreeBytes = 0 }));
        builder.Services.AddSingleton<IIngestService>(sp => new IngestService(sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IInstanceIndex>()));
        var rules = new RuleSource(RuleEngine.Create([]));
        builder.Services.AddSingleton(rules).AddSingleton<IRuleSource>(rules).AddSingleton(new DestinationCatalog([])).AddSingleton(new DestinationTester(new HttpClient()));
        _app = builder.Build();
        _app.UseCors();
        _app.UseMedNodeSecurity();
        _app.MapNodeApi();
        _app.MapDicomWeb();
        _app.MapMedNodeAdmin();
        await _app.Services.InitializeMedNodeDatabaseAsync(CancellationToken.None);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address) };
    }

    private void AddCredentials(Dictionary<string, string?> settings)
    {
        settings["MedNode:Security:Jwt:Issuers:0"] = Issuer;
        settings["MedNode:Security:Jwt:Audiences:0"] = Audience;
        settings["MedNode:Security:Jwt:SymmetricKeys:0"] = Convert.ToBase64String(HmacKey);
        settings["MedNode:Security:Jwt:PublicKeyFiles:0"] = _dir.File("rsa-public.pem");
        settings["MedNode:Security:Jwt:ClockSkewSeconds"] = "0";
        string[][] keys = [["reader-app", ReaderKey, "reader"], ["sender-app", SenderKey, "sender"], ["admin-app", AdminKey, "admin"]];
        for (int i = 0; i < keys.Length; i++)
        {
            settings[$"MedNode:Security:ApiKeys:{i}:Name"] = keys[i][0];
            settings[$"MedNode:Security:ApiKeys:{i}:Sha256"] = Sha256Hex(keys[i][1]);
            settings[$"MedNode:Security:ApiKeys:{i}:Roles:0"] = keys[i][2];
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_app != null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Rsa.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}

/// <summary>One secured node shared by the tests of a class.</summary>
public sealed class SecuredNodeFixture : IAsyncLifetime
{
    public SecuredNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await SecuredNode.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();
}
