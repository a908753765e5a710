using System.Security.Cryptography;
using System.Text;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Storage;
using MedNode.Dicom.Network.Dimse;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>FileSystemBlobStore and IngestService, on a corpus file copied into a temporary store.</summary>
public class IngestAndStoreTests : IDisposable
{
    private const string Mr = "uncompressed/dcmqi__pm-example-slice.dcm";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private FileSystemBlobStore NewStore(long minFree = 0) => new(new FileSystemBlobStoreOptions { RootPath = _dir.File("store"), MinFreeBytes = minFree });

    private static string Spool(IBlobStore store, byte[] bytes)
    {
        var path = Path.Combine(store.TempDirectory, Guid.NewGuid().ToString("N") + ".part");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static IngestRequest Request(string path, string? sopClass = null, string? sopInstance = null) =>
        new(path, new IngestSource("DIMSE", "TESTSCU"), sopClass, sopInstance);

    [Fact]
    public async Task FileSystemBlobStore_Commit_KeyFromUidHashesAndSha256OfContent()
    {
        var store = NewStore();
        var content = Encoding.ASCII.GetBytes("not checked by the store");
        var blob = await store.CommitAsync(Spool(store, content), "1.2.3", "1.2.3.4", "1.2.3.4.5", overwrite: false, default);

#pragma warning disable CA5350 // the key scheme's folder hash, recomputed here
        var study = Convert.ToHexStringLower(SHA1.HashData("1.2.3"u8));
        blob.Key.Should().Be($"{study[..2]}/{study[2..4]}/{study}/{Convert.ToHexStringLower(SHA1.HashData("1.2.3.4"u8))}/1.2.3.4.5.dcm");
#pragma warning restore CA5350
        blob.Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData(content)));
        blob.Size.Should().Be(content.Length);
        File.ReadAllBytes(store.GetPath(blob.Key)).Should().Equal(content);
        Directory.EnumerateFiles(store.TempDirectory).Should().BeEmpty();
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("1.2.3/4")]
    [InlineData("1..2")]
    [InlineData("1.02")]
    [InlineData("")]
    public async Task FileSystemBlobStore_UidNotAUid_Refused(string bad)
    {
        var store = NewStore();
        var commit = () => store.CommitAsync(Spool(store, [1]), "1.2", "1.2.3", bad, false, default);
        await commit.Should().ThrowAsync<ArgumentException>();
        var get = () => store.GetPath("../" + bad);
        get.Should().Throw<ArgumentException>();
    }

    [Fact]
    public async Task FileSystemBlobStore_ContentChangedAfterCommit_OpenReadWithHashThrows()
    {
        var store = NewStore();
        var blob = await store.CommitAsync(Spool(store, [1, 2, 3]), "1.2", "1.2.3", "1.2.3.4", false, default);
        using (var ok = store.OpenRead(blob.Key, blob.Sha256)) ok.ReadByte().Should().Be(1);
        File.WriteAllBytes(store.GetPath(blob.Key), [1, 2, 4]);
        var open = () => store.OpenRead(blob.Key, blob.Sha256);
        open.Should().Throw<BlobIntegrityException>();
    }

    [RequiresFact("corpus/manifest.json")]
    [Trait("Conformance", "PS3.4 B.2.3")]
    public async Task IngestService_BelowWatermark_OutOfResourcesAndNoFileLeft()
    {
        var store = NewStore(minFree: long.MaxValue);
        var ingest = new IngestService(store, new InMemoryInstanceIndex());
        var result = await ingest.IngestAsync(Request(Spool(store, File.ReadAllBytes(Corpus.FullPath(Mr)))), default);
        result.DimseStatus.Should().Be((ushort)0xA700);
        Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories).Where(p => !p.Contains("/.journal/", StringComparison.Ordinal)).Should().BeEmpty("no instance or spooled file is left (journal segments aside)");
    }

    [RequiresFact("corpus/manifest.json")]
    [Trait("Conformance", "PS3.4 B.2.3")]
    public async Task IngestService_CommandUidDiffersFromDataSet_DataSetDoesNotMatchSopClass()
    {
        var store = NewStore();
        var ingest = new IngestService(store, new InMemoryInstanceIndex());
        var result = await ingest.IngestAsync(Request(Spool(store, File.ReadAllBytes(Corpus.FullPath(Mr))), sopInstance: "1.2.3.999"), default);
        result.DimseStatus.Should().BeInRange((ushort)0xA900, (ushort)0xA9FF);
        Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories).Where(p => !p.Contains("/.journal/", StringComparison.Ordinal)).Should().BeEmpty("no instance or spooled file is left (journal segments aside)");
    }

    [Fact]
    [Trait("Conformance", "PS3.4 B.2.3")]
    public async Task IngestService_NotDicom_CannotUnderstandAndTempDeleted()
    {
        var store = NewStore();
        var ingest = new IngestService(store, new InMemoryInstanceIndex());
        var path = Spool(store, Encoding.ASCII.GetBytes("plain text, not a data set at all"));
        var result = await ingest.IngestAsync(Request(path), default);
        result.DimseStatus.Should().BeInRange((ushort)0xC000, (ushort)0xCFFF);
        File.Exists(path).Should().BeFalse();
    }

    [RequiresTheory("corpus/manifest.json")]
    [Trait("Conformance", "PS3.4 B.2.3")]
    [InlineData(DuplicatePolicy.KeepFirst, 0xB006, IngestOutcome.Duplicate, 1)]
    [InlineData(DuplicatePolicy.Overwrite, 0xB000, IngestOutcome.Duplicate, 2)]
    [InlineData(DuplicatePolicy.Reject, 0x0111, IngestOutcome.Failed, 1)]
    public async Task IngestService_SameInstanceTwice_FollowsPolicy(DuplicatePolicy policy, int status, IngestOutcome outcome, int contentVersion)
    {
        var store = NewStore();
        var index = new InMemoryInstanceIndex();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var ingest = new IngestService(store, index, new IngestOptions { DuplicatePolicy = policy }, time);
        var first = File.ReadAllBytes(Corpus.FullPath(Mr));
        // The second copy differs in its preamble only, so which one is kept can be told apart.
        var second = (byte[])first.Clone();
        second[0] = 0x42;
        (await ingest.IngestAsync(Request(Spool(store, first)), default)).DimseStatus.Should().Be(DimseStatus.Success);
        time.Advance(TimeSpan.FromMinutes(1));
        var again = await ingest.IngestAsync(Request(Spool(store, second)), default);

        again.DimseStatus.Should().Be((ushort)status);
        again.Outcome.Should().Be(outcome);
        again.Reason.Should().Contain(policy.ToString());
        var record = index.All.Should().ContainSingle().Subject;
        File.ReadAllBytes(store.GetPath(record.BlobKey))[0].Should().Be(contentVersion == 1 ? (byte)0 : (byte)0x42);
        record.ReceivedAt.Should().Be(contentVersion == 1 ? new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) : new DateTimeOffset(2026, 1, 2, 3, 5, 5, TimeSpan.Zero));
        Directory.EnumerateFiles(store.TempDirectory).Should().BeEmpty();
    }
}
