using MedNode.Analysis.Measurements;
using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Tests.Measurements;

public class ConnectedComponentsTests
{
    private static Volume<byte> Empty(int nx = 8, int ny = 8, int nz = 8, double s = 1) => new(VolumeGeometry.Axial(nx, ny, nz, new Vec3(s, s, s)));

    [Fact]
    public void Label_BlobsTouchingByACorner_AreOneComponent()
    {
        var mask = Empty();
        // Two 2×2×2 cubes sharing only the corner between voxels (2,2,2) and (3,3,3).
        for (var z = 1; z <= 2; z++) for (var y = 1; y <= 2; y++) for (var x = 1; x <= 2; x++) mask[x, y, z] = 1;
        for (var z = 3; z <= 4; z++) for (var y = 3; y <= 4; y++) for (var x = 3; x <= 4; x++) mask[x, y, z] = 1;

        var labeling = ConnectedComponents.Label(mask);

        labeling.Components.Should().ContainSingle();
        labeling.Components[0].VoxelCount.Should().Be(16);
        labeling.Components[0].Box.Should().Be(new VoxelBox(1, 1, 1, 4, 4, 4));
    }

    [Fact]
    public void Label_CornerContactAcrossEarlierRow_IsOneComponent()
    {
        // (5,1,1) is scanned after (4,2,0): they touch by a corner, through the (y+1, z-1) neighbour row.
        var mask = Empty();
        mask[4, 2, 0] = 1;
        mask[5, 1, 1] = 1;

        ConnectedComponents.Label(mask).Components.Should().ContainSingle();
    }

    [Fact]
    public void Label_BlobsOneVoxelApart_AreTwoComponents()
    {
        var mask = Empty();
        mask[1, 1, 1] = 1;
        mask[3, 1, 1] = 1;
        mask[1, 1, 3] = 1;

        var labeling = ConnectedComponents.Label(mask);

        labeling.Components.Should().HaveCount(3);
        labeling.Components.Select(c => c.Label).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void RemoveSmallComponents_BelowThreshold_RemovesOnlySmallOnes()
    {
        var mask = Empty(10, 10, 10, s: 2); // 8 mm³ voxels
        for (var z = 0; z < 3; z++) for (var y = 0; y < 3; y++) for (var x = 0; x < 3; x++) mask[x, y, z] = 1; // 27 voxels = 216 mm³
        mask[8, 8, 8] = 1;
        mask[8, 8, 9] = 1; // 2 voxels = 16 mm³

        var cleaned = ConnectedComponents.RemoveSmallComponents(mask, minVolumeMm3: 20);

        cleaned.Data.Count(v => v != 0).Should().Be(27);
        cleaned[8, 8, 8].Should().Be(0);
        cleaned[1, 1, 1].Should().Be(1);
        ConnectedComponents.RemoveSmallComponents(mask, minVolumeMm3: 16).Data.Count(v => v != 0).Should().Be(29);
    }

    [Theory]
    [InlineData(1, 0.25)]
    [InlineData(2, 0.45)]
    [InlineData(3, 0.6)]
    public void Label_RandomMasks_MatchBreadthFirstFloodFill(int seed, double density)
    {
        var rng = new Random(seed);
        var mask = Empty(13, 11, 9);
        for (var i = 0; i < mask.Data.Length; i++) mask.Data[i] = rng.NextDouble() < density ? (byte)1 : (byte)0;

        var labels = ConnectedComponents.Label(mask).ToLabelVolume();
        var reference = FloodFill(mask);

        // Both number components by their first voxel in z, y, x scan order, so the label maps must be identical.
        reference.Max().Should().BeGreaterThan(0);
        labels.Data.Should().Equal(reference);
    }

    [Fact]
    public void ExtractMask_Component_IsCroppedAndKeepsPatientPositions()
    {
        var g = new VolumeGeometry(10, 10, 10, new Vec3(0.5, 0.5, 2), new Vec3(-10, 5, 100), new Vec3(1, 0, 0), new Vec3(0, 1, 0), new Vec3(0, 0, 1));
        var mask = new Volume<byte>(g);
        mask[4, 5, 6] = 1;
        mask[5, 5, 6] = 1;
        mask[0, 0, 0] = 1;

        var labeling = ConnectedComponents.Label(mask);
        var second = labeling.ExtractMask(2);

        second.SizeX.Should().Be(2);
        second.SizeY.Should().Be(1);
        second.Data.Should().Equal(1, 1);
        second.Geometry.IndexToPatient(0, 0, 0).Should().Be(g.IndexToPatient(4, 5, 6));
    }

    private static int[] FloodFill(Volume<byte> mask)
    {
        var g = mask.Geometry;
        var labels = new int[g.VoxelCount];
        var next = 0;
        var queue = new Queue<(int X, int Y, int Z)>();
        for (var z = 0; z < g.SizeZ; z++)
        for (var y = 0; y < g.SizeY; y++)
        for (var x = 0; x < g.SizeX; x++)
        {
            if (mask[x, y, z] == 0 || labels[g.Index(x, y, z)] != 0) continue;
            labels[g.Index(x, y, z)] = ++next;
            queue.Enqueue((x, y, z));
            while (queue.Count > 0)
            {
                var p = queue.Dequeue();
                for (var dz = -1; dz <= 1; dz++)
                for (var dy = -1; dy <= 1; dy++)
                for (var dx = -1; dx <= 1; dx++)
                {
                    int qx = p.X + dx, qy = p.Y + dy, qz = p.Z + dz;
                    if (qx < 0 || qy < 0 || qz < 0 || qx >= g.SizeX || qy >= g.SizeY || qz >= g.SizeZ) continue;
                    var qi = g.Index(qx, qy, qz);
                    if (mask.Data[qi] == 0 || labels[qi] != 0) continue;
                    labels[qi] = next;
                    queue.Enqueue((qx, qy, qz));
                }
            }
        }
        return labels;
    }
}
