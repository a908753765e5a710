using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace MedNode.Persistence.Index;

/// <summary>Sets <c>PRAGMA synchronous</c> on each SQLite connection as it opens (the setting is per connection).</summary>
internal sealed class SqliteSynchronousInterceptor : DbConnectionInterceptor
{
    private readonly string _sql;

    private SqliteSynchronousInterceptor(string mode) => _sql = $"PRAGMA synchronous={mode};";

    /// <summary>One instance per mode, so that EF Core's options (and its cached internal services) stay the same.</summary>
    public static SqliteSynchronousInterceptor Normal { get; } = new("NORMAL");

    public static SqliteSynchronousInterceptor Full { get; } = new("FULL");

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _sql;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
