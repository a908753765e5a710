using MedNode.Analysis.Measurements;
using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Tests.Measurements;

/// <summary>
/// <see cref="PartialVolume"/> on probability maps that hold the exact fraction of each voxel inside a sphere (computed
/// here by 8 × 8 × 8 sub-sampling), as a model trained against partial-volume labels estimates it.
/// </summary>
public class PartialVolumeTests
{
    private static readonly Vec3 Spacing = new(0.8, 0.8, 1.5);

    [Theory]
    [InlineData(2.5)]
    [InlineData(3.3)]
    [InlineData(6.0)]
    public void EstimateMm3_ExactFractionsOfASphere_GivesItsVolume_WhereTheVoxelCountCannot(double radiusMm)
    {
        var g = VolumeGeometry.Axial(40, 40, 24, Spacing);
        var centre = g.IndexToPatient(19.37, 20.21, 11.6);
        var p = Fractions(g, [(centre, radiusMm)], background: 0.01f);
        var labeling = Label(p, 0.5);
        labeling.Components.Should().HaveCount(1);
        var truth = 4.0 / 3.0 * Math.PI * radiusMm * radiusMm * radiusMm;

        var estimate = PartialVolume.EstimateMm3(p, labeling, labeling.Components[0], threshold: 0.5, shellMm: 3);

        // The sub-sampled fractions carry their own error of well under 1 % at these sizes; background below the floor
        // (0.01 < 0.02) adds nothing.
        estimate.Should().BeApproximately(truth, 0.01 * truth);
        // The binary mask of the same sphere is further off, which is why the estimate exists (not asserted for the
        // largest sphere, whose voxel count is already close).
        if (radiusMm < 4) Math.Abs(labeling.Components[0].VolumeMm3 - truth).Should().BeGreaterThan(Math.Abs(estimate - truth));
    }

    [Fact]
    public void EstimateMm3_TwoSpheresCloseTogether_EachGetsItsOwnVolume_NotTheOthers()
    {
        var g = VolumeGeometry.Axial(48, 32, 20, Spacing);
        var a = g.IndexToPatient(14.2, 15.7, 9.8);
        var b = a + new Vec3(4 + 4 + 3, 0, 0); // 3 mm between the surfaces, less than the 3 mm shell plus a voxel
        var p = Fractions(g, [(a, 4.0), (b, 4.0)], background: 0);
        var labeling = Label(p, 0.5);
        labeling.Components.Should().HaveCount(2);
        var truth = 4.0 / 3.0 * Math.PI * 64;

        foreach (var c in labeling.Components)
        {
            var estimate = PartialVolume.EstimateMm3(p, labeling, c, threshold: 0.5, shellMm: 3);
            // The other sphere's voxels at or above the threshold are never counted; only its faint (< 0.5) rim within the
            // shell can be, which is a few per cent of a voxel layer at most.
            estimate.Should().BeApproximately(truth, 0.03 * truth);
        }
    }

    [Fact]
    public void EstimateMm3_ProbabilityAndLabellingOnDifferentGrids_AreRefused()
    {
        var p = new Volume<float>(VolumeGeometry.Axial(8, 8, 8, Spacing));
        var mask = new Volume<byte>(VolumeGeometry.Axial(8, 8, 9, Spacing));
        mask[4, 4, 4] = 1;
        var labeling = ConnectedComponents.Label(mask);

        var act = () => PartialVolume.EstimateMm3(p, labeling, labeling.Components[0], 0.5, 3);

        act.Should().Throw<ArgumentException>().WithMessage("*one grid*");
    }

    private static ComponentLabeling Label(Volume<float> p, double threshold)
    {
        var mask = new Volume<byte>(p.Geometry);
        for (var i = 0; i < mask.Data.Length; i++) mask.Data[i] = p.Data[i] >= threshold ? (byte)1 : (byte)0;
        return ConnectedComponents.Label(mask);
    }

    /// <summary>The fraction of each voxel inside any of the spheres, by 8 × 8 × 8 sub-samples.</summary>
    private static Volume<float> Fractions(VolumeGeometry g, (Vec3 Centre, double Radius)[] spheres, float background)
    {
        const int n = 8;
        var v = new Volume<float>(g);
        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                for (var x = 0; x < g.SizeX; x++)
                {
                    var inside = 0;
                    for (var k = 0; k < n; k++)
                    {
                        for (var j = 0; j < n; j++)
                        {
                            for (var i = 0; i < n; i++)
                            {
                                var q = g.IndexToPatient(x - 0.5 + ((i + 0.5) / n), y - 0.5 + ((j + 0.5) / n), z - 0.5 + ((k + 0.5) / n));
                                if (spheres.Any(s => Vec3.Distance(q, s.Centre) <= s.Radius)) inside++;
                            }
                        }
                    }
                    v[x, y, z] = inside == 0 ? background : (float)inside / (n * n * n);
                }
            }
        }
        return v;
    }
}
