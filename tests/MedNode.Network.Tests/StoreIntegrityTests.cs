using System.Security.Cryptography;
using MedNode.Core.Storage;
using MedNode.Dicom.Network.Server;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;
using static MedNode.Network.Tests.QueryRetrieveData;

namespace MedNode.Network.Tests;

/// <summary>
/// Issue 4: every read of the file store goes through one integrity policy. A commit records the SHA-256 it computed while
/// writing as verified (so the first read does not hash again), a later change is still found, and C-GET and C-MOVE
/// (DCMTK's getscu and movescu) fail the sub-operation of a corrupted file instead of sending it.
/// </summary>
public sealed class StoreIntegrityTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-store-integrity-");

    public void Dispose() => _dir.Dispose();

    /// <summary>Flips one byte near the end of a file with an ordinary write (its size kept).</summary>
    internal static void FlipByte(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = fs.Length - 10;
        int b = fs.ReadByte();
        fs.Position = fs.Length - 10;
        fs.WriteByte((byte)(b ^ 0xFF));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FileSystemBlobStore_ReadAfterCommitWhenChanged_DoesNotHashAndALaterChangeIsFound(bool journal)
    {
        using var store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("store"), UseIngestJournal = journal });
        var content = new byte[200_000];
        for (int i = 0; i < content.Length; i++) content[i] = (byte)(i * 7 + 3);
        var spool = Path.Combine(store.TempDirectory, "a.part");
        await File.WriteAllBytesAsync(spool, content);
        var blob = await store.CommitAsync(spool, "1.2", "1.2.3", "1.2.3.4", false, default);
        blob.Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData(content)));
        store.Integrity.Policy.Should().Be(VerifyOnRead.WhenChanged);

        using (var first = store.OpenRead(blob.Key, blob.Sha256)) first.ReadByte().Should().Be(3);
        store.GetCheckedPath(blob.Key, blob.Sha256).Should().Be(store.GetPath(blob.Key));
        store.Integrity.ReadHashes.Should().Be(0, "the commit's own hash is recorded as verified");

        FlipByte(store.GetPath(blob.Key));
        var open = () => store.OpenRead(blob.Key, blob.Sha256);

        open.Should().Throw<BlobIntegrityException>();
        store.Integrity.ReadHashes.Should().Be(1);
        store.Integrity.Status.Corrupted.Should().Be(1);
    }

    [Fact]
    public async Task FileSystemBlobStore_ReadAfterCommitAlways_HashesEveryRead()
    {
        using var store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("store"), Integrity = new BlobIntegrityOptions { VerifyOnRead = VerifyOnRead.Always } });
        var spool = Path.Combine(store.TempDirectory, "a.part");
        await File.WriteAllBytesAsync(spool, [1, 2, 3]);
        var blob = await store.CommitAsync(spool, "1.2", "1.2.3", "1.2.3.4", false, default);

        using (store.OpenRead(blob.Key, blob.Sha256)) { }
        store.GetCheckedPath(blob.Key, blob.Sha256);

        store.Integrity.ReadHashes.Should().Be(2);
    }

    [RequiresFact(null, "getscu", "storescu", "dump2dcm", "dcmdump")]
    [Trait("Conformance", "PS3.4 C.4.3.3.1")]
    public async Task Getscu_StudyWithACorruptedInstance_ThatSubOperationFailsTheOtherArrives()
    {
        using var data = new QueryRetrieveData();
        await using var node = await new TestNode().StartAsync();
        data.StoreInto(node);
        FlipByte(node.StoredPath(I2));
        using var dir = new TempDir();

        var r = Tools.Run("getscu", ["-S", "-v", "-od", dir.Path, "-aet", "DCMTKSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + S1, "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

        var output = r.StdOut + r.StdErr;
        output.Should().Contain("Number of Failed Suboperations    : 1", output);
        var files = Directory.GetFiles(dir.Path);
        files.Select(f => QueryRetrieveDcmtkTests.Value(f, "0008,0018")).Should().Equal([I1]);
        Dcmtk.DataSetBytes(files[0]).Should().Equal(Dcmtk.DataSetBytes(data.PathOf(I1)));
        node.Store.Integrity.Status.Corrupted.Should().Be(1);
    }

    [RequiresFact(null, "movescu", "storescp", "storescu", "dump2dcm")]
    [Trait("Conformance", "PS3.4 C.4.2.3.1")]
    public async Task Movescu_StudyWithACorruptedInstance_ThatSubOperationFailsTheOtherArrives()
    {
        using var data = new QueryRetrieveData();
        using var received = new TempDir();
        using var scp = new StorescpProcess(received.Path, null, "-B");
        await using var node = await new TestNode(moveDestinations: [new DicomPeer("STORESCP", "127.0.0.1", scp.Port)]).StartAsync();
        data.StoreInto(node);
        FlipByte(node.StoredPath(I1));

        var r = Tools.Run("movescu", ["-S", "-v", "-aet", "DCMTKSCU", "-aec", "MEDNODE", "-aem", "STORESCP", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + S1, "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

        var output = r.StdOut + r.StdErr;
        output.Should().Contain("Received Final Move Response (Warning: SubOperationsCompleteOneOrMoreFailures)", "DCMTK names status B000H so; " + output);
        node.WaitIdle();
        var files = Directory.GetFiles(received.Path);
        files.Select(f => QueryRetrieveDcmtkTests.Value(f, "0008,0018")).Should().Equal([I2]);
        Dcmtk.DataSetBytes(files[0]).Should().Equal(Dcmtk.DataSetBytes(data.PathOf(I2)));
        node.Store.Integrity.Status.Corrupted.Should().Be(1);
    }
}
