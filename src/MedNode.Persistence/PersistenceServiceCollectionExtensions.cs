using MedNode.Core.Audit;
using MedNode.Core.Export;
using MedNode.Core.Index;
using MedNode.Core.Jobs;
using MedNode.Core.Query;
using MedNode.Core.Storage;
using MedNode.Persistence.Index;
using MedNode.Persistence.Loop;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Persistence;

/// <summary>Options of the index database, section <c>MedNode:Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "MedNode:Database";

    /// <summary><c>Sqlite</c> (default, embedded) or <c>PostgreSQL</c> (also accepted: <c>Postgres</c>).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>The provider's connection string; for SQLite the default is <c>Data Source=mednode.db</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite <c>PRAGMA synchronous</c> for every connection: <c>NORMAL</c> (default) or <c>FULL</c>. In WAL mode NORMAL
    /// does not flush each commit, so a single index write is NOT durable by itself; MedNode stays durable because every
    /// acknowledged instance is in the ingest journal, which re-indexes it at start-up, and a journal segment is deleted
    /// only after <see cref="EfInstanceIndex.MakeDurableAsync"/> has synced the WAL. Use FULL without the ingest journal.
    /// </summary>
    public string SqliteSynchronous { get; set; } = "NORMAL";
}

/// <summary>The index database providers, each with its own migration set.</summary>
public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the index database (<c>MedNode:Database:Provider</c>, <c>MedNode:Database:ConnectionString</c>) and
    /// <see cref="EfInstanceIndex"/> as <see cref="IInstanceIndex"/> and, behind <see cref="SequenceMatchingQueryIndex"/>, as <see cref="IQueryIndex"/>. Call
    /// <see cref="InitializeMedNodeDatabaseAsync"/> at start-up to apply the provider's migrations.
    /// </summary>
    public static IServiceCollection AddMedNodePersistence(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        services.AddSingleton<IDbContextFactory<MedNodeDbContext>>(new MedNodeDbContextFactory(options));
        services.AddSingleton<EfInstanceIndex>();
        services.AddSingleton<IInstanceIndex>(sp => sp.GetRequiredService<EfInstanceIndex>());
        services.AddSingleton<IQueryIndex>(sp => new SequenceMatchingQueryIndex(sp.GetRequiredService<EfInstanceIndex>(), sp.GetService<IBlobStore>()));
        services.AddSingleton<IJobQueue>(sp => new EfJobQueue(sp.GetRequiredService<IDbContextFactory<MedNodeDbContext>>(), sp.GetService<TimeProvider>()));
        services.AddSingleton<IOutbox>(sp => new EfOutbox(sp.GetRequiredService<IDbContextFactory<MedNodeDbContext>>()));
        services.AddSingleton<IAuditTrail>(sp => new EfAuditTrail(sp.GetRequiredService<IDbContextFactory<MedNodeDbContext>>(), sp.GetService<TimeProvider>(),
            configuration.GetSection("MedNode:Audit").Get<AuditOptions>()));
        services.AddSingleton<MedNode.Core.Admin.IAdminStateStore>(sp => new Admin.EfAdminStateStore(sp.GetRequiredService<IDbContextFactory<MedNodeDbContext>>(), sp.GetService<TimeProvider>()));
        return services;
    }

    /// <summary>Applies the provider to an options builder; an unknown provider is a start-up error naming the setting.</summary>
    public static DatabaseProvider Configure(DbContextOptionsBuilder builder, DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Provider.ToUpperInvariant())
        {
            case "SQLITE":
                builder.UseSqlite(options.ConnectionString ?? "Data Source=mednode.db")
                    .AddInterceptors(options.SqliteSynchronous.ToUpperInvariant() switch
                    {
                        "NORMAL" => SqliteSynchronousInterceptor.Normal,
                        "FULL" => SqliteSynchronousInterceptor.Full,
                        _ => throw new InvalidOperationException($"{DatabaseOptions.Section}:SqliteSynchronous '{options.SqliteSynchronous}' is not NORMAL or FULL."),
                    });
                return DatabaseProvider.Sqlite;
            case "POSTGRESQL" or "POSTGRES":
                builder.UseNpgsql(options.ConnectionString
                    ?? throw new InvalidOperationException($"{DatabaseOptions.Section}:ConnectionString is required for PostgreSQL."));
                return DatabaseProvider.PostgreSql;
            default:
                throw new InvalidOperationException($"{DatabaseOptions.Section}:Provider '{options.Provider}' is not Sqlite or PostgreSQL.");
        }
    }

    /// <summary>
    /// Applies the provider's migrations (creating the database when absent). A database that holds the index tables but no
    /// migration history was made by a pre-release build (EnsureCreated); it is refused with a message, not altered.
    /// SQLite is switched to WAL so that readers do not block the writer.
    /// </summary>
    public static async Task InitializeMedNodeDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var factory = services.GetRequiredService<IDbContextFactory<MedNodeDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await MigrateAsync(db, cancellationToken);
    }

    /// <summary>See <see cref="InitializeMedNodeDatabaseAsync"/>.</summary>
    public static async Task MigrateAsync(MedNodeDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (await LegacySchema.IsPresentAsync(db, cancellationToken))
            throw new InvalidOperationException(
                $"The index database ({DatabaseOptions.Section}) holds MedNode tables but no migration history: it was created by a " +
                "pre-release build. Delete it (SQLite file) or drop it (PostgreSQL) and store the studies again.");
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite()) await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}
