using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.StorageCommitment;
using MedNode.Core.QueryRetrieve;
using MedNode.Dicom.Network.Server;
using MedNode.Persistence.Storage;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>A MedNode C-STORE SCP on 127.0.0.1, port 0, over a temporary file store and an in-memory index.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    private readonly TempDir _dir = new("mednode-node-");

    public TestNode(DicomServerOptions? options = null, DuplicatePolicy policy = DuplicatePolicy.KeepFirst, StorageCommitmentReportWaiter? commitmentReports = null, long minFreeBytes = 0, IReadOnlyList<DicomPeer>? moveDestinations = null, IDicomSecurityEventHandler? securityEvents = null)
    {
        Store = new FileSystemBlobStore(new FileSystemBlobStoreOptions { RootPath = _dir.File("store"), MinFreeBytes = minFreeBytes });
        Ingest = new IngestService(Store, Index, new IngestOptions { DuplicatePolicy = policy });
        Server = new DicomServer((options ?? new DicomServerOptions()) with { BindAddress = IPAddress.Loopback, Port = 0, AeTitle = "MEDNODE" }, new IngestStoreScpHandler(Ingest, Store))
        {
            StorageCommitment = new StorageCommitmentService(Index, Store),
            StorageCommitmentReports = commitmentReports,
            QueryRetrieveHandler = new QueryRetrieveScpHandler(Index, Store, moveDestinations ?? []),
            SecurityEvents = securityEvents,
        };
    }

    public FileSystemBlobStore Store { get; }

    public InMemoryInstanceIndex Index { get; } = new();

    public IngestService Ingest { get; }

    public DicomServer Server { get; }

    public int Port => Server.Port;

    public async Task<TestNode> StartAsync()
    {
        await Server.StartAsync();
        return this;
    }

    /// <summary>Waits (bounded) until every association has ended, so the store can be inspected.</summary>
    public void WaitIdle() => SpinWait.SpinUntil(() => Server.ActiveAssociations == 0, TimeSpan.FromSeconds(30)).Should().BeTrue("the association ends");

    public string StoredPath(string sopInstanceUid) => Store.GetPath(Index.All.Single(r => r.SopInstanceUid == sopInstanceUid).BlobKey);

    public IEnumerable<string> TempFiles => Directory.EnumerateFiles(Store.TempDirectory);

    /// <summary>Instance files in the store (outside its temporary folder and the ingest journal's segments).</summary>
    public IEnumerable<string> BlobFiles => Directory.EnumerateFiles(Store.RootPath, "*", SearchOption.AllDirectories)
        .Where(p => !p.StartsWith(Store.TempDirectory, StringComparison.Ordinal) && !p.Contains(Path.DirectorySeparatorChar + ".journal" + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>DCMTK peers (../shared/PEERS.md), with TCP_NODELAY=1 and 127.0.0.1 only.</summary>
internal static class Dcmtk
{
    public static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };

    public static int FreePort() => FreePorts.Next();

    public static Tools.Result Storescu(int port, IEnumerable<string> options, params string[] files) =>
        Tools.Run("storescu", [.. options, "-aet", "DCMTKSCU", "-aec", "MEDNODE", "127.0.0.1", port.ToString(), .. files], TimeSpan.FromSeconds(120), env: Env);

    /// <summary>
    /// The data set bytes of a Part 10 file: after the 128-byte preamble, "DICM" and the meta group, whose length is
    /// read from its File Meta Information Group Length (PS3.10 §7.1), independently of MedNode's reader.
    /// </summary>
    public static byte[] DataSetBytes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.AsSpan(128, 4).SequenceEqual("DICM"u8).Should().BeTrue($"{path} is a Part 10 file");
        BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(132)).Should().Be(0x0000_0002u, "(0002,0000) comes first");
        var groupLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(140));
        return bytes[(int)(144 + groupLength)..];
    }

    /// <summary>dcmdump's print of the data set part only (after "# Dicom-Data-Set"), without the transfer syntax line.</summary>
    public static string[] DumpDataSet(string path)
    {
        var r = Tools.Run("dcmdump", ["+L", path], TimeSpan.FromSeconds(60));
        r.ExitCode.Should().Be(0, r.StdErr);
        var lines = r.StdOut.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("# Dicom-Data-Set", StringComparison.Ordinal));
        return lines[(start + 1)..].Where(l => !l.StartsWith("# Used TransferSyntax", StringComparison.Ordinal)).ToArray();
    }

    /// <summary>One element's value as dcmdump prints it (+P TAG, +L: long values in full).</summary>
    public static string Value(string path, string tag)
    {
        var r = Tools.Run("dcmdump", ["-q", "+L", "+P", tag, path], TimeSpan.FromSeconds(60));
        r.ExitCode.Should().Be(0, r.StdErr);
        return r.StdOut.Split('#')[0].Trim();
    }

    /// <summary>The Transfer Syntax UID (0002,0010) as dcmdump prints it (DCMTK's name, e.g. "=LittleEndianImplicit").</summary>
    public static string TransferSyntaxOf(string path)
    {
        var r = Tools.Run("dcmdump", ["-q", "+P", "0002,0010", path], TimeSpan.FromSeconds(60));
        return r.StdOut.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
    }
}
