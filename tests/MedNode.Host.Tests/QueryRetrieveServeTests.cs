using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// `mednode serve` (SQLite index, file store) as a Query/Retrieve SCP, driven by `mednode find|move|get` and DCMTK
/// findscu, with DCMTK storescu filling it and storescp as the C-MOVE destination. <see cref="QueryRetrieveServePostgresTests"/>
/// runs the same tests with the PostgreSQL index.
/// </summary>
public class QueryRetrieveServeTests : IDisposable
{
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-qr-serve-");
    private readonly List<Process> _processes = [];


    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private Process Launch(string file, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TCP_NODELAY"] = "1";
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        return p;
    }

    /// <summary>dcmdump's print of the data set (after "# Dicom-Data-Set"), the meta group left out.</summary>
    private static string[] DumpDataSet(string path)
    {
        var r = Tools.Run("dcmdump", ["+L", path], TimeSpan.FromSeconds(60));
        r.ExitCode.Should().Be(0, r.StdErr);
        var lines = r.StdOut.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("# Dicom-Data-Set", StringComparison.Ordinal));
        return lines[(start + 1)..].Where(l => !l.StartsWith("# Used TransferSyntax", StringComparison.Ordinal)).ToArray();
    }

    private static string Value(string path, string tag)
    {
        // -s: the first instance, the top-level one (nested ones come later: they sort after their sequence's tag).
        var line = Tools.Run("dcmdump", ["-q", "-s", "+P", tag, path], TimeSpan.FromSeconds(60)).StdOut;
        return line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.LastIndexOf(']')];
    }

    /// <summary>The index database the node runs on: nothing for the embedded SQLite default.</summary>
    protected virtual string[] DatabaseArguments() => [];

    [RequiresFact("corpus", "storescu", "storescp", "dcmdump")]
    [Trait("Conformance", "PS3.4 C.4")]
    public void Serve_StoredStudy_MednodeFindMoveGetRetrieveIt()
    {
        var source = Corpus.FullPath(CtSmall);
        string study = Value(source, "0020,000d"), sop = Value(source, "0008,0018"), patient = Value(source, "0010,0020");
        var received = Directory.CreateDirectory(_dir.File("storescp")).FullName;
        var scpPort = NodeProcess.FreePort();
        Launch(Tools.Find("storescp")!, _dir.Path, "-aet", "STORESCP", "-od", received, P(scpPort));
        SpinWait.SpinUntil(() => StorescpProcess.CanConnect(scpPort), TimeSpan.FromSeconds(20)).Should().BeTrue("storescp listens");
        var dimse = NodeProcess.FreePort();
        var node = Launch("dotnet", _dir.Path, [Mednode.Dll, "serve", "--urls", $"http://127.0.0.1:{P(NodeProcess.FreePort())}", $"--MedNode:Dimse:Port={P(dimse)}", "--MedNode:Dimse:BindAddress=127.0.0.1",
            "--MedNode:Dimse:MoveDestinations:0:AeTitle=STORESCP", "--MedNode:Dimse:MoveDestinations:0:Host=127.0.0.1", $"--MedNode:Dimse:MoveDestinations:0:Port={P(scpPort)}", .. DatabaseArguments()]);
        SpinWait.SpinUntil(() => node.HasExited || StorescpProcess.CanConnect(dimse), TimeSpan.FromSeconds(60)).Should().BeTrue();
        node.HasExited.Should().BeFalse("mednode serve keeps running");
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", P(dimse), source], env: Env);
        store.ExitCode.Should().Be(0, store.StdErr);
        var address = $"MEDNODE@127.0.0.1:{P(dimse)}";

        var find = Mednode.Run("find", address, "--level", "STUDY", "-k", "PatientID=" + patient, "-k", "StudyInstanceUID");
        find.ExitCode.Should().Be(0, find.StdErr);
        find.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle().Which.Should().Contain(study);

        // storescu leaves out the source's Data Set Trailing Padding, so what MedNode stored is the reference.
        var stored = Directory.GetFiles(Path.Combine(_dir.Path, "data"), "*.dcm", SearchOption.AllDirectories).Should().ContainSingle().Subject;
        var outDir = _dir.File("get");
        var get = Mednode.Run("get", address, "--out", outDir, "--level", "STUDY", "-k", "StudyInstanceUID=" + study);
        get.ExitCode.Should().Be(0, get.StdOut + get.StdErr);
        DumpDataSet(Path.Combine(outDir, sop + ".dcm")).Should().Equal(DumpDataSet(stored));

        var move = Mednode.Run("move", address, "--dest", "STORESCP", "--root", "patient", "--level", "PATIENT", "-k", "PatientID=" + patient);
        move.ExitCode.Should().Be(0, move.StdOut + move.StdErr);
        move.StdOut.Should().Contain("status 0x0000: 1 completed");
        DumpDataSet(Directory.GetFiles(received).Should().ContainSingle().Subject).Should().Equal(DumpDataSet(stored));

        var unknown = Mednode.Run("move", address, "--dest", "NOWHERE", "--level", "STUDY", "-k", "StudyInstanceUID=" + study);
        unknown.ExitCode.Should().Be(1);
        unknown.StdOut.Should().Contain("status 0xA801");
    }

    [RequiresFact("corpus", "storescu", "findscu")]
    [Trait("Conformance", "PS3.4 C.4.1, C.6.1, C.6.2")]
    public void Serve_StoredSeries_FindscuAtEveryLevelOfBothRootsFindsIt()
    {
        var source = Corpus.FullPath(CtSmall);
        string patient = Value(source, "0010,0020"), study = Value(source, "0020,000d"), series = Value(source, "0020,000e"), sop = Value(source, "0008,0018");
        var dimse = NodeProcess.FreePort();
        var node = Launch("dotnet", _dir.Path, [Mednode.Dll, "serve", "--urls", $"http://127.0.0.1:{P(NodeProcess.FreePort())}", $"--MedNode:Dimse:Port={P(dimse)}", "--MedNode:Dimse:BindAddress=127.0.0.1", .. DatabaseArguments()]);
        SpinWait.SpinUntil(() => node.HasExited || StorescpProcess.CanConnect(dimse), TimeSpan.FromSeconds(60)).Should().BeTrue();
        node.HasExited.Should().BeFalse("mednode serve keeps running");
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", P(dimse), source], env: Env);
        store.ExitCode.Should().Be(0, store.StdErr);

        // Each level with the unique keys of the levels above it (hierarchical search, PS3.4 C.4.1.3.1.1), both roots.
        (string Root, string Level, string[] Keys, string Expect)[] queries =
        [
            ("-P", "PATIENT", ["PatientID=" + patient, "PatientName"], patient),
            ("-P", "STUDY", ["PatientID=" + patient, "StudyInstanceUID"], study),
            ("-P", "SERIES", ["PatientID=" + patient, "StudyInstanceUID=" + study, "SeriesInstanceUID", "Modality"], series),
            ("-P", "IMAGE", ["PatientID=" + patient, "StudyInstanceUID=" + study, "SeriesInstanceUID=" + series, "SOPInstanceUID=" + sop], sop),
            ("-S", "STUDY", ["StudyInstanceUID=" + study, "PatientID"], patient),
            ("-S", "SERIES", ["StudyInstanceUID=" + study, "SeriesInstanceUID=" + series, "SeriesNumber"], series),
            ("-S", "IMAGE", ["StudyInstanceUID=" + study, "SeriesInstanceUID=" + series, "SOPInstanceUID", "InstanceNumber"], sop),
        ];
        foreach (var (root, level, keys, expect) in queries)
        {
            var outDir = Directory.CreateDirectory(_dir.File($"find-{root[1..]}-{level}")).FullName;
            var find = Tools.Run("findscu", ["-aec", "MEDNODE", root, "-X", "-od", outDir, "-k", "QueryRetrieveLevel=" + level, .. keys.SelectMany(k => new[] { "-k", k }), "127.0.0.1", P(dimse)], env: Env);
            find.ExitCode.Should().Be(0, $"{root} {level}: {find.StdErr}");
            var responses = Directory.GetFiles(outDir);
            responses.Should().NotBeEmpty($"findscu {root} at {level} finds the stored data");
            responses.Select(r => Tools.Run("dcmdump", [r]).StdOut).Should().Contain(d => d.Contains(expect, StringComparison.Ordinal),
                $"a {level} response carries {expect}");
        }
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            p.Dispose();
        }
        _dir.Dispose();
    }
}

/// <summary>The Q/R tests of <see cref="QueryRetrieveServeTests"/> with `mednode serve` on a PostgreSQL index.</summary>
[RequiresPostgres]
public sealed class QueryRetrieveServePostgresTests : QueryRetrieveServeTests
{
    protected override string[] DatabaseArguments()
    {
        var connection = PostgresPeer.GetSharedAsync().GetAwaiter().GetResult().CreateDatabaseAsync().GetAwaiter().GetResult();
        return ["--MedNode:Database:Provider=PostgreSQL", "--MedNode:Database:ConnectionString=" + connection];
    }
}

/// <summary>`mednode find` and `mednode move` usage.</summary>
public sealed class QueryRetrieveCliUsageTests
{
    [Fact]
    public void Find_Help_PrintsUsageAndSucceeds()
    {
        var r = Mednode.Run("find", "--help");
        r.ExitCode.Should().Be(0);
        r.StdOut.Should().Contain("mednode find AE@host:port");
    }

    [Fact]
    public void Move_WithoutDestination_IsAUsageError()
    {
        var r = Mednode.Run("move", "MEDNODE@127.0.0.1:104", "--level", "STUDY");
        r.ExitCode.Should().Be(2);
        r.StdErr.Should().Contain("--dest");
    }
}
