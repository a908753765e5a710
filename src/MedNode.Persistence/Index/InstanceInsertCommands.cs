using System.Data.Common;
using MedNode.Core.Index;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace MedNode.Persistence.Index;

/// <summary>
/// The hot write of ingest, a new instance, as three parameterised statements in one transaction on the context's
/// connection, instead of EF Core change tracking and <c>SaveChanges</c> (about a third of the server CPU per received
/// C-STORE went there: bench/RESULTS.md, C-STORE throughput):
/// <list type="number">
/// <item><c>INSERT … ON CONFLICT (SopInstanceUid) DO NOTHING</c> of the instance row: no row written means the instance
/// is held already, and the caller takes the replace path (so no separate "exists" query is needed);</item>
/// <item>an upsert of the series row that adds one instance and returns the new count (1: the series is new);</item>
/// <item>an upsert of the study row that adds the instance (and the series when new) and returns Modalities in Study,
/// rewritten by one more <c>UPDATE</c> only when the instance brings a modality the study did not have.</item>
/// </list>
/// SQLite (3.35 and later) and PostgreSQL both take <c>ON CONFLICT … DO UPDATE … RETURNING</c>. The EF model stays the
/// schema source: table and column names, identifier quoting and each parameter's conversion (the SQLite model stores
/// <see cref="InstanceEntity.ReceivedAt"/> as Unix milliseconds) come from the model and the provider's type mappings,
/// so the rows are those <c>SaveChanges</c> would write.
/// </summary>
internal sealed class InstanceInsertCommands
{
    private readonly (string Name, IProperty Property, RelationalTypeMapping Mapping)[] _instanceColumns;
    private readonly RelationalTypeMapping _text;
    private readonly RelationalTypeMapping _int;

    private InstanceInsertCommands(IModel model, ISqlGenerationHelper sql)
    {
        var instance = model.FindEntityType(typeof(InstanceEntity))!;
        var series = model.FindEntityType(typeof(SeriesEntity))!;
        var study = model.FindEntityType(typeof(StudyEntity))!;
        _instanceColumns = [.. instance.GetProperties().Select((p, i) => ("@p" + i, p, p.GetRelationalTypeMapping()))];
        _text = instance.FindProperty(nameof(InstanceEntity.SopInstanceUid))!.GetRelationalTypeMapping();
        _int = series.FindProperty(nameof(SeriesEntity.NumberOfSeriesRelatedInstances))!.GetRelationalTypeMapping();

        var it = Table(instance, sql);
        InsertInstance = $"INSERT INTO {it} ({string.Join(", ", _instanceColumns.Select(c => sql.DelimitIdentifier(c.Property.GetColumnName())))}) " +
            $"VALUES ({string.Join(", ", _instanceColumns.Select(c => c.Name))}) " +
            $"ON CONFLICT ({Column(instance, nameof(InstanceEntity.SopInstanceUid), sql)}) DO NOTHING";

        var se = Table(series, sql);
        var seCount = Column(series, nameof(SeriesEntity.NumberOfSeriesRelatedInstances), sql);
        UpsertSeries = $"INSERT INTO {se} ({Column(series, nameof(SeriesEntity.SeriesInstanceUid), sql)}, {Column(series, nameof(SeriesEntity.StudyInstanceUid), sql)}, {seCount}) " +
            "VALUES (@series, @study, 1) " +
            $"ON CONFLICT ({Column(series, nameof(SeriesEntity.SeriesInstanceUid), sql)}) DO UPDATE SET {seCount} = {se}.{seCount} + 1 " +
            $"RETURNING {seCount}";

        var st = Table(study, sql);
        var stUid = Column(study, nameof(StudyEntity.StudyInstanceUid), sql);
        var stSeries = Column(study, nameof(StudyEntity.NumberOfStudyRelatedSeries), sql);
        var stInstances = Column(study, nameof(StudyEntity.NumberOfStudyRelatedInstances), sql);
        var stModalities = Column(study, nameof(StudyEntity.ModalitiesInStudy), sql);
        UpsertStudy = $"INSERT INTO {st} ({stUid}, {Column(study, nameof(StudyEntity.PatientId), sql)}, {stSeries}, {stInstances}, {stModalities}) " +
            "VALUES (@study, @patient, @newSeries, 1, @modalities) " +
            $"ON CONFLICT ({stUid}) DO UPDATE SET {stInstances} = {st}.{stInstances} + 1, {stSeries} = {st}.{stSeries} + @newSeries " +
            $"RETURNING {stModalities}";
        Exists = $"SELECT 1 FROM {it} WHERE {Column(instance, nameof(InstanceEntity.SopInstanceUid), sql)} = @uid LIMIT 1";
        UpdateModalities = $"UPDATE {st} SET {stModalities} = @modalities WHERE {stUid} = @study";
    }

    public string InsertInstance { get; }

    public string UpsertSeries { get; }

    public string UpsertStudy { get; }

    public string UpdateModalities { get; }

    public string Exists { get; }

    public static InstanceInsertCommands For(DbContext db) => new(db.Model, db.GetService<ISqlGenerationHelper>());

    /// <summary>
    /// Adds <paramref name="record"/> as a new instance with its aggregates, in one transaction on an open connection.
    /// Returns false, having written nothing, when its SOP Instance UID is held already.
    /// </summary>
    public async Task<bool> TryInsertAsync(DbConnection connection, InstanceRecord record, CancellationToken ct)
    {
        var entity = InstanceEntity.From(record);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var insert = Command(connection, tx, InsertInstance))
        {
            foreach (var (name, property, mapping) in _instanceColumns)
                insert.Parameters.Add(mapping.CreateParameter(insert, name, property.GetGetter().GetClrValue(entity), property.IsNullable));
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                await tx.RollbackAsync(ct);
                return false;
            }
        }

        bool newSeries;
        await using (var series = Command(connection, tx, UpsertSeries))
        {
            Add(series, _text, "@series", entity.SeriesInstanceUid);
            Add(series, _text, "@study", entity.StudyInstanceUid);
            newSeries = Convert.ToInt64(await series.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }

        var modality = entity.Modality;
        string stored;
        await using (var study = Command(connection, tx, UpsertStudy))
        {
            Add(study, _text, "@study", entity.StudyInstanceUid);
            Add(study, _text, "@patient", entity.PatientId);
            Add(study, _int, "@newSeries", newSeries ? 1 : 0);
            Add(study, _text, "@modalities", modality.Length == 0 ? "" : @"\" + modality + @"\");
            stored = (string?)await study.ExecuteScalarAsync(ct) ?? "";
        }
        if (modality.Length > 0 && !stored.Contains('\\' + modality + '\\', StringComparison.Ordinal))
        {
            var modalities = stored.Split('\\', StringSplitOptions.RemoveEmptyEntries).Append(modality).Order(StringComparer.Ordinal);
            await using var update = Command(connection, tx, UpdateModalities);
            Add(update, _text, "@modalities", @"\" + string.Join('\\', modalities) + @"\");
            Add(update, _text, "@study", entity.StudyInstanceUid);
            await update.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Whether an instance row with this SOP Instance UID exists, on an open connection.</summary>
    public async Task<bool> ExistsAsync(DbConnection connection, string sopInstanceUid, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Exists;
        Add(command, _text, "@uid", sopInstanceUid);
        return await command.ExecuteScalarAsync(ct) != null;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction tx, string text)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = text;
        return command;
    }

    private static void Add(DbCommand command, RelationalTypeMapping mapping, string name, object value) =>
        command.Parameters.Add(mapping.CreateParameter(command, name, value, nullable: false));

    private static string Table(IEntityType entity, ISqlGenerationHelper sql) => sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());

    private static string Column(IEntityType entity, string property, ISqlGenerationHelper sql) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName());
}
