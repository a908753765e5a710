using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>Deflated Explicit VR Little Endian (PS3.5 §A.5) over DIMSE, from DCMTK's storescu -xd.</summary>
public class DeflateDimseTests
{
    private const string Deflated = "1.2.840.10008.1.2.1.99";

    /// <summary>
    /// storescu -xd proposes deflate; MedNode, preferring it, accepts it and stores the data set deflated as received.
    /// The stored file and the source, both inflated by DCMTK (dcmconv +te -e), dump the same. (Byte equality with a
    /// bit-preserving storescp is no golden here: storescu re-deflates the file, and what storescp +xd -B writes was
    /// one byte shorter than what MedNode stored as received; the inflated data sets are what must agree.)
    /// </summary>
    [RequiresFact("corpus/manifest.json", "storescu", "dcmconv", "dcmdump")]
    [Trait("Conformance", "PS3.5 A.5")]
    public async Task Storescu_Deflated_StoredDeflatedAndInflatesToSource()
    {
        var source = Corpus.FullPath("deflate/pydicom__image_dfl.dcm");
        var options = new DicomServerOptions { TransferSyntaxPreference = [Deflated, "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"] };
        await using var node = await new TestNode(options).StartAsync();

        var r = Dcmtk.Storescu(node.Port, ["-xd", "-R"], source);
        r.ExitCode.Should().Be(0, r.StdErr);
        node.WaitIdle();

        var record = node.Index.All.Should().ContainSingle().Subject;
        record.TransferSyntaxUid.Should().Be(Deflated);
        var stored = node.StoredPath(record.SopInstanceUid);
        Dcmtk.TransferSyntaxOf(stored).Should().Be("=DeflatedLittleEndianExplicit");
        OrthancDimseTests.NormalizedDump(stored).Should().Equal(OrthancDimseTests.NormalizedDump(source));
        node.TempFiles.Should().BeEmpty();
    }
}
