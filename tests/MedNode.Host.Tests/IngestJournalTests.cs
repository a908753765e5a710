using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MedNode.Core.Storage;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Durability of the ingest journal: an acknowledged C-STORE survives kill -9 of the server even when its file is lost
/// (recovery rewrites it from the journal and it is indexed), and a torn journal tail is cut off at recovery.
/// </summary>
public sealed class IngestJournalTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-journal-");
    private Process? _node;

    [Fact]
    public async Task Recovery_TornTail_KeepsWholeRecordsAndDropsTheTornOne()
    {
        var root = _dir.File("store");
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        string first, second, segment;
        using (var store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = root }))
        {
            first = (await CommitAsync(store, bytes, "1.2.3.4.5")).Key;
            second = (await CommitAsync(store, bytes, "1.2.3.4.6")).Key;
            segment = IngestJournal.SegmentPaths(store.Journal!.DirectoryPath).Single();
            File.Delete(store.GetPath(first)); // as if the page cache had not reached the disk
            File.Delete(store.GetPath(second));
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

    [RequiresFact("corpus", "storescu")]
    public void Serve_KilledRightAfterStoreResponseAndFileLost_RecoveredAndIndexed()
    {
        var file = Corpus.FullPath("uncompressed/pydicom__CT_small.dcm");
        var (http, dimse) = Start();
        var env = new Dictionary<string, string> { ["TCP_NODELAY"] = "1" };
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", dimse.ToString(System.Globalization.CultureInfo.InvariantCulture), file], env: env);
        store.ExitCode.Should().Be(0, store.StdErr);
        _node!.Kill(); // SIGKILL right after the C-STORE-RSP: no shutdown, no checkpoint
        _node.WaitForExit();
        var stored = Directory.GetFiles(_dir.File("store"), "*.dcm", SearchOption.AllDirectories).Where(p => !p.Contains("/.", StringComparison.Ordinal)).ToList();
        stored.Should().ContainSingle();
        var before = File.ReadAllBytes(stored[0]);
        File.Delete(stored[0]); // a power loss could lose the file: it was not fsynced, only the journal was

        (http, _) = Start();
        File.Exists(stored[0]).Should().BeTrue("recovery rewrites the file from the journal");
        var original = MedNode.Dicom.DicomFile.Open(file).Dataset;
        var back = MedNode.Dicom.DicomFile.Open(stored[0]).Dataset;
        back.GetString(MedNode.Dicom.DicomTags.SOPInstanceUID).Should().Be(original.GetString(MedNode.Dicom.DicomTags.SOPInstanceUID));
        File.ReadAllBytes(stored[0]).Should().Equal(before, "the journal holds the stored file byte for byte");
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
