using MedNode.Host.Configuration;
using MedNode.Host.Observability;
using MedNode.Persistence;
using MedNode.Web.Admin;
using MedNode.Web.Api;
using MedNode.Web.DicomWeb;
using MedNode.Web.Security;

namespace MedNode.Host;

/// <summary>`mednode serve`: the composition root of the node (DIMSE listener, index, DICOMweb).</summary>
public static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddMedNodeSources(args);
        builder.Services.AddMedNodeOptionsValidation(builder.Configuration);
        builder.AddMedNodeObservability();
        EnsureSqliteFolder(builder.Configuration["MedNode:Database:ConnectionString"]);
        builder.Services.AddMedNodePersistence(builder.Configuration);
        builder.Services.AddMedNodeAuditExport(builder.Configuration);
        builder.Services.AddMedNodeAuditWriter();
        builder.Services.AddMedNodeDimse(builder.Configuration);
        builder.Services.AddMedNodeStorageIntegrity(builder.Configuration);
        builder.Services.AddDicomWeb(builder.Configuration);
        builder.Services.AddNodeApi();
        builder.Services.AddMedNodeSecurity(builder.Configuration);
        builder.Services.AddMedNodeLoop(builder.Configuration);
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, Hosting.LargeBlockMemoryPoolFactory>();
        var app = builder.Build();
        await app.Services.InitializeMedNodeDatabaseAsync(CancellationToken.None);
        var recovered = await app.Services.RecoverIngestJournalAsync(CancellationToken.None);
        if (recovered > 0) app.Logger.LogWarning("Recovered {Count} instances from the ingest journal", recovered);
        app.UseMedNodeObservability();
        app.UseCors();
        app.UseMedNodeSecurity();
        app.MapNodeApi();
        app.MapDicomWeb();
        app.MapMedNodeAdmin();
        app.MapMedNodeUpload();
        try
        {
            await app.StartAsync();
        }
        catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // SIGTERM or Ctrl+C while the hosted services were still starting (the DIMSE listener may already have
            // answered): a requested stop, not a failure. What had started is stopped gracefully below.
            app.Logger.LogInformation("Stop requested during start-up");
        }
        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    /// <summary>SQLite creates the database file but not its folder.</summary>
    private static void EnsureSqliteFolder(string? connectionString)
    {
        const string key = "Data Source=";
        if (connectionString == null || !connectionString.StartsWith(key, StringComparison.OrdinalIgnoreCase)) return;
        var path = connectionString[key.Length..].Split(';')[0];
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
    }
}
