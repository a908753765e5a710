using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Query;
using MedNode.Core.QueryRetrieve;
using MedNode.Core.Storage;
using MedNode.Dicom.Network.Server;
using MedNode.Persistence.Storage;

namespace MedNode.Host;

/// <summary>Runs the DIMSE listener (C-ECHO, C-STORE, C-FIND, C-MOVE, C-GET) for the life of the host.</summary>
public sealed class DimseHostedService(DicomServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
}

public static class DimseServiceCollectionExtensions
{
    /// <summary>
    /// Registers the blob store, the ingest service (the index comes from AddMedNodePersistence) and the DIMSE listener from
    /// <c>MedNode:Dimse</c>. Bad settings fail at start-up with the setting's name.
    /// </summary>
    public static IServiceCollection AddMedNodeDimse(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(DimseSettings.Section).Get<DimseSettings>() ?? new DimseSettings();
        var serverOptions = settings.ToServerOptions(TimeProvider.System);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IBlobStore>(_ => new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = settings.StoragePath, MinFreeBytes = settings.MinFreeBytes }));
        services.AddSingleton(new IngestOptions { DuplicatePolicy = settings.DuplicatePolicy });
        services.AddSingleton<IIngestService>(sp => new IngestService(
            sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IInstanceIndex>(), sp.GetRequiredService<IngestOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetServices<IInstanceStoredListener>(), sp.GetRequiredService<ILogger<IngestService>>()));
        services.AddSingleton(sp => new DicomServer(serverOptions,
            new IngestStoreScpHandler(sp.GetRequiredService<IIngestService>(), sp.GetRequiredService<IBlobStore>()),
            sp.GetRequiredService<ILogger<DicomServer>>())
        {
            QueryRetrieveHandler = new QueryRetrieveScpHandler(sp.GetRequiredService<IQueryIndex>(), sp.GetRequiredService<IBlobStore>(), settings.ToMoveDestinations()),
        });
        if (settings.Enabled) services.AddHostedService<DimseHostedService>();
        return services;
    }
}
