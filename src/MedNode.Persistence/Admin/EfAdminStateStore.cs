using MedNode.Core.Admin;
using MedNode.Persistence.Index;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Admin;

/// <summary>One admin API document (AEs, model states) by key, table <c>AdminState</c>.</summary>
public sealed class AdminStateEntity
{
    public string Key { get; set; } = "";

    public string Json { get; set; } = "";

    public long UpdatedAtMs { get; set; }
}

/// <summary>
/// Keeps what the admin API changed in the index database, so that it survives a restart and is shared by every
/// process on the same PostgreSQL database (each reads it at start).
/// </summary>
public sealed class EfAdminStateStore(IDbContextFactory<MedNodeDbContext> contexts, TimeProvider? timeProvider = null) : IAdminStateStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public async Task<string?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.AdminState.AsNoTracking().Where(e => e.Key == key).Select(e => e.Json).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task WriteAsync(string key, string json, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.AdminState.FirstOrDefaultAsync(e => e.Key == key, cancellationToken);
        if (row == null) db.AdminState.Add(row = new AdminStateEntity { Key = key });
        row.Json = json;
        row.UpdatedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.SaveChangesAsync(cancellationToken);
    }
}
