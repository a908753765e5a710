using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace MedNode.Persistence.Index;

/// <summary>
/// Creates the provider's <see cref="MedNodeDbContext"/> subclass from <see cref="DatabaseOptions"/>; the index and the
/// start-up migration use it through <see cref="IDbContextFactory{TContext}"/>. Contexts are pooled (EF Core's
/// <see cref="PooledDbContextFactory{TContext}"/>): a new context per index call resolved some forty internal services
/// from a fresh scope, a large share of the CPU of each C-STORE (bench/RESULTS.md, C-STORE throughput). A disposed context
/// goes back to the pool with its change tracker and connection state reset.
/// </summary>
public sealed class MedNodeDbContextFactory : IDbContextFactory<MedNodeDbContext>
{
    private readonly Func<MedNodeDbContext> _create;

    public MedNodeDbContextFactory(DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sqlite = new DbContextOptionsBuilder<SqliteMedNodeDbContext>();
        if (PersistenceServiceCollectionExtensions.Configure(sqlite, options) == DatabaseProvider.PostgreSql)
        {
            var postgres = new DbContextOptionsBuilder<PostgresMedNodeDbContext>();
            PersistenceServiceCollectionExtensions.Configure(postgres, options);
            var pool = new PooledDbContextFactory<PostgresMedNodeDbContext>(postgres.Options);
            _create = pool.CreateDbContext;
        }
        else
        {
            var pool = new PooledDbContextFactory<SqliteMedNodeDbContext>(sqlite.Options);
            _create = pool.CreateDbContext;
        }
    }

    public MedNodeDbContext CreateDbContext() => _create();
}

/// <summary>
/// Design-time factory for <c>dotnet ef migrations add X --context SqliteMedNodeDbContext --output-dir Migrations/Sqlite</c>
/// (the tool is pinned in .config/dotnet-tools.json). Nothing is opened at design time.
/// </summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteMedNodeDbContext>
{
    public SqliteMedNodeDbContext CreateDbContext(string[] args) =>
        (SqliteMedNodeDbContext)new MedNodeDbContextFactory(new DatabaseOptions { Provider = "Sqlite", ConnectionString = "Data Source=design.db" }).CreateDbContext();
}

/// <summary>
/// Design-time factory for <c>dotnet ef migrations add X --context PostgresMedNodeDbContext --output-dir Migrations/Postgres</c>;
/// the connection string is a placeholder: adding a migration does not connect.
/// </summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresMedNodeDbContext>
{
    public PostgresMedNodeDbContext CreateDbContext(string[] args) =>
        (PostgresMedNodeDbContext)new MedNodeDbContextFactory(new DatabaseOptions { Provider = "PostgreSQL", ConnectionString = "Host=localhost;Database=mednode" }).CreateDbContext();
}
