using MedNode.Core.Index;
using MedNode.Persistence;
using MedNode.Persistence.Index;
using MedNode.TestSupport;
using MedNode.Web.Tests.Query;

namespace MedNode.Web.Tests.Persistence;

/// <summary>
/// The retention query of the index (<see cref="IStudyAges"/>): a study is listed once every one of its instances was
/// received before the cutoff; a late instance keeps it. On SQLite (times stored as Unix milliseconds) and PostgreSQL.
/// </summary>
public abstract class StudyAgesTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-ages-");
    private EfInstanceIndex? _index;

    protected abstract Task<DatabaseOptions> NewDatabaseAsync();

    protected string TempFile(string name) => _dir.File(name);

    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static InstanceRecord Record(string study, string sop, TimeSpan age) => new()
    {
        SopInstanceUid = sop,
        SopClassUid = "1.2.840.10008.5.1.4.1.1.2",
        SeriesInstanceUid = study + ".1",
        StudyInstanceUid = study,
        TransferSyntaxUid = "1.2.840.10008.1.2.1",
        BlobKey = sop,
        Channel = "DIMSE",
        ReceivedAt = Now - age,
    };

    [Fact]
    public async Task ListStudiesReceivedBefore_OnlyStudiesWithEveryInstanceOlder_InUidOrder_UpToTheLimit()
    {
        _index = await IndexDatabases.CreateAsync(await NewDatabaseAsync());
        foreach (var r in new[]
        {
            Record("1.3", "c1", TimeSpan.FromDays(40)),
            Record("1.1", "a1", TimeSpan.FromDays(31)), Record("1.1", "a2", TimeSpan.FromDays(45)),
            Record("1.2", "b1", TimeSpan.FromDays(10)),
            Record("1.4", "d1", TimeSpan.FromDays(35)), Record("1.4", "d2", TimeSpan.FromDays(5)),
        })
            await _index.AddOrReplaceAsync(r, CancellationToken.None);

        var cutoff = Now - TimeSpan.FromDays(30);
        (await _index.ListStudiesReceivedBeforeAsync(cutoff, 10, CancellationToken.None)).Should().Equal("1.1", "1.3");
        (await _index.ListStudiesReceivedBeforeAsync(cutoff, 1, CancellationToken.None)).Should().Equal("1.1");
        (await _index.ListStudiesReceivedBeforeAsync(Now - TimeSpan.FromDays(50), 10, CancellationToken.None)).Should().BeEmpty();
        (await _index.ListStudiesReceivedBeforeAsync(Now, 10, CancellationToken.None)).Should().Equal("1.1", "1.2", "1.3", "1.4");
    }

    public void Dispose()
    {
        _index?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteStudyAgesTests : StudyAgesTests
{
    protected override Task<DatabaseOptions> NewDatabaseAsync() => Task.FromResult(IndexDatabases.Sqlite(TempFile("index.db")));
}

[RequiresPostgres]
public sealed class PostgresStudyAgesTests : StudyAgesTests
{
    protected override async Task<DatabaseOptions> NewDatabaseAsync() =>
        IndexDatabases.Postgres(await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync());
}
