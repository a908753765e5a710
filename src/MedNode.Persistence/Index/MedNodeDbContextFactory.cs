using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace MedNode.Persistence.Index;

/// <summary>
/// Creates the provider's <see cref="MedNodeDbContext"/> subclass from <see cref="DatabaseOptions"/>; the index and the
/// start-up migration use it through <see cref="IDbContextFactory{TContext}"/>.
/// </summary>
public sealed class MedNodeDbContextFactory : IDbContextFactory<MedNodeDbContext>
{
    private readonly DbContextOptions<MedNodeDbContext> _options;
    private readonly bool _postgres;

    public MedNodeDbContextFactory(DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new DbContextOptionsBuilder<MedNodeDbContext>();
        _postgres = PersistenceServiceCollectionExtensions.Configure(builder, options) == DatabaseProvider.PostgreSql;
        _options = builder.Options;
    }

    public MedNodeDbContext CreateDbContext() =>
        _postgres ? new PostgresMedNodeDbContext(_options) : new SqliteMedNodeDbContext(_options);
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
