using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Volumes;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

public class AnalyzeCliTests
{
    /// <summary>A small anisotropic phantom (0.8 mm pixels, 1.5 mm slices) with two lesions the bundled model finds.</summary>
    private static readonly CtPhantomSpec Spec = new()
    {
        Columns = 112, Rows = 112, Slices = 40, PixelSpacing = 0.8, SliceSpacing = 1.5, Origin = new Vec3(-44, -44, -30),
        BodyRadii = (40, 36), Seed = 3,
        Lesions = [new PhantomEllipsoid(new Vec3(-12, -8, -4), new Vec3(10, 9, 8), 130), new PhantomEllipsoid(new Vec3(15, 12, 6), new Vec3(7, 7, 7), 120)],
    };

    [RequiresFact(null, "dciodvfy")]
    [Trait("Conformance", "PS3.3 A.51")]
    public void Analyze_DicomOutAll_WritesSegSrScAndKoThatDciodvfyAccepts()
    {
        using var dir = new TempDir();
        CtPhantom.WriteSeries(Spec, Path.Combine(dir.Path, "ct"));
        var outDir = Path.Combine(dir.Path, "out");

        var r = Mednode.Run("analyze", Path.Combine(dir.Path, "ct"), "--model", "phantom-lesion", "--models", Path.Combine(SharedData.RepoRoot, "models"),
            "--device", "cpu", "--out", dir.File("result.json"), "--dicom-out", outDir, "--objects", "all");

        r.ExitCode.Should().Be(0, r.StdErr);
        var written = Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        written.Should().Equal(new[] { "ko.dcm", "sc-001.dcm", "sc-002.dcm", "seg.dcm", "sr.dcm" }, r.StdErr);
        foreach (var file in Directory.GetFiles(outDir))
        {
            var v = Tools.Run("dciodvfy", [file]);
            var output = v.StdOut + v.StdErr;
            output.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).Should().BeEmpty($"{Path.GetFileName(file)}: {output}");
        }
    }

    [Fact]
    public void Analyze_UnknownObjects_UsageError()
    {
        using var dir = new TempDir();

        var r = Mednode.Run("analyze", dir.Path, "--model", "phantom-lesion", "--out", dir.File("r.json"), "--dicom-out", dir.Path, "--objects", "seg");

        r.ExitCode.Should().Be(2);
        r.StdErr.Should().Contain("--objects must be seg+sr, sc+kos or all");
    }
}
