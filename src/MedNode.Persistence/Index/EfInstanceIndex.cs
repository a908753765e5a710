using System.Data;
using System.Data.Common;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using MedNode.Core.Index;
using MedNode.Core.Query;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Index;

/// <summary>The EF Core index (SQLite by default, PostgreSQL in production): instances plus study and series aggregates.</summary>
public sealed class EfInstanceIndex(IDbContextFactory<MedNodeDbContext> contexts) : IInstanceIndex, IQueryIndex, IIndexDurability, IRecentInstances, IStudyAges, IDisposable
{
    private const int PageSize = 500;

    // Aggregates are updated incrementally for a new instance and recomputed from the instance rows for a replaced one;
    // one writer at a time in this process keeps them exact.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    // The lookup of the read paths, compiled once: a LINQ query re-walks its expression tree (parameter
    // extraction, cache key) on every call, and FindAsync builds a new one. Per index, not static: EF Core refuses a
    // compiled query run against another model, and one index serves one provider (one model).
    private readonly Func<MedNodeDbContext, string, Task<InstanceEntity?>> FindInstanceNoTracking =
        EF.CompileAsyncQuery((MedNodeDbContext db, string uid) => db.Instances.AsNoTracking().FirstOrDefault(i => i.SopInstanceUid == uid));

    // Built from the model on first use (InstanceInsertCommands): one index serves one provider.
    private InstanceInsertCommands? _insert;

    // The ingest path's own context, leased from the pool for the index's lifetime with its connection held open, used
    // only under _writeLock: opening a pooled connection twice per instance (with the per-connection PRAGMA on SQLite)
    // cost more CPU than the statements themselves. Dropped after any failure, so that a broken connection is reopened.
    private MedNodeDbContext? _writer;

    // The ingest statements of _writer's connection, kept with it (InstanceInsertCommands.Statements).
    private InstanceInsertCommands.Statements? _statements;

    public async Task AddOrReplaceAsync(InstanceRecord record, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // A new instance (nearly every ingest) is one insert with incremental aggregates; the insert writes nothing
            // when the instance is held already, and only then does the replace path below run.
            bool inserted;
            try
            {
                var statements = await WriterStatementsAsync(cancellationToken);
                inserted = await statements.TryInsertAsync(record, cancellationToken);
            }
            catch
            {
                DropWriter();
                throw;
            }
            if (inserted) return;
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            var existing = await db.Instances.FindAsync([record.SopInstanceUid], cancellationToken);
            string? oldStudy = existing?.StudyInstanceUid, oldSeries = existing?.SeriesInstanceUid;
            if (existing == null) db.Instances.Add(InstanceEntity.From(record));
            else existing.CopyFrom(record);
            await db.SaveChangesAsync(cancellationToken);
            await RefreshAggregatesAsync(db, record.StudyInstanceUid, record.SeriesInstanceUid, cancellationToken);
            if (oldStudy != null && (oldStudy != record.StudyInstanceUid || oldSeries != record.SeriesInstanceUid))
                await RefreshAggregatesAsync(db, oldStudy, oldSeries!, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static async Task RefreshAggregatesAsync(MedNodeDbContext db, string studyUid, string seriesUid, CancellationToken ct)
    {
        var seriesCount = await db.Instances.CountAsync(i => i.SeriesInstanceUid == seriesUid, ct);
        var series = await db.Series.FindAsync([seriesUid], ct);
        if (seriesCount == 0) { if (series != null) db.Series.Remove(series); }
        else if (series == null) db.Series.Add(new SeriesEntity { SeriesInstanceUid = seriesUid, StudyInstanceUid = studyUid, NumberOfSeriesRelatedInstances = seriesCount });
        else { series.StudyInstanceUid = studyUid; series.NumberOfSeriesRelatedInstances = seriesCount; }

        var rows = db.Instances.Where(i => i.StudyInstanceUid == studyUid);
        var instances = await rows.CountAsync(ct);
        var study = await db.Studies.FindAsync([studyUid], ct);
        if (instances == 0)
        {
            if (study != null) db.Studies.Remove(study);
        }
        else
        {
            var modalities = await rows.Where(i => i.Modality != "").Select(i => i.Modality).Distinct().ToListAsync(ct);
            modalities.Sort(StringComparer.Ordinal);
            study ??= db.Studies.Add(new StudyEntity { StudyInstanceUid = studyUid }).Entity;
            study.PatientId = await rows.Select(i => i.PatientId).FirstAsync(ct);
            study.NumberOfStudyRelatedInstances = instances;
            study.NumberOfStudyRelatedSeries = await rows.Select(i => i.SeriesInstanceUid).Distinct().CountAsync(ct);
            study.ModalitiesInStudy = modalities.Count == 0 ? "" : @"\" + string.Join('\\', modalities) + @"\";
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The ingest path's duplicate check: one parameterised <c>SELECT</c> on the held connection, no entity materialised.</summary>
    public async Task<bool> ContainsInstanceAsync(string sopInstanceUid, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var statements = await WriterStatementsAsync(cancellationToken);
            return await statements.ExistsAsync(sopInstanceUid, cancellationToken);
        }
        catch
        {
            DropWriter();
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The statements of the ingest path's held connection, opened (through EF Core, so its interceptors run) when it is not.
    /// Under <c>_writeLock</c>.
    /// </summary>
    private async Task<InstanceInsertCommands.Statements> WriterStatementsAsync(CancellationToken ct)
    {
        if (_writer != null && _statements != null)
        {
            if (_writer.Database.GetDbConnection().State == ConnectionState.Open) return _statements;
            DropWriter();
        }
        var db = await contexts.CreateDbContextAsync(ct);
        try
        {
            await db.Database.OpenConnectionAsync(ct);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
        _insert ??= InstanceInsertCommands.For(db);
        _writer = db;
        _statements = _insert.On(db.Database.GetDbConnection());
        return _statements;
    }

    private void DropWriter()
    {
        var writer = _writer;
        _writer = null;
        _statements?.Dispose();
        _statements = null;
        if (writer == null) return;
        try
        {
            writer.Database.CloseConnection();
        }
        finally
        {
            writer.Dispose();
        }
    }

    public async Task<InstanceRecord?> FindInstanceAsync(string sopInstanceUid, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var e = await FindInstanceNoTracking(db, sopInstanceUid);
        return e?.ToRecord();
    }

    public async Task<IReadOnlyList<InstanceRecord>> GetInstancesAsync(string studyUid, string? seriesUid, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Instances.AsNoTracking()
            .Where(i => i.StudyInstanceUid == studyUid && (seriesUid == null || i.SeriesInstanceUid == seriesUid))
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => r.ToRecord())
            .OrderBy(r => r.SeriesInstanceUid, StringComparer.Ordinal)
            .ThenBy(r => int.TryParse(r.InstanceNumber, out var n) ? n : 0)
            .ThenBy(r => r.SopInstanceUid, StringComparer.Ordinal)];
    }

    public async IAsyncEnumerable<InstanceRecord> ListReceivedSinceAsync(DateTimeOffset since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var utc = since.ToUniversalTime(); // Npgsql compares timestamptz only with UTC values
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await foreach (var row in db.Instances.AsNoTracking().Where(i => i.ReceivedAt >= utc).OrderBy(i => i.ReceivedAt).AsAsyncEnumerable().WithCancellation(cancellationToken))
            yield return row.ToRecord();
    }

    public async Task<IReadOnlyList<string>> ListStudiesReceivedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        var utc = cutoff.ToUniversalTime();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Comparisons only (no MAX over the converted SQLite column): a study with an old instance and no recent one.
        return await db.Instances.AsNoTracking().Where(i => i.ReceivedAt < utc).Select(i => i.StudyInstanceUid).Distinct()
            .Where(s => !db.Instances.Any(j => j.StudyInstanceUid == s && j.ReceivedAt >= utc))
            .OrderBy(s => s).Take(limit).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DeleteStudyAsync(string studyUid, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            var keys = await db.Instances.Where(i => i.StudyInstanceUid == studyUid).Select(i => i.BlobKey).ToListAsync(cancellationToken);
            await db.Instances.Where(i => i.StudyInstanceUid == studyUid).ExecuteDeleteAsync(cancellationToken);
            await db.Series.Where(s => s.StudyInstanceUid == studyUid).ExecuteDeleteAsync(cancellationToken);
            await db.Studies.Where(s => s.StudyInstanceUid == studyUid).ExecuteDeleteAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return keys;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async IAsyncEnumerable<QueryMatch> QueryAsync(DicomQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        bool sqlite = db.Database.IsSqlite();
        var filtered = QueryTranslator.Apply(db.Instances.AsNoTracking(), db.Studies.AsNoTracking(), query, sqlite);
        var levelKey = LevelKey(query.Level);
        var keys = filtered.Select(levelKey).Distinct().OrderBy(k => k);
        int skip = query.Offset, remaining = query.Limit ?? int.MaxValue;
        while (remaining > 0)
        {
            var page = await keys.Skip(skip).Take(Math.Min(PageSize, remaining)).ToListAsync(cancellationToken);
            if (page.Count == 0) yield break;
            foreach (var match in await LoadMatchesAsync(db, query.Level, page, cancellationToken)) yield return match;
            skip += page.Count;
            remaining -= page.Count;
            if (page.Count < PageSize) yield break;
        }
    }

    private static Expression<Func<InstanceEntity, string>> LevelKey(QueryLevel level) => level switch
    {
        QueryLevel.Patient => i => i.PatientId,
        QueryLevel.Study => i => i.StudyInstanceUid,
        QueryLevel.Series => i => i.SeriesInstanceUid,
        _ => i => i.SopInstanceUid,
    };

    private static async Task<List<QueryMatch>> LoadMatchesAsync(MedNodeDbContext db, QueryLevel level, List<string> page, CancellationToken ct)
    {
        // The representative of an entity is its instance with the lowest SOP Instance UID, as in InMemoryQuery.
        var levelKey = LevelKey(level);
        var representativeUids = await db.Instances.Where(ContainsKey(level, page))
            .GroupBy(levelKey).Select(g => g.Min(i => i.SopInstanceUid)).ToListAsync(ct);
        var reps = (await db.Instances.AsNoTracking().Where(i => representativeUids.Contains(i.SopInstanceUid)).ToListAsync(ct))
            .Select(e => e.ToRecord()).ToList();
        var studyUids = reps.Select(r => r.StudyInstanceUid).Distinct().ToList();
        var seriesUids = reps.Select(r => r.SeriesInstanceUid).Distinct().ToList();
        var patientIds = reps.Select(r => r.PatientId).Distinct().ToList();
        var studies = await db.Studies.AsNoTracking().Where(s => studyUids.Contains(s.StudyInstanceUid)).ToDictionaryAsync(s => s.StudyInstanceUid, ct);
        var series = await db.Series.AsNoTracking().Where(s => seriesUids.Contains(s.SeriesInstanceUid)).ToDictionaryAsync(s => s.SeriesInstanceUid, ct);
        var patientStudies = await db.Studies.AsNoTracking().Where(s => patientIds.Contains(s.PatientId))
            .GroupBy(s => s.PatientId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var byKey = reps.ToDictionary(r => InMemoryQuery.LevelKey(level, r), StringComparer.Ordinal);
        var result = new List<QueryMatch>(page.Count);
        foreach (var key in page)
        {
            if (!byKey.TryGetValue(key, out var rep)) continue;
            var study = studies.GetValueOrDefault(rep.StudyInstanceUid);
            result.Add(new QueryMatch(
                level,
                rep,
                study?.ModalitiesInStudy.Split('\\', StringSplitOptions.RemoveEmptyEntries) ?? [],
                study?.NumberOfStudyRelatedSeries ?? 0,
                study?.NumberOfStudyRelatedInstances ?? 0,
                series.GetValueOrDefault(rep.SeriesInstanceUid)?.NumberOfSeriesRelatedInstances ?? 0,
                patientStudies.GetValueOrDefault(rep.PatientId)));
        }
        return result;
    }

    private static Expression<Func<InstanceEntity, bool>> ContainsKey(QueryLevel level, List<string> page) => level switch
    {
        QueryLevel.Patient => i => page.Contains(i.PatientId),
        QueryLevel.Study => i => page.Contains(i.StudyInstanceUid),
        QueryLevel.Series => i => page.Contains(i.SeriesInstanceUid),
        _ => i => page.Contains(i.SopInstanceUid),
    };

    /// <summary>
    /// SQLite: <c>PRAGMA wal_checkpoint(FULL)</c>, which syncs the WAL (and so every commit made with
    /// <c>synchronous=NORMAL</c>) and then the database file; throws when a reader kept it from completing. PostgreSQL
    /// commits are already durable.
    /// </summary>
    public async Task MakeDurableAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!db.Database.IsSqlite()) return;
        // Opened and closed through EF Core, so that the pooled context goes back with its connection closed.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(FULL);";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && reader.GetInt32(0) != 0)
                throw new IOException("SQLite could not complete a WAL checkpoint (busy); index writes are not yet known durable.");
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public void Dispose()
    {
        DropWriter();
        _writeLock.Dispose();
    }
}
