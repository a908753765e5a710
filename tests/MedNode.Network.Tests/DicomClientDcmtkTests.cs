using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>MedNode's SCU against DCMTK's storescp.</summary>
public class DicomClientDcmtkTests
{
    private const string Mr = "uncompressed/dcmqi__pm-example-slice.dcm";

    [RequiresFact(null, "storescp")]
    [Trait("Conformance", "PS3.4 A.4")]
    public async Task EchoAsync_ToStorescp_Success()
    {
        using var dir = new TempDir();
        using var scp = new StorescpProcess(dir.Path);
        var status = await new DicomClient("127.0.0.1", scp.Port, "STORESCP", "MEDNODE").EchoAsync();
        status.Should().Be(DimseStatus.Success);
    }

    [RequiresFact("corpus/manifest.json", "storescp", "dcmdump")]
    [Trait("Conformance", "PS3.4 B.2.1")]
    public async Task StoreAsync_ToStorescp_FileArrives()
    {
        var source = Corpus.FullPath(Mr);
        using var dir = new TempDir();
        using (var scp = new StorescpProcess(dir.Path, null, "+xe"))
        {
            var outcomes = await new DicomClient("127.0.0.1", scp.Port, "STORESCP", "MEDNODE").StoreAsync([source]);
            outcomes.Should().ContainSingle().Which.Status.Should().Be(DimseStatus.Success);
        }
        var received = Directory.GetFiles(dir.Path).Should().ContainSingle().Subject;
        Dcmtk.Value(received, "0008,0018").Should().Be(Dcmtk.Value(source, "0008,0018"));
        Dcmtk.Value(received, "7fe0,0010").Should().Be(Dcmtk.Value(source, "7fe0,0010"), "the pixel data arrives unchanged");
        Dcmtk.TransferSyntaxOf(received).Should().Be("=LittleEndianExplicit");
    }

    [RequiresFact("corpus/manifest.json")]
    [Trait("Conformance", "PS3.4 B.2.2")]
    public async Task StoreAsync_ToDicomServer_DataSetBytesStoredAsInTheSourceFile()
    {
        var source = Corpus.FullPath(Mr);
        await using var node = await new TestNode().StartAsync();
        var outcome = (await new DicomClient("127.0.0.1", node.Port, "MEDNODE", "MEDSCU").StoreAsync([source])).Single();
        outcome.Status.Should().Be(DimseStatus.Success);
        node.WaitIdle();
        Dcmtk.DataSetBytes(node.StoredPath(node.Index.All.Single().SopInstanceUid)).Should().Equal(Dcmtk.DataSetBytes(source));
    }

    /// <summary>storescp +xi accepts Implicit VR Little Endian only: the client transcodes, and the result equals DCMTK's own conversion.</summary>
    [RequiresFact("corpus/manifest.json", "storescp", "dcmdump", "dcmconv")]
    [Trait("Conformance", "PS3.5 10")]
    public async Task StoreAsync_PeerAcceptsOnlyImplicit_TranscodedLikeDcmconv()
    {
        var source = Corpus.FullPath(Mr);
        using var dir = new TempDir();
        using var work = new TempDir();
        using (var scp = new StorescpProcess(dir.Path, null, "+xi"))
        {
            var outcome = (await new DicomClient("127.0.0.1", scp.Port, "STORESCP", "MEDNODE").StoreAsync([source])).Should().ContainSingle().Subject;
            outcome.Status.Should().Be(DimseStatus.Success);
            outcome.TransferSyntaxSent.Should().Be("1.2.840.10008.1.2");
        }
        var received = Directory.GetFiles(dir.Path).Should().ContainSingle().Subject;
        var reference = work.File("ref.dcm");
        Tools.Run("dcmconv", ["+ti", source, reference], TimeSpan.FromSeconds(60)).ExitCode.Should().Be(0);
        Dcmtk.TransferSyntaxOf(received).Should().Be("=LittleEndianImplicit");
        Dcmtk.DumpDataSet(received).Should().Equal(Dcmtk.DumpDataSet(reference));
    }

    [RequiresFact("corpus/manifest.json")]
    [Trait("Conformance", "PS3.4 B.2.3")]
    public async Task StoreAsync_ToDicomServer_IndexedAndRepeatFollowsKeepFirst()
    {
        var source = Corpus.FullPath(Mr);
        await using var node = await new TestNode().StartAsync();
        var client = new DicomClient("127.0.0.1", node.Port, "MEDNODE", "MEDSCU");
        (await client.StoreAsync([source])).Single().Status.Should().Be(DimseStatus.Success);
        var again = (await client.StoreAsync([source])).Single();
        again.Status.Should().Be((ushort)0xB006, "KeepFirst answers a warning");
        again.Error.Should().Contain("KeepFirst");
        node.WaitIdle();
        node.Index.All.Should().ContainSingle().Which.CallingAeTitle.Should().Be("MEDSCU");
    }
}
