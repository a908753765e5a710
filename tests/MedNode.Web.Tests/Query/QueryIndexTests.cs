using MedNode.Core.Index;
using MedNode.Core.Query;
using MedNode.Persistence;
using MedNode.Persistence.Index;
using MedNode.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Web.Tests.Query;

/// <summary>
/// Every matching kind of PS3.4 C.2.2.2 against the synthetic archive; run on the in-memory evaluator and on SQLite so
/// that the SQL translation is held to the same expectations.
/// </summary>
public abstract class QueryIndexTests
{
    protected abstract Task<IQueryIndex> CreateAsync(IReadOnlyList<InstanceRecord> records);

    private async Task<List<string>> StudiesAsync(params (string Key, string Value)[] parameters) =>
        (await RunAsync(QueryLevel.Study, parameters)).Select(m => m.Representative.StudyInstanceUid).ToList();

    private async Task<List<QueryMatch>> RunAsync(QueryLevel level, (string Key, string Value)[] parameters, string? study = null)
    {
        var index = await CreateAsync(Records.Archive);
        var query = DicomQueryParser.FromQido(level, parameters.Select(p => new KeyValuePair<string, IReadOnlyList<string>>(p.Key, [p.Value])), study);
        var list = new List<QueryMatch>();
        await foreach (var m in index.QueryAsync(query, CancellationToken.None)) list.Add(m);
        return list;
    }

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.3")]
    public async Task Query_UniversalMatching_ReturnsEveryStudy() =>
        (await StudiesAsync(("PatientID", ""))).Should().Equal("1.1", "1.2", "1.3", "1.4");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.1")]
    public async Task Query_SingleValue_IsCaseSensitiveForLo() =>
        (await StudiesAsync(("PatientID", "P1"))).Should().Equal("1.1");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.1")]
    public async Task Query_SingleValuePersonName_IsCaseInsensitive() =>
        (await StudiesAsync(("PatientName", "doe^jane"))).Should().Equal("1.2");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.2")]
    public async Task Query_UidList_MatchesAnyListedUid() =>
        (await StudiesAsync(("StudyInstanceUID", "1.2,1.4,9.9"))).Should().Equal("1.2", "1.4");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    public async Task Query_WildcardStar_MatchesPrefix() =>
        (await StudiesAsync(("PatientName", "DOE*"))).Should().Equal("1.1", "1.2");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    public async Task Query_WildcardQuestionMark_MatchesOneCharacter() =>
        (await StudiesAsync(("PatientName", "?OE^JA?E"))).Should().Equal("1.2");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    public async Task Query_WildcardOnLo_IsCaseSensitive() =>
        (await StudiesAsync(("PatientID", "p*"))).Should().Equal("1.3");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    public async Task Query_SqlWildcardCharactersInValue_AreLiterals()
    {
        (await StudiesAsync(("AccessionNumber", "A%*"))).Should().Equal("1.4");
        (await StudiesAsync(("PatientID", "A_?"))).Should().Equal("1.4");
        (await StudiesAsync(("PatientID", "?_*"))).Should().Equal("1.4");
    }

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.5")]
    public async Task Query_ClosedDateRange_IsInclusive() =>
        (await StudiesAsync(("StudyDate", "20200615-20201231"))).Should().Equal("1.1", "1.2");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.5")]
    public async Task Query_OpenDateRanges_MatchBeforeAndAfter()
    {
        (await StudiesAsync(("StudyDate", "-20191231"))).Should().Equal("1.3");
        (await StudiesAsync(("StudyDate", "20201231-"))).Should().Equal("1.2", "1.4");
    }

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.5")]
    public async Task Query_TimeRange_MatchesBetweenBounds() =>
        (await StudiesAsync(("StudyTime", "1000-1200"))).Should().Equal("1.1");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.2.1")]
    public async Task Query_SingleDate_MatchesExactly() =>
        (await StudiesAsync(("StudyDate", "20191231"))).Should().Equal("1.3");

    [RequiresFact, Trait("Conformance", "PS3.4 C.2.2.1")]
    public async Task Query_SeveralKeys_AllMustMatch() =>
        (await StudiesAsync(("PatientName", "DOE*"), ("StudyDate", "20201201-"))).Should().Equal("1.2");

    [RequiresFact, Trait("Conformance", "PS3.4 C.6.1.1.4")]
    public async Task Query_ModalitiesInStudy_MatchesAnySeriesModality() =>
        (await StudiesAsync(("ModalitiesInStudy", "SEG"))).Should().Equal("1.1");

    [RequiresFact, Trait("Conformance", "PS3.18 10.6.3")]
    public async Task Query_StudyLevel_CarriesAggregates()
    {
        var m = (await RunAsync(QueryLevel.Study, [("StudyInstanceUID", "1.1")])).Should().ContainSingle().Subject;
        m.NumberOfStudyRelatedSeries.Should().Be(3);
        m.NumberOfStudyRelatedInstances.Should().Be(4);
        m.ModalitiesInStudy.Should().Equal("CT", "SEG");
    }

    [RequiresFact, Trait("Conformance", "PS3.18 10.6.3")]
    public async Task Query_SeriesUnderStudy_ReturnsThatStudysSeries()
    {
        var series = await RunAsync(QueryLevel.Series, [("Modality", "CT")], study: "1.1");
        series.Select(s => s.Representative.SeriesInstanceUid).Should().Equal("1.1.1", "1.1.2");
        series[0].NumberOfSeriesRelatedInstances.Should().Be(2);
    }

    [RequiresFact, Trait("Conformance", "PS3.4 C.6.2")]
    public async Task Query_InstanceLevel_MatchesInstanceKeys() =>
        (await RunAsync(QueryLevel.Image, [("SOPInstanceUID", "1.1.1.2")])).Select(m => m.Representative.SopInstanceUid).Should().Equal("1.1.1.2");

    [RequiresFact, Trait("Conformance", "PS3.4 C.6.1.1.2")]
    public async Task Query_PatientLevel_GroupsByPatientId()
    {
        var patients = await RunAsync(QueryLevel.Patient, [("PatientName", "DOE*")]);
        patients.Select(p => p.Representative.PatientId).Should().Equal("P1", "P2");
        patients[0].NumberOfPatientRelatedStudies.Should().Be(1);
    }

    [RequiresFact]
    public async Task Query_PatientLevel_OrdersIdsByCodePoint()
    {
        // Ordinal order puts upper case before lower case; a locale collation (ICU en-US, glibc en_US) would not.
        var patients = await RunAsync(QueryLevel.Patient, []);
        patients.Select(p => p.Representative.PatientId).Should().Equal("A_1", "P1", "P2", "p1");
    }

    [RequiresFact, Trait("Conformance", "PS3.18 8.3.4.4")]
    public async Task Query_LimitAndOffset_PageInUidOrder()
    {
        (await StudiesAsync(("limit", "2"))).Should().Equal("1.1", "1.2");
        (await StudiesAsync(("limit", "2"), ("offset", "2"))).Should().Equal("1.3", "1.4");
        (await StudiesAsync(("offset", "4"))).Should().BeEmpty();
    }
}

public sealed class InMemoryQueryIndexTests : QueryIndexTests
{
    protected override async Task<IQueryIndex> CreateAsync(IReadOnlyList<InstanceRecord> records)
    {
        var index = new InMemoryInstanceIndex();
        foreach (var r in records) await index.AddOrReplaceAsync(r, CancellationToken.None);
        return index;
    }
}

public sealed class SqliteQueryIndexTests : QueryIndexTests, IDisposable
{
    private readonly TempDir _dir = new("mednode-sqlite-");
    private readonly List<EfInstanceIndex> _indexes = [];

    protected override async Task<IQueryIndex> CreateAsync(IReadOnlyList<InstanceRecord> records)
    {
        var index = await IndexDatabases.CreateAsync(IndexDatabases.Sqlite(_dir.File($"index{_indexes.Count}.db")));
        _indexes.Add(index);
        foreach (var r in records) await index.AddOrReplaceAsync(r, CancellationToken.None);
        return index;
    }

    public void Dispose()
    {
        foreach (var i in _indexes) i.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

/// <summary>
/// The same expectations on a real PostgreSQL server (<see cref="PostgresPeer"/>). The tests only read, so the archive is
/// stored once per class in a new database (<see cref="PostgresArchive"/>); other record sets get a database of their own.
/// </summary>
[RequiresPostgres]
public sealed class PostgresQueryIndexTests(PostgresArchive archive) : QueryIndexTests, IClassFixture<PostgresArchive>
{
    protected override Task<IQueryIndex> CreateAsync(IReadOnlyList<InstanceRecord> records) =>
        ReferenceEquals(records, Records.Archive) ? archive.GetAsync() : PostgresArchive.CreateAsync(records);
}

public sealed class PostgresArchive : IDisposable
{
    private readonly Lazy<Task<IQueryIndex>> _index = new(() => CreateAsync(Records.Archive));

    public Task<IQueryIndex> GetAsync() => _index.Value;

    public static async Task<IQueryIndex> CreateAsync(IReadOnlyList<InstanceRecord> records)
    {
        var peer = await PostgresPeer.GetSharedAsync();
        var index = await IndexDatabases.CreateAsync(IndexDatabases.Postgres(await peer.CreateDatabaseAsync()));
        foreach (var r in records) await index.AddOrReplaceAsync(r, CancellationToken.None);
        return index;
    }

    public void Dispose()
    {
        if (_index.IsValueCreated && _index.Value.IsCompletedSuccessfully) ((IDisposable)_index.Value.Result).Dispose();
    }
}

/// <summary>Index databases for tests, migrated as at start-up.</summary>
internal static class IndexDatabases
{
    public static DatabaseOptions Sqlite(string path) => new() { Provider = "Sqlite", ConnectionString = $"Data Source={path}" };

    public static DatabaseOptions Postgres(string connectionString) => new() { Provider = "PostgreSQL", ConnectionString = connectionString };

    public static async Task<EfInstanceIndex> CreateAsync(DatabaseOptions options)
    {
        var factory = new MedNodeDbContextFactory(options);
        await using (var db = factory.CreateDbContext()) await PersistenceServiceCollectionExtensions.MigrateAsync(db, CancellationToken.None);
        return new EfInstanceIndex(factory);
    }
}
