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

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.3")]
    public async Task Query_UniversalMatching_ReturnsEveryStudy() =>
        (await StudiesAsync(("PatientID", ""))).Should().Equal("1.1", "1.2", "1.3", "1.4");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.1")]
    public async Task Query_SingleValue_IsCaseSensitiveForLo() =>
        (await StudiesAsync(("PatientID", "P1"))).Should().Equal("1.1");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.1")]
    public async Task Query_SingleValuePersonName_IsCaseInsensitive() =>
        (await StudiesAsync(("PatientName", "doe^jane"))).Should().Equal("1.2");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.2")]
    public async Task Query_UidList_MatchesAnyListedUid() =>
        (await StudiesAsync(("StudyInstanceUID", "1.2,1.4,9.9"))).Should().Equal("1.2", "1.4");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    public async Task Query_WildcardStar_MatchesPrefix() =>
        (await StudiesAsync(("PatientName", "DOE*"))).Should().Equal("1.1", "1.2");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    public async Task Query_WildcardQuestionMark_MatchesOneCharacter() =>
        (await StudiesAsync(("PatientName", "?OE^JA?E"))).Should().Equal("1.2");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    public async Task Query_WildcardOnLo_IsCaseSensitive() =>
        (await StudiesAsync(("PatientID", "p*"))).Should().Equal("1.3");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    public async Task Query_SqlWildcardCharactersInValue_AreLiterals()
    {
        (await StudiesAsync(("AccessionNumber", "A%*"))).Should().Equal("1.4");
        (await StudiesAsync(("PatientID", "A_?"))).Should().Equal("1.4");
        (await StudiesAsync(("PatientID", "?_*"))).Should().Equal("1.4");
    }

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.5")]
    public async Task Query_ClosedDateRange_IsInclusive() =>
        (await StudiesAsync(("StudyDate", "20200615-20201231"))).Should().Equal("1.1", "1.2");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.5")]
    public async Task Query_OpenDateRanges_MatchBeforeAndAfter()
    {
        (await StudiesAsync(("StudyDate", "-20191231"))).Should().Equal("1.3");
        (await StudiesAsync(("StudyDate", "20201231-"))).Should().Equal("1.2", "1.4");
    }

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.5")]
    public async Task Query_TimeRange_MatchesBetweenBounds() =>
        (await StudiesAsync(("StudyTime", "1000-1200"))).Should().Equal("1.1");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.1")]
    public async Task Query_SingleDate_MatchesExactly() =>
        (await StudiesAsync(("StudyDate", "20191231"))).Should().Equal("1.3");

    [Fact, Trait("Conformance", "PS3.4 C.2.2.1")]
    public async Task Query_SeveralKeys_AllMustMatch() =>
        (await StudiesAsync(("PatientName", "DOE*"), ("StudyDate", "20201201-"))).Should().Equal("1.2");

    [Fact, Trait("Conformance", "PS3.4 C.6.1.1.4")]
    public async Task Query_ModalitiesInStudy_MatchesAnySeriesModality() =>
        (await StudiesAsync(("ModalitiesInStudy", "SEG"))).Should().Equal("1.1");

    [Fact, Trait("Conformance", "PS3.18 10.6.3")]
    public async Task Query_StudyLevel_CarriesAggregates()
    {
        var m = (await RunAsync(QueryLevel.Study, [("StudyInstanceUID", "1.1")])).Should().ContainSingle().Subject;
        m.NumberOfStudyRelatedSeries.Should().Be(3);
        m.NumberOfStudyRelatedInstances.Should().Be(4);
        m.ModalitiesInStudy.Should().Equal("CT", "SEG");
    }

    [Fact, Trait("Conformance", "PS3.18 10.6.3")]
    public async Task Query_SeriesUnderStudy_ReturnsThatStudysSeries()
    {
        var series = await RunAsync(QueryLevel.Series, [("Modality", "CT")], study: "1.1");
        series.Select(s => s.Representative.SeriesInstanceUid).Should().Equal("1.1.1", "1.1.2");
        series[0].NumberOfSeriesRelatedInstances.Should().Be(2);
    }

    [Fact, Trait("Conformance", "PS3.4 C.6.2")]
    public async Task Query_InstanceLevel_MatchesInstanceKeys() =>
        (await RunAsync(QueryLevel.Image, [("SOPInstanceUID", "1.1.1.2")])).Select(m => m.Representative.SopInstanceUid).Should().Equal("1.1.1.2");

    [Fact, Trait("Conformance", "PS3.4 C.6.1.1.2")]
    public async Task Query_PatientLevel_GroupsByPatientId()
    {
        var patients = await RunAsync(QueryLevel.Patient, [("PatientName", "DOE*")]);
        patients.Select(p => p.Representative.PatientId).Should().Equal("P1", "P2");
        patients[0].NumberOfPatientRelatedStudies.Should().Be(1);
    }

    [Fact, Trait("Conformance", "PS3.18 8.3.4.4")]
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
        var index = await SqliteIndex.CreateAsync(_dir.File($"index{_indexes.Count}.db"));
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

internal static class SqliteIndex
{
    public static async Task<EfInstanceIndex> CreateAsync(string path)
    {
        var options = new DbContextOptionsBuilder<MedNodeDbContext>();
        PersistenceServiceCollectionExtensions.Configure(options, new DatabaseOptions { ConnectionString = $"Data Source={path}" });
        var factory = new Factory(options.Options);
        await using (var db = factory.CreateDbContext()) await db.Database.EnsureCreatedAsync();
        return new EfInstanceIndex(factory);
    }

    private sealed class Factory(DbContextOptions<MedNodeDbContext> options) : IDbContextFactory<MedNodeDbContext>
    {
        public MedNodeDbContext CreateDbContext() => new(options);
    }
}
