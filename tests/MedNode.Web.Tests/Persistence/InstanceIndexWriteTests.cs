using MedNode.Core.Index;
using MedNode.Core.Query;
using MedNode.Persistence;
using MedNode.Persistence.Index;
using MedNode.TestSupport;
using MedNode.Web.Tests.Query;

namespace MedNode.Web.Tests.Persistence;

/// <summary>
/// The index's write path: a new instance goes in by parameterised SQL (<c>InstanceInsertCommands</c>), a held one by
/// EF Core's replace path. The rows must read back through EF Core exactly as written, with the study and series
/// aggregates of PS3.4 C.6.1.1.4/5, on SQLite and on a real PostgreSQL server.
/// </summary>
public abstract class InstanceIndexWriteTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-index-write-");
    private readonly List<EfInstanceIndex> _indexes = [];

    protected abstract Task<DatabaseOptions> NewDatabaseAsync();

    protected string TempFile(string name) => _dir.File(name);

    private async Task<EfInstanceIndex> NewIndexAsync()
    {
        var index = await IndexDatabases.CreateAsync(await NewDatabaseAsync());
        _indexes.Add(index);
        return index;
    }

    private static readonly DateTimeOffset Received = new(2026, 11, 26, 10, 0, 0, 123, TimeSpan.Zero);

    /// <summary>A record with every field set, the optional ones too, and a time with milliseconds.</summary>
    private static InstanceRecord Full(string sop, string series = "2.1.1", string study = "2.1", string modality = "CT", DateTimeOffset? received = null) =>
        Records.Make(sop, series, study, modality: modality) with
        {
            PatientBirthDate = "19700101", PatientSex = "F", StudyId = "S7", StudyDescription = "Chest",
            ReferringPhysicianName = "Ref^Erin", SeriesNumber = "3", SeriesDescription = "Axial", BodyPartExamined = "CHEST",
            Rows = 512, Columns = 512, NumberOfFrames = 1, SpecificCharacterSet = "ISO_IR 100", Size = 526_000,
            Sha256 = new string('a', 64), CallingAeTitle = "STORESCU", Channel = "DIMSE", ReceivedAt = received ?? Received,
        };

    private static async Task<QueryMatch> StudyAsync(IQueryIndex index, string study)
    {
        var query = DicomQueryParser.FromQido(QueryLevel.Study, [new("StudyInstanceUID", [study])], null);
        var matches = new List<QueryMatch>();
        await foreach (var m in index.QueryAsync(query, CancellationToken.None)) matches.Add(m);
        return matches.Should().ContainSingle().Subject;
    }

    private static async Task<int> SeriesCountAsync(IQueryIndex index, string study, string series)
    {
        var query = DicomQueryParser.FromQido(QueryLevel.Series, [new("SeriesInstanceUID", [series])], study);
        await foreach (var m in index.QueryAsync(query, CancellationToken.None)) return m.NumberOfSeriesRelatedInstances;
        return 0;
    }

    [RequiresFact]
    public async Task AddOrReplace_NewInstance_ReadsBackAsWritten()
    {
        var index = await NewIndexAsync();
        var record = Full("2.1.1.1");
        await index.AddOrReplaceAsync(record, CancellationToken.None);
        (await index.FindInstanceAsync("2.1.1.1", CancellationToken.None)).Should().BeEquivalentTo(record);
        (await index.ContainsInstanceAsync("2.1.1.1", CancellationToken.None)).Should().BeTrue();
        (await index.ContainsInstanceAsync("2.1.1.2", CancellationToken.None)).Should().BeFalse();
    }

    [RequiresFact]
    public async Task AddOrReplace_NullOptionalFields_ReadBackAsNull()
    {
        var index = await NewIndexAsync();
        var record = Records.Make("2.1.1.1", "2.1.1", "2.1") with { Rows = null, CallingAeTitle = null, Channel = null };
        await index.AddOrReplaceAsync(record, CancellationToken.None);
        var read = await index.FindInstanceAsync("2.1.1.1", CancellationToken.None);
        read.Should().BeEquivalentTo(record);
        read!.Rows.Should().BeNull();
        read.CallingAeTitle.Should().BeNull();
    }

    [RequiresFact]
    public async Task AddOrReplace_ReceivedAt_ComparesAsATimeInListReceivedSince()
    {
        var index = await NewIndexAsync();
        await index.AddOrReplaceAsync(Full("2.1.1.1", received: Received), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("2.1.1.2", received: Received.AddSeconds(10)), CancellationToken.None);
        var since = new List<string>();
        await foreach (var r in index.ListReceivedSinceAsync(Received.AddSeconds(5), CancellationToken.None)) since.Add(r.SopInstanceUid);
        since.Should().Equal("2.1.1.2");
    }

    [RequiresFact, Trait("Conformance", "PS3.4 C.6.1.1.4")]
    public async Task AddOrReplace_NewInstancesAcrossSeries_CountAndSortModalities()
    {
        var index = await NewIndexAsync();
        // SEG first, then CT: Modalities in Study stays sorted whatever the arrival order; an empty modality adds none.
        await index.AddOrReplaceAsync(Full("2.1.3.1", series: "2.1.3", modality: "SEG"), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("2.1.1.1"), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("2.1.1.2"), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("2.1.2.1", series: "2.1.2", modality: ""), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("3.1.1.1", series: "3.1.1", study: "3.1", modality: "MR"), CancellationToken.None);

        var study = await StudyAsync(index, "2.1");
        study.NumberOfStudyRelatedSeries.Should().Be(3);
        study.NumberOfStudyRelatedInstances.Should().Be(4);
        study.ModalitiesInStudy.Should().Equal("CT", "SEG");
        (await SeriesCountAsync(index, "2.1", "2.1.1")).Should().Be(2);
        (await SeriesCountAsync(index, "2.1", "2.1.3")).Should().Be(1);
        (await StudyAsync(index, "3.1")).NumberOfStudyRelatedInstances.Should().Be(1);
    }

    [RequiresFact, Trait("Conformance", "PS3.4 C.6.1.1.4")]
    public async Task AddOrReplace_HeldInstance_ReplacesRowWithoutCountingItTwice()
    {
        var index = await NewIndexAsync();
        await index.AddOrReplaceAsync(Full("2.1.1.1"), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("2.1.1.2"), CancellationToken.None);
        var replacement = Full("2.1.1.2") with { BlobKey = "k/replaced", Size = 7 };
        await index.AddOrReplaceAsync(replacement, CancellationToken.None);

        (await index.FindInstanceAsync("2.1.1.2", CancellationToken.None)).Should().BeEquivalentTo(replacement);
        (await StudyAsync(index, "2.1")).NumberOfStudyRelatedInstances.Should().Be(2);
        (await SeriesCountAsync(index, "2.1", "2.1.1")).Should().Be(2);
    }

    [RequiresFact, Trait("Conformance", "PS3.4 C.6.1.1.5")]
    public async Task AddOrReplace_HeldInstanceMovedToAnotherSeries_MovesItsCount()
    {
        var index = await NewIndexAsync();
        await index.AddOrReplaceAsync(Full("2.1.1.1"), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("2.1.1.2"), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("2.1.1.2", series: "2.1.9", modality: "SR"), CancellationToken.None);

        var study = await StudyAsync(index, "2.1");
        study.NumberOfStudyRelatedSeries.Should().Be(2);
        study.NumberOfStudyRelatedInstances.Should().Be(2);
        study.ModalitiesInStudy.Should().Equal("CT", "SR");
        (await SeriesCountAsync(index, "2.1", "2.1.1")).Should().Be(1);
        (await SeriesCountAsync(index, "2.1", "2.1.9")).Should().Be(1);
    }

    /// <summary>
    /// The ingest statements are kept with the writer's connection and dropped with it after a failure: the write after a
    /// failed one reopens both, and the failed one left nothing behind.
    /// </summary>
    [RequiresFact]
    public async Task AddOrReplace_AfterAFailedWrite_WritesWithNewStatements()
    {
        var index = await NewIndexAsync();
        for (int i = 1; i <= 3; i++) await index.AddOrReplaceAsync(Full($"2.1.1.{i}"), CancellationToken.None);
        var broken = Full("2.1.1.4") with { BlobKey = null! }; // NOT NULL column: the insert fails in the database
        var write = () => index.AddOrReplaceAsync(broken, CancellationToken.None);
        await write.Should().ThrowAsync<Exception>();

        (await index.ContainsInstanceAsync("2.1.1.4", CancellationToken.None)).Should().BeFalse();
        await index.AddOrReplaceAsync(Full("2.1.1.5", modality: "SEG"), CancellationToken.None);
        await index.AddOrReplaceAsync(Full("2.1.1.6", series: "2.1.2"), CancellationToken.None);

        (await index.ContainsInstanceAsync("2.1.1.5", CancellationToken.None)).Should().BeTrue();
        var study = await StudyAsync(index, "2.1");
        study.NumberOfStudyRelatedInstances.Should().Be(5);
        study.NumberOfStudyRelatedSeries.Should().Be(2);
        study.ModalitiesInStudy.Should().Equal("CT", "SEG");
        (await SeriesCountAsync(index, "2.1", "2.1.1")).Should().Be(4);
    }

    public void Dispose()
    {
        foreach (var i in _indexes) i.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteInstanceIndexWriteTests : InstanceIndexWriteTests
{
    private int _n;

    protected override Task<DatabaseOptions> NewDatabaseAsync() =>
        Task.FromResult(IndexDatabases.Sqlite(TempFile($"index{_n++}.db")));
}

[RequiresPostgres]
public sealed class PostgresInstanceIndexWriteTests : InstanceIndexWriteTests
{
    protected override async Task<DatabaseOptions> NewDatabaseAsync() =>
        IndexDatabases.Postgres(await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync());
}
