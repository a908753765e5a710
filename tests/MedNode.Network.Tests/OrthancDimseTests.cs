using MedNode.Dicom;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>
/// Orthanc 1.10.1 (a real PACS, ../shared/PEERS.md) and MedNode's DicomServer and DicomClient exchange C-ECHO and
/// C-STORE in both directions; what arrives is compared data set by data set with dcmdump.
/// </summary>
public class OrthancDimseTests
{
    /// <summary>One CT series of the shared STS-CT data set: 47 slices of one study.</summary>
    internal const string Study = "datasets/sts-ct/STS_019/image";

    internal static List<string> StudyFiles() => Directory.GetFiles(SharedData.Get(Study), "*.dcm").Order(StringComparer.Ordinal).ToList();

    internal static string SopInstanceOf(string path) =>
        DicomFile.Open(path, new Dicom.IO.DicomReadOptions { StopAtPixelData = true }).Dataset.GetString(DicomTags.SOPInstanceUID)!;

    internal static string SopClassOf(string path) =>
        DicomFile.Open(path, new Dicom.IO.DicomReadOptions { StopAtPixelData = true }).Dataset.GetString(DicomTags.SOPClassUID)!;

    internal static OrthancPeerOptions OptionsFor(TestNode node) => new()
    {
        Modalities = new Dictionary<string, OrthancModality> { ["MEDNODE"] = new("MEDNODE", "127.0.0.1", node.Port) },
    };

    /// <summary>
    /// dcmdump of the data set after DCMTK's dcmconv rewrote it in Explicit VR Little Endian with undefined sequence
    /// and item lengths: peers may choose the transfer syntax and length encoding, not the content.
    /// </summary>
    internal static string[] NormalizedDump(string path)
    {
        var normalized = Path.Combine(Path.GetTempPath(), "mednode-norm-" + Guid.NewGuid().ToString("N") + ".dcm");
        try
        {
            var r = Tools.Run("dcmconv", ["+te", "-e", path, normalized], TimeSpan.FromSeconds(60));
            r.ExitCode.Should().Be(0, r.StdErr);
            return Dcmtk.DumpDataSet(normalized);
        }
        finally
        {
            File.Delete(normalized);
        }
    }

    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 A.4")]
    public async Task Orthanc_EchoesMedNode_Succeeds()
    {
        await using var node = await new TestNode().StartAsync();
        await using var orthanc = await OrthancPeer.StartAsync(OptionsFor(node));
        (await orthanc.EchoModalityAsync("MEDNODE")).Should().BeTrue(orthanc.Log);
    }

    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 A.4")]
    public async Task DicomClient_EchoesOrthanc_Success()
    {
        await using var orthanc = await OrthancPeer.StartAsync();
        var status = await new DicomClient("127.0.0.1", orthanc.DicomPort, orthanc.AeTitle, "MEDNODE").EchoAsync();
        status.Should().Be(DimseStatus.Success);
    }

    /// <summary>
    /// Orthanc sends a 47-instance study by C-STORE (POST /modalities/MEDNODE/store); every instance is in MedNode's
    /// index and store, and dcmdump prints the same data set for the stored file as for the file uploaded to Orthanc.
    /// </summary>
    [RequiresFact(Study, "Orthanc", "dcmdump", "dcmconv")]
    [Trait("Conformance", "PS3.4 B.2.2")]
    public async Task Orthanc_StoresStudyToMedNode_EveryDataSetIdentical()
    {
        var files = StudyFiles();
        await using var node = await new TestNode().StartAsync();
        await using var orthanc = await OrthancPeer.StartAsync(OptionsFor(node));
        string? studyId = null;
        foreach (var f in files) studyId = (await orthanc.UploadAsync(f)).StudyId;

        await orthanc.StoreToModalityAsync("MEDNODE", [studyId!]);
        node.WaitIdle();

        node.Index.All.Should().HaveCount(files.Count);
        foreach (var f in files)
        {
            var stored = node.StoredPath(SopInstanceOf(f));
            NormalizedDump(stored).Should().Equal(NormalizedDump(f), "{0} arrives unchanged", Path.GetFileName(f));
        }
        node.TempFiles.Should().BeEmpty();
    }

    /// <summary>
    /// MedNode's C-STORE SCU sends the study to Orthanc: Orthanc's /instances lists every SOP instance, and the file
    /// Orthanc serves at /instances/{id}/file has the data set that was sent.
    /// </summary>
    [RequiresFact(Study, "Orthanc", "dcmdump", "dcmconv")]
    [Trait("Conformance", "PS3.4 B.2.1")]
    public async Task DicomClient_StoresStudyToOrthanc_OrthancFilesMatch()
    {
        var files = StudyFiles();
        await using var orthanc = await OrthancPeer.StartAsync();
        var outcomes = await new DicomClient("127.0.0.1", orthanc.DicomPort, orthanc.AeTitle, "MEDNODE").StoreAsync(files);
        outcomes.Should().HaveCount(files.Count).And.OnlyContain(o => o.Status == DimseStatus.Success);

        var ids = await orthanc.ListInstancesAsync();
        ids.Should().HaveCount(files.Count);
        var bySop = files.ToDictionary(SopInstanceOf);
        using var dir = new TempDir();
        foreach (var id in ids)
        {
            var sop = await orthanc.GetSopInstanceUidAsync(id);
            bySop.Should().ContainKey(sop);
            var copy = dir.File(id + ".dcm");
            await File.WriteAllBytesAsync(copy, await orthanc.GetInstanceFileAsync(id));
            NormalizedDump(copy).Should().Equal(NormalizedDump(bySop[sop]));
        }
    }
}
