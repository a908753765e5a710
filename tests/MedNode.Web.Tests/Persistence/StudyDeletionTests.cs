using MedNode.Core.Audit;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Query;
using MedNode.Core.Retention;
using MedNode.Persistence;
using MedNode.Persistence.Index;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;
using MedNode.Web.Tests.DicomWeb;
using MedNode.Web.Tests.Query;

namespace MedNode.Web.Tests.Persistence;

/// <summary>
/// Retention by study: corpus files ingested into the file store and a real index, then one study deleted through
/// <see cref="StudyDeletionService"/>; its rows, aggregates and files go, the other study stays. On SQLite and PostgreSQL.
/// </summary>
public abstract class StudyDeletionTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-retention-");
    private EfInstanceIndex? _index;

    protected abstract Task<DatabaseOptions> NewDatabaseAsync();

    protected string TempFile(string name) => _dir.File(name);

    private async Task<(EfInstanceIndex Index, FileSystemBlobStore Store)> StoreCorpusAsync()
    {
        _index = await IndexDatabases.CreateAsync(await NewDatabaseAsync());
        var store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("blobs") });
        var ingest = new IngestService(store, _index);
        foreach (var f in new[] { Golden.CtImage1, Golden.CtImage2, Golden.MrSlice })
        {
            var temp = Path.Combine(store.TempDirectory, Guid.NewGuid().ToString("N"));
            File.Copy(Corpus.FullPath(f), temp);
            (await ingest.IngestAsync(new IngestRequest(temp, new IngestSource("test")), CancellationToken.None)).IsSuccess.Should().BeTrue();
        }
        return (_index, store);
    }

    [RequiresFact("corpus")]
    public async Task DeleteStudy_HeldStudy_RemovesRowsAggregatesAndFilesOnly()
    {
        var (index, store) = await StoreCorpusAsync();
        var ctPaths = (await index.GetInstancesAsync(Golden.CtStudy, null, CancellationToken.None)).Select(r => store.GetPath(r.BlobKey)).ToList();
        var mr = (await index.FindInstanceAsync(Golden.MrSop, CancellationToken.None))!;
        ctPaths.Should().HaveCount(2).And.OnlyContain(p => File.Exists(p));

        var result = await new StudyDeletionService(index, store).DeleteStudyAsync(Golden.CtStudy, CancellationToken.None);

        result.Should().Be(new StudyDeletion(Golden.CtStudy, 2, 2));
        ctPaths.Should().OnlyContain(p => !File.Exists(p));
        (await index.GetInstancesAsync(Golden.CtStudy, null, CancellationToken.None)).Should().BeEmpty();
        (await index.FindInstanceAsync(Golden.CtSop1, CancellationToken.None)).Should().BeNull();
        var studies = new List<QueryMatch>();
        await foreach (var m in index.QueryAsync(DicomQueryParser.FromQido(QueryLevel.Study, [], null), CancellationToken.None)) studies.Add(m);
        studies.Select(s => s.Representative.StudyInstanceUid).Should().Equal(Golden.MrStudy);
        studies[0].NumberOfStudyRelatedInstances.Should().Be(1);
        File.Exists(store.GetPath(mr.BlobKey)).Should().BeTrue();
        store.OpenRead(mr.BlobKey, mr.Sha256).Dispose();
    }

    [RequiresFact("corpus", "dcmdump")]
    [Trait("Conformance", "PS3.15 A.5.3.8 DICOM Study Deleted")]
    public async Task DeleteStudy_WithAnAuditTrail_IsAuditedAsStudyDeletedWithItsSopClass_NotWhenNothingWasHeld()
    {
        var (index, store) = await StoreCorpusAsync();
        var trail = new InMemoryAuditTrail();
        var service = new StudyDeletionService(index, store, trail);

        await service.DeleteStudyAsync(Golden.CtStudy, CancellationToken.None, new AuditParticipant("admin-app", "127.0.0.1", true));
        await service.DeleteStudyAsync("1.2.3.4.5", CancellationToken.None);

        var dump = Tools.Run("dcmdump", ["-q", "-s", "-Un", "+P", "0008,0016", Corpus.FullPath(Golden.CtImage1)]).StdOut;
        var sopClass = dump[(dump.IndexOf('[', StringComparison.Ordinal) + 1)..dump.LastIndexOf(']')];
        var row = (await trail.ReadAsync(AuditQuery.All, CancellationToken.None).ToListAsync()).Should().ContainSingle().Subject;
        row.EventCode.Should().Be("110105");
        row.Action.Should().Be("D");
        row.Outcome.Should().Be(0);
        row.StudyInstanceUid.Should().Be(Golden.CtStudy);
        row.Participants.Should().Be("admin-app|127.0.0.1|R|");
        row.Detail.Should().Contain($"ContainsSOPClass {sopClass} NumberOfInstances 2").And.Contain("2 file(s) deleted");
    }

    [RequiresFact("corpus")]
    public async Task DeleteStudy_StudyNotHeld_RemovesNothing()
    {
        var (index, store) = await StoreCorpusAsync();

        var result = await new StudyDeletionService(index, store).DeleteStudyAsync("1.2.3.4.5", CancellationToken.None);

        result.Should().Be(new StudyDeletion("1.2.3.4.5", 0, 0));
        (await index.GetInstancesAsync(Golden.CtStudy, null, CancellationToken.None)).Should().HaveCount(2);
        (await index.GetInstancesAsync(Golden.MrStudy, null, CancellationToken.None)).Should().HaveCount(1);
    }

    public void Dispose()
    {
        _index?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteStudyDeletionTests : StudyDeletionTests
{
    protected override Task<DatabaseOptions> NewDatabaseAsync() =>
        Task.FromResult(IndexDatabases.Sqlite(TempFile("index.db")));
}

[RequiresPostgres]
public sealed class PostgresStudyDeletionTests : StudyDeletionTests
{
    protected override async Task<DatabaseOptions> NewDatabaseAsync() =>
        IndexDatabases.Postgres(await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync());
}
