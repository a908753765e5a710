using System.Text;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;
using static MedNode.Network.Tests.QueryRetrieveData;

namespace MedNode.Network.Tests;

/// <summary>DCMTK's findscu, movescu and getscu against MedNode's Query/Retrieve SCP (PS3.4 Annex C).</summary>
public class QueryRetrieveDcmtkTests
{
    private static Tools.Result Findscu(int port, string root, string outDir, params string[] keys) =>
        Tools.Run("findscu", [root, "-X", "-od", outDir, "-aet", "DCMTKSCU", "-aec", "MEDNODE", .. keys.SelectMany(k => new[] { "-k", k }), "127.0.0.1", port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

    /// <summary>The value of one element in each response file findscu extracted, in response order.</summary>
    private static List<string> Extracted(string dir, string tag) =>
        Directory.GetFiles(dir, "rsp*.dcm").Order(StringComparer.Ordinal).Select(f => Value(f, tag)).ToList();

    /// <summary>The value dcmdump prints for one element: the text between its brackets.</summary>
    internal static string Value(string path, string tag)
    {
        var line = Dcmtk.Value(path, tag);
        int a = line.IndexOf('['), b = line.LastIndexOf(']');
        return a >= 0 && b > a ? line[(a + 1)..b] : "";
    }

    private static string LevelKeyTag(string level) => level switch
    {
        "PATIENT" => "0010,0020",
        "STUDY" => "0020,000d",
        "SERIES" => "0020,000e",
        _ => "0008,0018",
    };

    [RequiresTheory(null, "findscu", "storescu", "dump2dcm", "dcmdump")]
    [Trait("Conformance", "PS3.4 C.4.1")]
    [InlineData("-P", "PATIENT", "P1", "PatientID=P1")]
    [InlineData("-P", "PATIENT", "P1", "PatientName=DOE*", "PatientID")]
    [InlineData("-P", "PATIENT", "P1,P2", "PatientName=?OE^J*", "PatientID")]
    [InlineData("-P", "PATIENT", "P1,P2,P3", "PatientID=", "PatientName")]
    [InlineData("-P", "STUDY", S3, "PatientID=P2", "StudyInstanceUID")]
    [InlineData("-S", "STUDY", S1 + "," + S2, "StudyDate=20200101-20211231", "StudyInstanceUID")]
    [InlineData("-S", "STUDY", S1, "StudyDate=-20201231", "StudyInstanceUID")]
    [InlineData("-S", "STUDY", S3 + "," + S4, "StudyDate=20220101-", "StudyInstanceUID")]
    [InlineData("-S", "STUDY", S1 + "," + S3, "StudyInstanceUID=" + S1 + "\\" + S3)]
    [InlineData("-S", "STUDY", S1 + "," + S2 + "," + S3 + "," + S4, "StudyInstanceUID", "PatientName")]
    [InlineData("-S", "SERIES", Se31 + "," + Se32, "StudyInstanceUID=" + S3, "Modality=CT", "SeriesInstanceUID")]
    [InlineData("-P", "SERIES", Se11, "PatientID=P1", "StudyInstanceUID=" + S1, "SeriesInstanceUID")]
    [InlineData("-S", "SERIES", Se21 + "," + Se41, "Modality=MR", "SeriesInstanceUID")]
    [InlineData("-S", "IMAGE", I1 + "," + I2, "StudyInstanceUID=" + S1, "SeriesInstanceUID=" + Se11, "SOPInstanceUID")]
    [InlineData("-P", "IMAGE", I5, "PatientID=P2", "StudyInstanceUID=" + S3, "SeriesInstanceUID=" + Se32, "SOPInstanceUID")]
    public async Task Findscu_AtLevel_ReturnsTheEntitiesTheDataHolds(string root, string level, string expected, params string[] keys)
    {
        using var data = new QueryRetrieveData();
        await using var node = await new TestNode().StartAsync();
        data.StoreInto(node);
        using var dir = new TempDir();

        var r = Findscu(node.Port, root, dir.Path, ["QueryRetrieveLevel=" + level, .. keys]);

        r.ExitCode.Should().Be(0, r.StdErr);
        Extracted(dir.Path, LevelKeyTag(level)).Should().BeEquivalentTo(expected.Split(','));
    }

    [RequiresFact(null, "findscu", "storescu", "dump2dcm", "dcmdump")]
    [Trait("Conformance", "PS3.4 C.4.1.1.3.2")]
    public async Task Findscu_LatinOnePatient_ResponseCarriesItsCharacterSetAndBytes()
    {
        using var data = new QueryRetrieveData();
        await using var node = await new TestNode().StartAsync();
        data.StoreInto(node);
        using var dir = new TempDir();

        var r = Findscu(node.Port, "-P", dir.Path, "QueryRetrieveLevel=PATIENT", "PatientID=P3", "PatientName");

        r.ExitCode.Should().Be(0, r.StdErr);
        var response = Directory.GetFiles(dir.Path, "rsp*.dcm").Should().ContainSingle().Subject;
        Value(response, "0008,0005").Should().Be("ISO_IR 100");
        // dcmdump prints the stored bytes; read as Latin-1 they are the same on both sides.
        static string Name(string f)
        {
            var line = Tools.Run("dcmdump", ["-q", "+P", "0010,0010", f], TimeSpan.FromSeconds(30), latin1: true).StdOut;
            return line[(line.IndexOf('[') + 1)..line.LastIndexOf(']')];
        }
        Name(response).Should().Be(Name(data.PathOf(I6))).And.Be("MÜLLER^HANS");
    }

    [RequiresFact(null, "findscu", "storescu", "dump2dcm")]
    [Trait("Conformance", "PS3.4 C.4.1.1.4")]
    public async Task Findscu_PatientLevelInStudyRoot_FailsWithIdentifierDoesNotMatchSopClass()
    {
        using var data = new QueryRetrieveData();
        await using var node = await new TestNode().StartAsync();
        data.StoreInto(node);
        using var dir = new TempDir();

        var r = Tools.Run("findscu", ["-S", "-v", "-aet", "DCMTKSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID", "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

        (r.StdOut + r.StdErr).Should().Contain("Received Final Find Response (Error: DataSetDoesNotMatchSOPClass)", "DCMTK names status A900H so");
    }

    [RequiresFact(null, "findscu", "storescu", "dump2dcm")]
    [Trait("Conformance", "PS3.4 C.4.1.1.4")]
    public async Task Findscu_ReturnKeyTheIndexLacks_PendingWarningFF01()
    {
        using var data = new QueryRetrieveData();
        await using var node = await new TestNode().StartAsync();
        data.StoreInto(node);

        var r = Tools.Run("findscu", ["-S", "-v", "-aet", "DCMTKSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + S1, "-k", "PatientWeight", "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

        r.ExitCode.Should().Be(0, r.StdErr);
        (r.StdOut + r.StdErr).Should().Contain("Find Response: 1 (Pending: WarningUnsupportedOptionalKeys)", "DCMTK names status FF01H so");
    }

    [RequiresFact(null, "movescu", "storescp", "storescu", "dump2dcm")]
    [Trait("Conformance", "PS3.4 C.4.2")]
    public async Task Movescu_StudyToStorescp_InstancesArriveIdentical()
    {
        using var data = new QueryRetrieveData();
        using var received = new TempDir();
        using var scp = new StorescpProcess(received.Path, null, "-B");
        await using var node = await new TestNode(moveDestinations: [new DicomPeer("STORESCP", "127.0.0.1", scp.Port)]).StartAsync();
        data.StoreInto(node);

        var r = Tools.Run("movescu", ["-S", "-v", "-aet", "DCMTKSCU", "-aec", "MEDNODE", "-aem", "STORESCP", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + S3, "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

        r.ExitCode.Should().Be(0, r.StdErr);
        node.WaitIdle();
        var files = Directory.GetFiles(received.Path);
        files.Select(f => Value(f, "0008,0018")).Should().BeEquivalentTo([I4, I5]);
        foreach (var f in files)
            Dcmtk.DataSetBytes(f).Should().Equal(Dcmtk.DataSetBytes(data.PathOf(Value(f, "0008,0018"))));
    }

    [RequiresFact(null, "movescu", "storescu", "dump2dcm")]
    [Trait("Conformance", "PS3.4 C.4.2.1.5")]
    public async Task Movescu_UnknownDestination_FailsWithA801()
    {
        using var data = new QueryRetrieveData();
        await using var node = await new TestNode().StartAsync();
        data.StoreInto(node);

        var r = Tools.Run("movescu", ["-S", "-v", "-aet", "DCMTKSCU", "-aec", "MEDNODE", "-aem", "NOWHERE", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + S1, "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

        (r.StdOut + r.StdErr).Should().Contain("Received Final Move Response (Refused: MoveDestinationUnknown)", "DCMTK names status A801H so");
    }

    [RequiresTheory(null, "getscu", "storescu", "dump2dcm", "dcmdump")]
    [Trait("Conformance", "PS3.4 C.4.3")]
    [InlineData("-P", "PATIENT", I4 + "," + I5, "PatientID=P2")]
    [InlineData("-S", "STUDY", I1 + "," + I2, "StudyInstanceUID=" + S1)]
    [InlineData("-S", "SERIES", I5, "StudyInstanceUID=" + S3, "SeriesInstanceUID=" + Se32)]
    [InlineData("-P", "IMAGE", I3, "PatientID=P1", "StudyInstanceUID=" + S2, "SeriesInstanceUID=" + Se21, "SOPInstanceUID=" + I3)]
    public async Task Getscu_AtLevel_InstancesArriveIdentical(string root, string level, string expected, params string[] keys)
    {
        using var data = new QueryRetrieveData();
        await using var node = await new TestNode().StartAsync();
        data.StoreInto(node);
        using var dir = new TempDir();

        var r = Tools.Run("getscu", [root, "-od", dir.Path, "-aet", "DCMTKSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=" + level, .. keys.SelectMany(k => new[] { "-k", k }), "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

        r.ExitCode.Should().Be(0, r.StdErr);
        var files = Directory.GetFiles(dir.Path);
        files.Select(f => Value(f, "0008,0018")).Should().BeEquivalentTo(expected.Split(','));
        foreach (var f in files)
            Dcmtk.DataSetBytes(f).Should().Equal(Dcmtk.DataSetBytes(data.PathOf(Value(f, "0008,0018"))));
    }
}
