using System.Globalization;
using System.Text.Json.Nodes;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Orthanc 1.10.1 as a Query/Retrieve SCU of `mednode serve` (issue #4): its REST `/modalities/{id}/query` sends C-FIND
/// to MedNode, and `/queries/{id}/retrieve` sends C-MOVE with Orthanc as the move destination.
/// </summary>
public sealed class OrthancQueryRetrieveTests : IDisposable
{
    private const string Study = "datasets/sts-ct/STS_019/image";
    private readonly TempDir _dir = new("mednode-orthanc-qr-");

    public void Dispose() => _dir.Dispose();

    private static string Tag(string path, DicomTag tag) => DicomFile.Open(path, new DicomReadOptions { StopAtPixelData = true }).Dataset.GetString(tag)!;

    [RequiresFact(Study, "Orthanc", "storescu")]
    [Trait("Conformance", "PS3.4 C.4.1")]
    [Trait("Conformance", "PS3.4 C.4.2")]
    public async Task Orthanc_QueriesAndMovesFromMedNode_FindsTheStudyAndReceivesEveryInstance()
    {
        var files = Directory.GetFiles(SharedData.Get(Study), "*.dcm").Order(StringComparer.Ordinal).ToList();
        var orthancDicom = OrthancPeer.FreePort();
        var work = Path.Combine(_dir.Path, "node");
        Directory.CreateDirectory(work);
        using var node = NodeProcess.Start(work,
        [
            $"--MedNode:Dimse:StoragePath={_dir.File("store")}",
            $"--MedNode:Database:ConnectionString=Data Source={_dir.File("index.db")}",
            "--MedNode:Dimse:MoveDestinations:0:AeTitle=ORTHANC",
            "--MedNode:Dimse:MoveDestinations:0:Host=127.0.0.1",
            $"--MedNode:Dimse:MoveDestinations:0:Port={orthancDicom}",
        ]);
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. files], TimeSpan.FromMinutes(3), env: new Dictionary<string, string> { ["TCP_NODELAY"] = "1" });
        store.ExitCode.Should().Be(0, store.StdErr);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomPort = orthancDicom,
            Modalities = new Dictionary<string, OrthancModality> { ["MEDNODE"] = new("MEDNODE", "127.0.0.1", node.DimsePort) },
        });

        var patientId = Tag(files[0], DicomTags.PatientID);
        var studyUid = Tag(files[0], DicomTags.StudyInstanceUID);
        var query = await orthanc.PostJsonAsync("modalities/MEDNODE/query", new JsonObject
        {
            ["Level"] = "Study",
            ["Query"] = new JsonObject { ["PatientID"] = patientId, ["StudyInstanceUID"] = "", ["NumberOfStudyRelatedInstances"] = "" },
        });
        var queryId = query["ID"]!.GetValue<string>();
        var answers = (await orthanc.GetJsonAsync($"queries/{queryId}/answers?expand")).AsArray();
        answers.Should().ContainSingle();
        var content = await orthanc.GetJsonAsync($"queries/{queryId}/answers/0/content?simplify");
        content["StudyInstanceUID"]!.GetValue<string>().Should().Be(studyUid);
        int.Parse(content["NumberOfStudyRelatedInstances"]!.GetValue<string>(), CultureInfo.InvariantCulture).Should().Be(files.Count);

        (await orthanc.ListInstancesAsync()).Should().BeEmpty();
        await orthanc.PostJsonAsync($"queries/{queryId}/retrieve", new JsonObject { ["TargetAet"] = "ORTHANC", ["Synchronous"] = true });
        var ids = await orthanc.ListInstancesAsync();
        ids.Should().HaveCount(files.Count);
        var received = new HashSet<string>();
        foreach (var id in ids) received.Add(await orthanc.GetSopInstanceUidAsync(id));
        received.Should().BeEquivalentTo(files.Select(f => Tag(f, DicomTags.SOPInstanceUID)));
    }
}
