using MedNode.Persistence;
using MedNode.Persistence.Index;
using MedNode.TestSupport;
using MedNode.Web.Tests.Query;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Web.Tests.Persistence;

/// <summary>
/// Each provider's migration set against its model and against a real database: the generated migrations (dotnet-ef) must
/// describe the current model, apply from scratch, apply again as a no-op, and refuse a pre-release (EnsureCreated) index.
/// </summary>
public abstract class IndexMigrationTests
{
    protected abstract Task<DatabaseOptions> NewDatabaseAsync();

    protected abstract string ProviderName { get; }

    [RequiresFact]
    public async Task Model_CurrentEntities_HaveNoPendingChanges()
    {
        await using var db = new MedNodeDbContextFactory(await NewDatabaseAsync()).CreateDbContext();
        db.Database.HasPendingModelChanges().Should().BeFalse("the {0} migration set must describe the model; run dotnet ef migrations add", ProviderName);
    }

    [RequiresFact]
    public async Task Migrate_NewDatabase_AppliesEveryMigrationAndCreatesTheTables()
    {
        var factory = new MedNodeDbContextFactory(await NewDatabaseAsync());
        await using var db = factory.CreateDbContext();
        await PersistenceServiceCollectionExtensions.MigrateAsync(db, CancellationToken.None);

        db.Database.GetMigrations().Should().NotBeEmpty();
        (await db.Database.GetAppliedMigrationsAsync()).Should().Equal(db.Database.GetMigrations());
        (await db.Instances.CountAsync()).Should().Be(0);
        (await db.Studies.CountAsync()).Should().Be(0);
        (await db.Series.CountAsync()).Should().Be(0);
    }

    [RequiresFact]
    public async Task Migrate_Twice_IsANoOpThatKeepsTheRows()
    {
        var options = await NewDatabaseAsync();
        var index = await IndexDatabases.CreateAsync(options);
        await index.AddOrReplaceAsync(Records.Archive[0], CancellationToken.None);
        index.Dispose();

        await using var db = new MedNodeDbContextFactory(options).CreateDbContext();
        await PersistenceServiceCollectionExtensions.MigrateAsync(db, CancellationToken.None);
        (await db.Instances.Select(i => i.SopInstanceUid).ToListAsync()).Should().Equal(Records.Archive[0].SopInstanceUid);
    }

    [RequiresFact]
    public async Task Migrate_IndexMadeByEnsureCreated_IsRefusedWithoutChanges()
    {
        await using var db = new MedNodeDbContextFactory(await NewDatabaseAsync()).CreateDbContext();
        await db.Database.EnsureCreatedAsync();

        var act = () => PersistenceServiceCollectionExtensions.MigrateAsync(db, CancellationToken.None);

        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*no migration history*pre-release*");
        (await db.Database.GetAppliedMigrationsAsync()).Should().BeEmpty();
    }
}

public sealed class SqliteIndexMigrationTests : IndexMigrationTests, IDisposable
{
    private readonly TempDir _dir = new("mednode-migrate-");
    private int _count;

    protected override string ProviderName => "SQLite";

    protected override Task<DatabaseOptions> NewDatabaseAsync() =>
        Task.FromResult(IndexDatabases.Sqlite(_dir.File($"index{Interlocked.Increment(ref _count)}.db")));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

[RequiresPostgres]
public sealed class PostgresIndexMigrationTests : IndexMigrationTests
{
    protected override string ProviderName => "PostgreSQL";

    protected override async Task<DatabaseOptions> NewDatabaseAsync() =>
        IndexDatabases.Postgres(await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync());
}
