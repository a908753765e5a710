using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// The `mednode` executable against Orthanc 1.10.1: `mednode store --commit --progress`, Orthanc as a DICOMweb client
/// of `mednode serve` (STOW-RS in, WADO-RS out), and Orthanc's Storage Commitment request to `mednode serve`.
/// </summary>
public sealed class OrthancHostTests : IDisposable
{
    internal const string Study = "datasets/sts-ct/STS_019/image";
    private readonly TempDir _dir = new("mednode-orthanc-host-");
    private Process? _node;

    private static List<string> StudyFiles() => Directory.GetFiles(SharedData.Get(Study), "*.dcm").Order(StringComparer.Ordinal).ToList();

    private static string Uid(string path, DicomTag tag) => DicomFile.Open(path, new DicomReadOptions { StopAtPixelData = true }).Dataset.GetString(tag)!;

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// `mednode store DIR --progress --commit --commit-listen` to Orthanc: all 47 stored, the last progress line says
    /// 47/47, and Orthanc's report (on a new association to the listener) commits all 47.
    /// </summary>
    [RequiresFact(Study, "Orthanc")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task Store_WithCommitAndProgressToOrthanc_AllCommittedAndLastLineNofN()
    {
        var files = StudyFiles();
        var listen = OrthancPeer.FreePort();
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            Modalities = new Dictionary<string, OrthancModality> { ["MEDNODE"] = new("MEDNODE", "127.0.0.1", listen) },
        });

        var r = Mednode.Run("store", SharedData.Get(Study), "--to", $"{orthanc.AeTitle}@127.0.0.1:{orthanc.DicomPort}", "--aet", "MEDNODE",
            "--progress", "--commit", "--commit-listen", $"127.0.0.1:{listen}", "--commit-timeout", "60");

        r.ExitCode.Should().Be(0, r.StdOut + r.StdErr + orthanc.Log);
        r.StdOut.Should().Contain($"{files.Count} of {files.Count} stored").And.Contain($"{files.Count} committed, 0 failed");
        var lastBar = r.StdErr.Split('\r', '\n').Last(l => l.Contains(" sent", StringComparison.Ordinal));
        lastBar.Should().Contain($"{files.Count}/{files.Count} sent");
        (await orthanc.ListInstancesAsync()).Should().HaveCount(files.Count);
    }

    /// <summary>
    /// Orthanc as a DICOMweb client (DicomWeb.Servers): STOW-RS of a 47-instance study into `mednode serve`, whose QIDO-RS
    /// then lists 47 instances; the study is deleted from Orthanc and fetched back with WADO-RS, and every file Orthanc
    /// then holds has the data set first uploaded (DCMTK-normalized dumps).
    /// </summary>
    [RequiresFact(Study, "Orthanc", "dcmconv", "dcmdump")]
    [Trait("Conformance", "PS3.18 10.5")]
    public Task Serve_OrthancStowsThenRetrievesOverDicomWeb_DataSetsIdentical() => OrthancStowsThenRetrievesAsync();

    /// <summary>The body of <see cref="Serve_OrthancStowsThenRetrievesOverDicomWeb_DataSetsIdentical"/>, with `mednode serve` given <paramref name="serveArguments"/>.</summary>
    internal async Task OrthancStowsThenRetrievesAsync(params string[] serveArguments)
    {
        var files = StudyFiles();
        var (http, _) = StartServe(serveArguments);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomWebServers = new Dictionary<string, string> { ["mednode"] = $"http://127.0.0.1:{http}/dicomweb/" },
        });
        string? studyId = null;
        foreach (var f in files) studyId = (await orthanc.UploadAsync(f)).StudyId;
        var studyUid = Uid(files[0], DicomTags.StudyInstanceUID);

        await orthanc.StowToServerAsync("mednode", [studyId!]);
        using var client = new HttpClient();
        var qido = await client.GetStringAsync(new Uri($"http://127.0.0.1:{http}/dicomweb/studies/{studyUid}/instances"));
        using (var doc = JsonDocument.Parse(qido)) doc.RootElement.GetArrayLength().Should().Be(files.Count);

        await orthanc.DeleteAllStudiesAsync();
        (await orthanc.ListInstancesAsync()).Should().BeEmpty();
        await orthanc.RetrieveFromServerAsync("mednode", studyUid);
        var ids = await orthanc.ListInstancesAsync();
        ids.Should().HaveCount(files.Count);
        var bySop = files.ToDictionary(f => Uid(f, DicomTags.SOPInstanceUID));
        foreach (var id in ids)
        {
            var copy = _dir.File(id + ".dcm");
            await File.WriteAllBytesAsync(copy, await orthanc.GetInstanceFileAsync(id));
            NormalizedDump(copy).Should().Equal(NormalizedDump(bySop[Uid(copy, DicomTags.SOPInstanceUID)]));
        }
    }

    /// <summary>
    /// `mednode serve` (SQLite index, file store) as Storage Commitment SCP for Orthanc, a configured peer: Orthanc sends
    /// the study by C-STORE, then asks for commitment of it and of one instance never sent; its report, received on a
    /// new association from MedNode, lists the study as committed and the other as failed with reason 0112H.
    /// </summary>
    [RequiresFact(Study, "Orthanc")]
    [Trait("Conformance", "PS3.4 J.3")]
    public async Task Serve_OrthancStoresThenAsksCommitment_ReportWithOneFailure()
    {
        var files = StudyFiles().Take(5).ToList();
        var orthancPort = OrthancPeer.FreePort();
        var (_, dimse) = StartServe("--MedNode:Dimse:AllowedPeers:0:AeTitle=ORTHANC", "--MedNode:Dimse:AllowedPeers:0:Host=127.0.0.1", $"--MedNode:Dimse:AllowedPeers:0:Port={orthancPort}");
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomPort = orthancPort,
            Modalities = new Dictionary<string, OrthancModality> { ["MEDNODE"] = new("MEDNODE", "127.0.0.1", dimse) },
        });
        (await orthanc.EchoModalityAsync("MEDNODE")).Should().BeTrue();
        string? studyId = null;
        foreach (var f in files) studyId = (await orthanc.UploadAsync(f)).StudyId;
        await orthanc.StoreToModalityAsync("MEDNODE", [studyId!]);

        var missing = MedNode.Dicom.Network.Dimse.StorageCommitment.NewTransactionUid(); // a UID no one holds
        var refs = files.Select(f => (Uid(f, DicomTags.SOPClassUID), Uid(f, DicomTags.SOPInstanceUID))).ToList();
        var transaction = await orthanc.RequestStorageCommitmentAsync("MEDNODE", [.. refs, ("1.2.840.10008.5.1.4.1.1.2", missing)]);
        var report = await orthanc.WaitStorageCommitmentReportAsync(transaction, TimeSpan.FromSeconds(60));

        report["Status"]!.GetValue<string>().Should().Be("Failure", report.ToJsonString());
        report["Success"]!.AsArray().Select(n => n!["SOPInstanceUID"]!.GetValue<string>()).Should().BeEquivalentTo(refs.Select(r => r.Item2));
        var failure = report["Failures"]!.AsArray().Should().ContainSingle().Subject!;
        failure["SOPInstanceUID"]!.GetValue<string>().Should().Be(missing);
        failure["FailureReason"]!.GetValue<int>().Should().Be(0x0112);
    }

    /// <summary>dcmdump of the data set after dcmconv rewrote it as Explicit VR Little Endian with undefined lengths.</summary>
    private string[] NormalizedDump(string path)
    {
        var normalized = _dir.File("norm-" + Guid.NewGuid().ToString("N") + ".dcm");
        var c = Tools.Run("dcmconv", ["+te", "-e", path, normalized], TimeSpan.FromSeconds(60));
        c.ExitCode.Should().Be(0, c.StdErr);
        var d = Tools.Run("dcmdump", ["+L", normalized], TimeSpan.FromSeconds(60));
        d.ExitCode.Should().Be(0, d.StdErr);
        var lines = d.StdOut.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("# Dicom-Data-Set", StringComparison.Ordinal));
        return lines[(start + 1)..].Where(l => !l.StartsWith("# Used TransferSyntax", StringComparison.Ordinal)).ToArray();
    }

    /// <summary>Starts `mednode serve` in the temp folder on free ports, bound to 127.0.0.1; waits for /health/ready's dimse check.</summary>
    private (int Http, int Dimse) StartServe(params string[] extra)
    {
        int http = OrthancPeer.FreePort(), dimse = OrthancPeer.FreePort();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Mednode.Dll, "serve", "--urls", $"http://127.0.0.1:{http}", $"--MedNode:Dimse:Port={dimse}", "--MedNode:Dimse:BindAddress=127.0.0.1", "--MedNode:Security:AllowAnonymous=true", .. extra])
            psi.ArgumentList.Add(a);
        _node = Process.Start(psi)!;
        _node.OutputDataReceived += (_, _) => { };
        _node.ErrorDataReceived += (_, _) => { };
        _node.BeginOutputReadLine();
        _node.BeginErrorReadLine();
        using var probe = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                // Ready for the test once the DIMSE listener accepts (see NodeProcess.Start).
                if (NodeProcess.DimseReady(probe, $"http://127.0.0.1:{http}")) return (http, dimse);
            }
            catch (Exception e) when (e is AggregateException or System.Text.Json.JsonException)
            {
                // Not listening yet.
            }
            _node.HasExited.Should().BeFalse("mednode serve should keep running");
            Thread.Sleep(200); // polling a process start-up, bounded by the deadline
        }
        throw new TimeoutException("mednode serve did not come up");
    }

    public void Dispose()
    {
        if (_node is { HasExited: false })
        {
            _node.Kill();
            _node.WaitForExit();
        }
        _node?.Dispose();
        _dir.Dispose();
    }
}

/// <summary>Orthanc as a DICOMweb client of `mednode serve` (<see cref="OrthancHostTests"/>) with the index on PostgreSQL.</summary>
[RequiresPostgres]
public sealed class OrthancDicomWebPostgresTests : IDisposable
{
    private readonly OrthancHostTests _host = new();

    /// <summary>As <see cref="OrthancHostTests.Serve_OrthancStowsThenRetrievesOverDicomWeb_DataSetsIdentical"/>, on a new PostgreSQL database.</summary>
    [RequiresFact(OrthancHostTests.Study, "Orthanc", "dcmconv", "dcmdump")]
    [Trait("Conformance", "PS3.18 10.5")]
    public async Task Serve_OrthancStowsThenRetrievesOverDicomWebOnPostgres_DataSetsIdentical()
    {
        var connection = await (await PostgresPeer.GetSharedAsync()).CreateDatabaseAsync();
        await _host.OrthancStowsThenRetrievesAsync("--MedNode:Database:Provider=PostgreSQL", "--MedNode:Database:ConnectionString=" + connection);
    }

    public void Dispose() => _host.Dispose();
}
