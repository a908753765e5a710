using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MedNode.Core.Storage;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Durability of the ingest journal: an acknowledged C-STORE survives kill -9 of the server even when its rename and index
/// row are lost (recovery puts the synced spool file in place and indexes it), and a torn journal tail is cut off at recovery.
/// </summary>
public sealed class IngestJournalTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-journal-");
    private Process? _node;

    /// <summary>Segments written by versions before the reference record: the whole file is in the journal.</summary>
    [Fact]
    public async Task Recovery_PayloadRecordsWithTornTail_RewritesWholeRecordsAndDropsTheTornOne()
    {
        var root = _dir.File("store");
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        string first, second, segment;
        using (var store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root }))
        {
            first = FileSystemBlobStore.KeyFor("1.2.3", "1.2.3.4", "1.2.3.4.5");
            second = FileSystemBlobStore.KeyFor("1.2.3", "1.2.3.4", "1.2.3.4.6");
            foreach (var key in new[] { first, second })
            {
                using var payload = new MemoryStream(bytes);
                var (ticket, _, _) = await store.Journal!.AppendAsync(key, store.GetPath(key), payload, CancellationToken.None);
                await store.Journal.WaitDurableAsync(ticket, CancellationToken.None);
            }
            segment = IngestJournal.SegmentPaths(store.Journal!.DirectoryPath).Single();
        }
        using (var fs = new FileStream(segment, FileMode.Open))
            fs.SetLength(fs.Length - 10); // the second record loses its trailer

        using var again = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root });
        var reindexed = new List<BlobInfo>();
        var recovered = await again.RecoverJournalAsync((b, _) => { reindexed.Add(b); return Task.CompletedTask; }, CancellationToken.None);

        recovered.Select(b => b.Key).Should().Equal(first);
        reindexed.Select(b => b.Key).Should().Equal(first);
        File.ReadAllBytes(again.GetPath(first)).Should().Equal(bytes);
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)).Should().Be(recovered[0].Sha256);
        File.Exists(again.GetPath(second)).Should().BeFalse();
        File.Exists(segment).Should().BeFalse("a recovered segment is deleted");
    }

    /// <summary>
    /// What a crash can leave of commits through reference records (the file is synced before the response, its rename and
    /// index row are not): a committed file still under its spool name is put in place and re-indexed; a record whose
    /// spooled file does not match it (a commit that never got as far as its response) and a torn record are not.
    /// </summary>
    [Fact]
    public async Task Recovery_ReferenceRecords_RenameLostIsRedone_UnmatchedFileAndTornRecordAreNot()
    {
        var root = _dir.File("store");
        byte[] Bytes(int seed) => Enumerable.Range(0, 300_000).Select(i => (byte)(i * seed)).ToArray();
        string renameLost, unmatched, torn, segment;
        List<JournalRecord> records;
        using (var store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root }))
        {
            renameLost = (await CommitAsync(store, Bytes(7), "1.2.3.4.5")).Key;
            unmatched = (await CommitAsync(store, Bytes(11), "1.2.3.4.6")).Key;
            torn = (await CommitAsync(store, Bytes(13), "1.2.3.4.7")).Key;
            segment = IngestJournal.SegmentPaths(store.Journal!.DirectoryPath).Single();
            records = [.. new IngestJournalReader(segment).Records];
        }
        records.Select(r => r.Key).Should().Equal(renameLost, unmatched, torn);
        records.Should().OnlyContain(r => r.SpoolPath != null && r.PayloadOffset == -1, "commits write reference records, not the file");
        var spool = records.ToDictionary(r => r.Key, r => r.SpoolPath!);
        using (var store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root, UseIngestJournal = false }))
        {
            foreach (var key in new[] { renameLost, unmatched, torn }) File.Move(store.GetPath(key), spool[key]);
        }
        using (var fs = new FileStream(spool[unmatched], FileMode.Open)) fs.SetLength(100_000); // its data never all reached the disk
        using (var fs = new FileStream(segment, FileMode.Open)) fs.SetLength(fs.Length - 10); // the last record loses its trailer

        using var again = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root });
        var reindexed = new List<BlobInfo>();
        var recovered = await again.RecoverJournalAsync((b, _) => { reindexed.Add(b); return Task.CompletedTask; }, CancellationToken.None);

        recovered.Select(b => b.Key).Should().Equal(renameLost);
        reindexed.Select(b => b.Key).Should().Equal(renameLost);
        File.ReadAllBytes(again.GetPath(renameLost)).Should().Equal(Bytes(7));
        File.Exists(spool[renameLost]).Should().BeFalse("the spooled file was renamed into place");
        recovered[0].Sha256.Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Bytes(7))));
        File.Exists(again.GetPath(unmatched)).Should().BeFalse();
        File.Exists(again.GetPath(torn)).Should().BeFalse();
        File.Exists(segment).Should().BeFalse("a recovered segment is deleted");
    }

    [Fact]
    public async Task Commit_ThroughTheJournal_WritesTheFileOnce_TheJournalHoldsOnlyAReference()
    {
        var bytes = Enumerable.Range(0, 1_000_000).Select(i => (byte)(i * 3)).ToArray();
        using var store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("store") });
        var blob = await CommitAsync(store, bytes, "1.2.3.4.5");
        File.ReadAllBytes(store.GetPath(blob.Key)).Should().Equal(bytes);
        blob.Sha256.Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        new FileInfo(IngestJournal.SegmentPaths(store.Journal!.DirectoryPath).Single()).Length.Should().BeLessThan(1024, "the journal holds a reference, not a second copy");
        Directory.GetFiles(store.TempDirectory).Should().BeEmpty("the spooled file became the stored file");
    }

    [Fact]
    public async Task Journal_SecondStoreOnTheSameRoot_IsRefused_WithoutTheJournalOrAfterTheFirstIsGone_ItOpens()
    {
        var root = _dir.File("store");
        using (var first = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root }))
        {
            var key = (await CommitAsync(first, [1, 2, 3], "1.2.3.4.5")).Key;
            var second = () => new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root });
            second.Should().Throw<IngestJournalInUseException>().Which.DirectoryPath.Should().Be(first.Journal!.DirectoryPath);
            IngestJournal.SegmentPaths(first.Journal!.DirectoryPath).Should().ContainSingle("the refused store created no segment of its own");

            using var withoutJournal = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root, UseIngestJournal = false });
            File.Exists(withoutJournal.GetPath(key)).Should().BeTrue("a store without the journal shares the root's files");
        }
        using var again = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root });
        again.Journal.Should().NotBeNull("the first owner has gone");
    }

    /// <summary>Two `mednode serve` on one storage root: the second with the journal stops at start naming the setting; without it, it runs.</summary>
    [Fact]
    public void Serve_SecondNodeOnTheSameStorageRootWithTheJournal_StopsNamingTheSetting_WithoutTheJournalItRuns()
    {
        var storage = $"--MedNode:Dimse:StoragePath={_dir.File("shared-store")}";
        string Folder(string name) => Directory.CreateDirectory(_dir.File(name)).FullName;
        using var first = NodeProcess.Start(Folder("first"), [storage, "--MedNode:Dimse:MinFreeBytes=0"]);
        var second = () => NodeProcess.Start(Folder("second"), [storage, "--MedNode:Dimse:MinFreeBytes=0"]);
        second.Should().Throw<InvalidOperationException>().WithMessage("mednode serve exited*")
            .Which.Message.Should().Contain("is in use by another process").And.Contain("MedNode:Dimse:IngestJournal=false");
        using var third = NodeProcess.Start(Folder("third"), [storage, "--MedNode:Dimse:MinFreeBytes=0", "--MedNode:Dimse:IngestJournal=false"]);
        first.Process.HasExited.Should().BeFalse();
    }

    private static Task<BlobInfo> CommitAsync(FileSystemBlobStore store, byte[] bytes, string sop)
    {
        var spool = Path.Combine(store.TempDirectory, Guid.NewGuid().ToString("N") + ".part");
        File.WriteAllBytes(spool, bytes);
        return store.CommitAsync(spool, "1.2.3", "1.2.3.4", sop, overwrite: false, CancellationToken.None);
    }

    /// <summary>
    /// SIGKILL right after the C-STORE-RSP, then what a power loss may also take away: the file's rename (the file is back
    /// under its spool name, which the journal names) and the index row (the index as it was before the store). The
    /// restarted node puts the file back in place and indexes it.
    /// </summary>
    [RequiresFact("corpus", "storescu")]
    public void Serve_KilledRightAfterStoreResponse_RenameAndIndexRowLost_RecoveredAndIndexed()
    {
        var file = Corpus.FullPath("uncompressed/pydicom__CT_small.dcm");
        var (http, dimse) = Start();
        var index = Directory.GetFiles(_dir.Path, "mednode.db", SearchOption.AllDirectories).Should().ContainSingle("the node's SQLite index (shipped settings)").Subject;
        // The shared-memory file is left out (deleted below): SQLite rebuilds it from the database and its WAL.
        var snapshot = new[] { "", "-wal", "-shm" }.ToDictionary(s => index + s, s => s != "-shm" && File.Exists(index + s) ? File.ReadAllBytes(index + s) : null);
        var env = new Dictionary<string, string> { ["TCP_NODELAY"] = "1" };
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", dimse.ToString(System.Globalization.CultureInfo.InvariantCulture), file], env: env);
        store.ExitCode.Should().Be(0, store.StdErr);
        _node!.Kill(); // SIGKILL right after the C-STORE-RSP: no shutdown, no checkpoint
        _node.WaitForExit();
        var stored = Directory.GetFiles(_dir.File("store"), "*.dcm", SearchOption.AllDirectories).Where(p => !p.Contains("/.", StringComparison.Ordinal)).ToList();
        stored.Should().ContainSingle();
        var before = File.ReadAllBytes(stored[0]);
        var record = IngestJournal.SegmentPaths(Path.Combine(_dir.File("store"), ".journal")).SelectMany(s => new IngestJournalReader(s).Records).Should().ContainSingle().Subject;
        File.Move(stored[0], record.SpoolPath!); // the rename had not reached the disk
        foreach (var (path, bytes) in snapshot)
        {
            if (bytes == null) File.Delete(path);
            else File.WriteAllBytes(path, bytes); // the index row had not reached the disk
        }

        (http, _) = Start();
        File.Exists(stored[0]).Should().BeTrue("recovery renames the spooled file into place again");
        File.Exists(record.SpoolPath!).Should().BeFalse();
        File.ReadAllBytes(stored[0]).Should().Equal(before, "the spooled file is the stored file byte for byte");
        var original = MedNode.Dicom.DicomFile.Open(file).Dataset;
        using var client = new HttpClient();
        var qido = client.GetStringAsync($"http://127.0.0.1:{http}/dicomweb/studies/{original.GetString(MedNode.Dicom.DicomTags.StudyInstanceUID)}/instances").Result;
        using var doc = JsonDocument.Parse(qido);
        doc.RootElement.GetArrayLength().Should().Be(1);
    }

    private (int Http, int Dimse) Start()
    {
        int http = NodeProcess.FreePort(), dimse = NodeProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Mednode.Dll, "serve", "--urls", $"http://127.0.0.1:{http}", $"--MedNode:Dimse:Port={dimse}", "--MedNode:Dimse:BindAddress=127.0.0.1", "--MedNode:Dimse:MinFreeBytes=0", $"--MedNode:Dimse:StoragePath={_dir.File("store")}", "--MedNode:Security:AllowAnonymous=true" })
            psi.ArgumentList.Add(a);
        _node = Process.Start(psi)!;
        _node.OutputDataReceived += (_, _) => { };
        _node.ErrorDataReceived += (_, _) => { };
        _node.BeginOutputReadLine();
        _node.BeginErrorReadLine();
        using var probe = new HttpClient();
        for (int i = 0; i < 240; i++)
        {
            try
            {
                if (probe.GetAsync($"http://127.0.0.1:{http}/health/live").Result.IsSuccessStatusCode)
                {
                    using var tcp = new TcpClient();
                    tcp.Connect(IPAddress.Loopback, dimse);
                    return (http, dimse);
                }
            }
            catch (AggregateException) { }
            catch (SocketException) { }
            _node.HasExited.Should().BeFalse("mednode serve should keep running");
            Thread.Sleep(500);
        }
        throw new TimeoutException("mednode serve did not come up");
    }

    public void Dispose()
    {
        if (_node is { HasExited: false }) { _node.Kill(true); _node.WaitForExit(10_000); }
        _node?.Dispose();
        _dir.Dispose();
    }
}
