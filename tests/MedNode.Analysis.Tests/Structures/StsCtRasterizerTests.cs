using System.Globalization;
using MedNode.TestSupport;
using Xunit.Abstractions;

namespace MedNode.Analysis.Tests.Structures;

/// <summary>
/// The rasteriser on the 36 real STS-CT RTSTRUCTs, whose contours reference the SOP instances of the uncropped series,
/// so they can be placed only by position along the slice normal.
/// </summary>
public class StsCtRasterizerTests(ITestOutputHelper output)
{
    [RequiresFact(StsCt.Data)]
    [Trait("Conformance", "PS3.3 C.8.8.6")]
    public void Rasterize_EveryStsPatient_VoxelVolumeMatchesReadmeTable()
    {
        var table = StsCt.ReadmeVoxelVolumes();
        table.Should().HaveCount(36);
        var mismatches = new List<string>();
        foreach (var (patient, expected) in table)
        {
            var series = StsCt.Series(patient);
            var mask = StsCt.GtvMask(patient, series);
            var volume = mask.Data.Sum(b => (long)b) * series.Image.Geometry.VoxelVolume;
            // The table gives whole mm³, so the voxel volume must round to it.
            if (Math.Abs(volume - expected) > 0.5) mismatches.Add(string.Create(CultureInfo.InvariantCulture, $"{patient}: {volume:F1} mm³, README {expected}"));
        }
        output.WriteLine(string.Join(Environment.NewLine, mismatches));
        mismatches.Should().BeEmpty();
    }

    /// <summary>
    /// The training script's rasteriser (models/train/sts_ct.py: pydicom + matplotlib.path, an independent
    /// implementation) and MedNode's give the same voxels, so the model is evaluated against the labels it learnt.
    /// </summary>
    [RequiresTheory(StsCt.Data, "/usr/bin/python3")]
    [InlineData("STS_002")]
    [InlineData("STS_013")]
    [InlineData("STS_019")]
    [InlineData("STS_045")]
    public void Rasterize_StsPatient_EqualsTrainingScriptMask(string patient)
    {
        using var dir = new TempDir();
        var script = Path.Combine(SharedData.RepoRoot, "models", "train", "sts_ct.py");
        var run = Tools.Run("/usr/bin/python3", [script, "masks", "--data", SharedData.Get(StsCt.Data), "--patients", patient, "--dump-masks", dir.Path], TimeSpan.FromMinutes(5));
        run.ExitCode.Should().Be(0, run.StdErr);
        var python = File.ReadAllBytes(Path.Combine(dir.Path, patient + ".raw"));

        var series = StsCt.Series(patient);
        var mask = StsCt.GtvMask(patient, series);

        python.Length.Should().Be(mask.Data.Length);
        var differing = 0;
        for (var i = 0; i < python.Length; i++) if (python[i] != mask.Data[i]) differing++;
        differing.Should().Be(0);
        mask.Data.Count(b => b == 1).Should().BePositive();
    }
}
