using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Index;

/// <summary>Detects an index made by EnsureCreated (pre-release builds): the Instance table without a migration history.</summary>
internal static class LegacySchema
{
    public static async Task<bool> IsPresentAsync(MedNodeDbContext db, CancellationToken ct)
    {
        if (!await db.Database.CanConnectAsync(ct)) return false;
        if ((await db.Database.GetAppliedMigrationsAsync(ct)).Any()) return false;
        var sql = db.Database.IsSqlite()
            ? "SELECT COUNT(*) AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name = 'Instance'"
            : "SELECT COUNT(*)::int AS \"Value\" FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'Instance'";
        return await db.Database.SqlQueryRaw<int>(sql).SingleAsync(ct) > 0;
    }
}
