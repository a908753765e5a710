using System.Globalization;
using System.Text.Json;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.Dicom.Objects.StructuredReport;
using MedNode.TestSupport;
using Xunit.Abstractions;

namespace MedNode.Host.Tests;

/// <summary>
/// The loop of issue #8 with Orthanc 1.10.1 as the PACS: Orthanc sends a synthetic CT study to `mednode serve`; MedNode
/// notices the series is complete, a routing rule queues an analysis with the bundled phantom-lesion model, and the
/// SEG and SR arrive in Orthanc, with volumes close to the phantom's analytic ellipsoids; the audit trail verifies.
/// The late-arrival, crash and destination-down flows are in <see cref="LoopFlowTests"/>, run on SQLite and PostgreSQL.
/// </summary>
public sealed class LoopEndToEndTests(ITestOutputHelper output) : IDisposable
{
    internal static readonly CtPhantomSpec Spec = new()
    {
        Columns = 160,
        Rows = 160,
        Slices = 48,
        PixelSpacing = 0.8,
        SliceSpacing = 1.5,
        Origin = new Vec3(-64, -64, -36),
        NoiseSigma = 10,
        Seed = 7,
        Lesions =
        [
            new PhantomEllipsoid(new Vec3(-25, -15, -10), new Vec3(12, 10, 9), 130),
            new PhantomEllipsoid(new Vec3(20, 15, 5), new Vec3(8, 8, 8), 120),
            new PhantomEllipsoid(new Vec3(-15, 25, 15), new Vec3(6, 5, 5), 140),
        ],
    };

    /// <summary>Issue #8: volumes within 5 % (the phantom model reaches it for lesions with radii ≥ 5 mm, models/phantom-lesion/MODEL_CARD.md).</summary>
    private const double VolumeTolerance = 0.05;

    private readonly TempDir _dir = new("mednode-loop-");

    public void Dispose() => _dir.Dispose();

    private static string ModelsPath => Path.Combine(SharedData.RepoRoot, "models");

    [RequiresFact(null, "Orthanc")]
    [Trait("Conformance", "PS3.4 B.2")]
    public Task Orthanc_SendsPhantomCt_SegAndSrArriveInOrthanc_VolumesMatchTruth_AuditVerifies() => MainFlowAsync([]);

    /// <summary>The main flow, with extra node settings (<see cref="LoopPostgresTests"/> runs it on PostgreSQL).</summary>
    internal async Task MainFlowAsync(string[] nodeSettings)
    {
        var files = Prepare(out var nodeDir, out var orthancDicom);
        using var node = NodeProcess.Start(nodeDir,
        [
            .. LoopArgs(orthancDicom),
            .. nodeSettings,
            "--MedNode:Completion:QuietPeriod=00:00:03",
            "--MedNode:Destinations:0:Kind=Dimse",
            "--MedNode:Rules:0:Name=ct-phantom",
            "--MedNode:Rules:0:Match:MinSlices=20",
            "--MedNode:Rules:0:Action:Kind=Analyze",
        ]);
        await using var orthanc = await OrthancPeer.StartAsync(new OrthancPeerOptions
        {
            DicomPort = orthancDicom,
            Modalities = new Dictionary<string, OrthancModality> { ["MEDNODE"] = new("MEDNODE", "127.0.0.1", node.DimsePort) },
        });

        string? studyId = null;
        foreach (var f in files) studyId = (await orthanc.UploadAsync(f)).StudyId;
        await orthanc.StoreToModalityAsync("MEDNODE", [studyId!]);

        // Wait (bounded) until Orthanc holds the study plus MedNode's SEG and SR.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(8);
        Dictionary<string, string> byModality = [];
        while (DateTime.UtcNow < deadline)
        {
            var ids = await orthanc.ListInstancesAsync();
            if (ids.Count >= files.Count + 2)
            {
                foreach (var id in ids)
                {
                    var tags = await orthanc.GetJsonAsync($"instances/{id}/simplified-tags");
                    var modality = tags["Modality"]?.GetValue<string>();
                    if (modality is "SEG" or "SR") byModality[modality] = id;
                }
                if (byModality.Count == 2) break;
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        using var http = new HttpClient();
        var jobs = await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/jobs"));
        output.WriteLine(jobs);
        byModality.Keys.Should().BeEquivalentTo(["SEG", "SR"], "the results arrive in the PACS (jobs: {0}; node log tail: {1})", jobs, Tail(node.Output));
        (await orthanc.ListInstancesAsync()).Should().HaveCount(files.Count + 2, "each result arrives once");

        var srPath = _dir.File("sr.dcm");
        await File.WriteAllBytesAsync(srPath, await orthanc.GetInstanceFileAsync(byModality["SR"]));
        var sources = files.Select(f => DicomFile.Open(f, new DicomReadOptions { StopAtPixelData = true }).Dataset).ToList();
        var lesions = MeasurementReportReader.Read(DicomFile.Open(srPath).Dataset, sources);
        lesions.Should().HaveCount(Spec.Lesions.Count);
        foreach (var truth in Spec.Lesions)
        {
            var closest = lesions.MinBy(l => Math.Abs(l.VolumeMm3 - truth.Volume))!;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"truth {truth.Volume:F0} mm³, measured {closest.VolumeMm3:F0} mm³"));
            closest.VolumeMm3.Should().BeApproximately(truth.Volume, truth.Volume * VolumeTolerance);
        }

        var verify = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/audit/verify"))).RootElement;
        verify.GetProperty("isIntact").GetBoolean().Should().BeTrue(verify.ToString());
        var audit = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{node.BaseUrl}/api/v1/audit"))).RootElement;
        var codes = audit.EnumerateArray().Select(r => r.GetProperty("eventCode").GetString()).ToList();
        codes.Should().Contain(["110100", "110104", "ANALYSIS"]);
    }

    /// <summary>Writes the phantom series and makes the node's working folder; picks Orthanc's DICOM port.</summary>
    private IReadOnlyList<string> Prepare(out string nodeDir, out int orthancDicom)
    {
        var files = ExportFlow.Prepare(_dir, out nodeDir);
        orthancDicom = OrthancPeer.FreePort();
        return files;
    }

    /// <summary>The node settings every loop test shares: the bundled model on CPU, Orthanc as destination "pacs", one CT rule.</summary>
    internal static string[] LoopArgs(int orthancDicom) =>
    [
        "--MedNode:Jobs:PollInterval=00:00:00.500",
        $"--MedNode:Models:Path={ModelsPath}",
        "--MedNode:Analysis:Device=Cpu",
        "--MedNode:Destinations:0:Name=pacs",
        "--MedNode:Destinations:0:AeTitle=ORTHANC",
        "--MedNode:Destinations:0:Host=127.0.0.1",
        $"--MedNode:Destinations:0:Port={orthancDicom}",
        "--MedNode:Rules:0:Name=ct",
        "--MedNode:Rules:0:Match:Modalities:0=CT",
        "--MedNode:Rules:0:Action:Model=phantom-lesion",
        "--MedNode:Rules:0:Action:Destinations:0:Name=pacs",
    ];

    internal static string Tail(string s) => s.Length <= 3000 ? s : s[^3000..];
}
