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

    /// <summary>The statements of one open connection, for its lifetime (<see cref="Statements"/>).</summary>
    public Statements On(DbConnection connection) => new(this, connection);

    /// <summary>
    /// The ingest statements of one open connection, each a command kept for the connection's lifetime: a provider that
    /// prepares a command's text on first execution (Microsoft.Data.Sqlite keeps the compiled statements until the text or
    /// the connection changes) then compiles each statement once instead of once per instance; <c>perf</c> found SQLite's
    /// parser and code generator on every C-STORE's path (bench/RESULTS.md). Used by one caller at a time; disposed with the
    /// connection.
    /// </summary>
    internal sealed class Statements(InstanceInsertCommands sql, DbConnection connection) : IDisposable
    {
        private DbCommand? _insert, _series, _study, _modalities, _exists;

        /// <summary>
        /// Adds <paramref name="record"/> as a new instance with its aggregates, in one transaction. Returns false, having
        /// written nothing, when its SOP Instance UID is held already.
        /// </summary>
        public async Task<bool> TryInsertAsync(InstanceRecord record, CancellationToken ct)
        {
            var entity = InstanceEntity.From(record);
            await using var tx = await connection.BeginTransactionAsync(ct);
            var insert = Reuse(ref _insert, sql.InsertInstance, tx);
            foreach (var (name, property, mapping) in sql._instanceColumns)
                insert.Parameters.Add(mapping.CreateParameter(insert, name, property.GetGetter().GetClrValue(entity), property.IsNullable));
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                await tx.RollbackAsync(ct);
                return false;
            }

            var series = Reuse(ref _series, sql.UpsertSeries, tx);
            Add(series, sql._text, "@series", entity.SeriesInstanceUid);
            Add(series, sql._text, "@study", entity.StudyInstanceUid);
            var newSeries = Convert.ToInt64(await series.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) == 1;

            var modality = entity.Modality;
            var study = Reuse(ref _study, sql.UpsertStudy, tx);
            Add(study, sql._text, "@study", entity.StudyInstanceUid);
            Add(study, sql._text, "@patient", entity.PatientId);
            Add(study, sql._int, "@newSeries", newSeries ? 1 : 0);
            Add(study, sql._text, "@modalities", modality.Length == 0 ? "" : @"\" + modality + @"\");
            var stored = (string?)await study.ExecuteScalarAsync(ct) ?? "";
            if (modality.Length > 0 && !stored.Contains('\\' + modality + '\\', StringComparison.Ordinal))
            {
                var modalities = stored.Split('\\', StringSplitOptions.RemoveEmptyEntries).Append(modality).Order(StringComparer.Ordinal);
                var update = Reuse(ref _modalities, sql.UpdateModalities, tx);
                Add(update, sql._text, "@modalities", @"\" + string.Join('\\', modalities) + @"\");
                Add(update, sql._text, "@study", entity.StudyInstanceUid);
                await update.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
            return true;
        }

        /// <summary>Whether an instance row with this SOP Instance UID exists.</summary>
        public async Task<bool> ExistsAsync(string sopInstanceUid, CancellationToken ct)
        {
            var command = Reuse(ref _exists, sql.Exists, null);
            Add(command, sql._text, "@uid", sopInstanceUid);
            return await command.ExecuteScalarAsync(ct) != null;
        }

        /// <summary>The kept command of a statement, created on first use, with no parameters and the given transaction.</summary>
        private DbCommand Reuse(ref DbCommand? command, string text, DbTransaction? tx)
        {
            if (command == null)
            {
                command = connection.CreateCommand();
                command.CommandText = text;
            }
            command.Transaction = tx;
            command.Parameters.Clear();
            return command;
        }

        public void Dispose()
        {
            foreach (var c in new[] { _insert, _series, _study, _modalities, _exists }) c?.Dispose();
            _insert = _series = _study = _modalities = _exists = null;
        }
    }

    private static void Add(DbCommand command, RelationalTypeMapping mapping, string name, object value) =>
        command.Parameters.Add(mapping.CreateParameter(command, name, value, nullable: false));

    private static string Table(IEntityType entity, ISqlGenerationHelper sql) => sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());

    private static string Column(IEntityType entity, string property, ISqlGenerationHelper sql) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName());
}
