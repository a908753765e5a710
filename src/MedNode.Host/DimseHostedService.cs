using MedNode.Core.Admin;
using MedNode.Core.ApplicationEntities;
using MedNode.Core.Audit;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Query;
using MedNode.Core.QueryRetrieve;
using MedNode.Core.Storage;
using MedNode.Core.StorageCommitment;
using MedNode.Dicom.Network.Server;
using MedNode.Persistence.Storage;

namespace MedNode.Host;

/// <summary>
/// Runs the DIMSE listener (C-ECHO, C-STORE, C-FIND, C-MOVE, C-GET, Storage Commitment) for the life of the host, with
/// the AEs the admin API stored before applied first; checkpoints the ingest journal when it stops.
/// </summary>
public sealed class DimseHostedService(DicomServer server, IBlobStore store, ApplicationEntityCatalog aes) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await aes.LoadAsync(cancellationToken);
        await server.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await server.StopAsync(cancellationToken);
        if (store is FileSystemBlobStore fs) await fs.CheckpointAsync(all: true, cancellationToken);
    }
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
        services.AddSingleton<IBlobStore>(sp =>
        {
            try
            {
                return new FileSystemBlobStore(new FileSystemBlobStoreOptions
                {
                    RootPath = settings.StoragePath,
                    MinFreeBytes = settings.MinFreeBytes,
                    UseIngestJournal = settings.IngestJournal,
                    MakeIndexDurableAsync = ct => sp.GetRequiredService<IInstanceIndex>() is IIndexDurability d ? d.MakeDurableAsync(ct) : Task.CompletedTask,
                    Integrity = sp.GetService<BlobIntegrityOptions>(),
                    TimeProvider = sp.GetRequiredService<TimeProvider>(),
                    IntegrityLogger = sp.GetService<ILogger<BlobIntegrityService>>(),
                });
            }
            catch (IngestJournalInUseException e)
            {
                throw new InvalidOperationException($"{e.Message} Another node uses MedNode:Dimse:StoragePath ({settings.StoragePath}) with its journal; "
                    + "give this node its own storage path, or set MedNode:Dimse:IngestJournal=false on every node but the one that receives.", e);
            }
        });
        services.AddSingleton(new IngestOptions { DuplicatePolicy = settings.DuplicatePolicy });
        services.AddSingleton<IIngestService>(sp => new IngestService(
            sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IInstanceIndex>(), sp.GetRequiredService<IngestOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetServices<IInstanceStoredListener>(), sp.GetRequiredService<ILogger<IngestService>>()));
        services.AddSingleton(sp => settings.ToCatalog(sp.GetService<IAdminStateStore>() ?? new InMemoryAdminStateStore()));
        services.AddSingleton(sp =>
        {
            var aes = sp.GetRequiredService<ApplicationEntityCatalog>();
            var queryRetrieve = new QueryRetrieveScpHandler(sp.GetRequiredService<IQueryIndex>(), sp.GetRequiredService<IBlobStore>(), aes.MoveDestinations(), sp.GetService<IAuditSink>());
            var server = new DicomServer(serverOptions,
                new IngestStoreScpHandler(sp.GetRequiredService<IIngestService>(), sp.GetRequiredService<IBlobStore>()),
                sp.GetRequiredService<ILogger<DicomServer>>())
            {
                StorageCommitment = new StorageCommitmentService(sp.GetRequiredService<IInstanceIndex>(), sp.GetRequiredService<IBlobStore>()),
                StorageCommitmentReports = sp.GetService<IStorageCommitmentReportHandler>(),
                QueryRetrieveHandler = queryRetrieve,
                AssociationObserver = sp.GetService<IAssociationObserver>(),
                SecurityEvents = sp.GetService<IAuditTrail>() is { } audit ? new DimseSecurityAudit(audit, settings.AeTitle) : null,
            };
            // Changes through the admin API apply to the running listener: the next association sees them.
            server.UpdateAccess(aes.ToServerAccess());
            aes.Changed += c =>
            {
                server.UpdateAccess(c.ToServerAccess());
                queryRetrieve.MoveDestinations = c.MoveDestinations();
            };
            return server;
        });
        if (settings.Enabled) services.AddHostedService<DimseHostedService>();
        return services;
    }

    /// <summary>
    /// Start-up recovery of the ingest journal (before any listener starts): instances acknowledged before a crash are
    /// written to their files again and re-indexed. Returns how many were recovered.
    /// </summary>
    public static async Task<int> RecoverIngestJournalAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        if (services.GetRequiredService<IBlobStore>() is not FileSystemBlobStore store || services.GetRequiredService<IIngestService>() is not IngestService ingest) return 0;
        var recovered = await store.RecoverJournalAsync(ingest.ReindexAsync, cancellationToken);
        return recovered.Count;
    }
}
