using MedNode.Analysis.Measurements;
using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Tests.Measurements;

public class MaskMeshTests
{
    [Theory]
    [InlineData(1.0, 1.0, 1.0)]
    [InlineData(0.7, 0.7, 2.5)]
    public void Measure_SingleVoxel_IsTheOctahedronOfItsEdgeMidpoints(double sx, double sy, double sz)
    {
        // With an iso-level of 0.5 the vertices are halfway to the six neighbours: an octahedron with semi-axes s/2.
        var mask = new Volume<byte>(VolumeGeometry.Axial(1, 1, 1, new Vec3(sx, sy, sz)));
        mask.Data[0] = 1;
        double a = sx / 2, b = sy / 2, c = sz / 2;

        var mesh = MaskMesh.Measure(mask);

        mesh.TriangleCount.Should().Be(8);
        mesh.SignedVolume.Should().BeApproximately(4.0 / 3.0 * a * b * c, 1e-12);
        mesh.SurfaceArea.Should().BeApproximately(8 * 0.5 * Math.Sqrt(a * a * b * b + b * b * c * c + c * c * a * a), 1e-12);
        mesh.Diameter.Should().BeApproximately(2 * Math.Max(a, Math.Max(b, c)), 1e-12);
    }

    [Fact]
    public void BuildMesh_EveryCubeConfiguration_IsClosedAndConsistentlyOriented()
    {
        // A 2×2×2 mask holding case m: the padded grid contains that cube and all of its neighbours.
        for (var m = 1; m < 256; m++)
        {
            var mask = new Volume<byte>(VolumeGeometry.Axial(2, 2, 2, new Vec3(1, 1, 1)));
            for (var c = 0; c < 8; c++) mask[c & 1, (c >> 1) & 1, (c >> 2) & 1] = (byte)((m >> c) & 1);
            var (vertices, triangles) = MaskMesh.BuildMesh(mask);
            AssertClosedAndOutward(vertices, triangles, $"case {m}");
        }
    }

    [Theory]
    [InlineData(11, 0.3)]
    [InlineData(12, 0.5)]
    [InlineData(13, 0.7)]
    public void BuildMesh_RandomMask_IsClosedAndConsistentlyOriented(int seed, double density)
    {
        // Random masks contain every ambiguous face and cube configuration. In a closed, consistently oriented mesh
        // every directed edge a→b is used by exactly one face and b→a by exactly one other (IBSI 1, "Mesh-based representation").
        var rng = new Random(seed);
        var mask = new Volume<byte>(VolumeGeometry.Axial(9, 8, 7, new Vec3(0.9, 1.1, 2.0)));
        for (var i = 0; i < mask.Data.Length; i++) mask.Data[i] = rng.NextDouble() < density ? (byte)1 : (byte)0;

        var (vertices, triangles) = MaskMesh.BuildMesh(mask);

        triangles.Count.Should().BeGreaterThan(300);
        var signed = AssertClosedAndOutward(vertices, triangles, $"seed {seed}");
        MaskMesh.Measure(mask).SignedVolume.Should().BeApproximately(signed, 1e-6 * signed);
    }

    [Theory]
    [InlineData(21, 0.2)]
    [InlineData(22, 0.5)]
    [InlineData(23, 0.8)]
    public void Measure_RandomMask_DiameterEqualsBruteForceOverAllVertices(int seed, double density)
    {
        var rng = new Random(seed);
        var mask = new Volume<byte>(VolumeGeometry.Axial(10, 9, 6, new Vec3(0.7, 0.9, 2.5)));
        for (var i = 0; i < mask.Data.Length; i++) mask.Data[i] = rng.NextDouble() < density ? (byte)1 : (byte)0;
        var (vertices, _) = MaskMesh.BuildMesh(mask);
        double brute = 0;
        for (var i = 0; i < vertices.Count; i++)
            for (var j = i + 1; j < vertices.Count; j++)
                brute = Math.Max(brute, Vec3.Distance(vertices[i], vertices[j]));

        var mesh = MaskMesh.Measure(mask);

        mesh.Diameter.Should().BeApproximately(brute, 1e-9);
        Vec3.Distance(mesh.DiameterFrom, mesh.DiameterTo).Should().BeApproximately(brute, 1e-9);
    }

    [Fact]
    public void Measure_MaskWithInternalHole_SubtractsTheHole()
    {
        // A hole is enclosed by an inward-facing surface; with consistent orientation its octahedron is subtracted.
        var solid = new Volume<byte>(VolumeGeometry.Axial(5, 5, 5, new Vec3(1, 1, 1)));
        Array.Fill(solid.Data, (byte)1);
        var holed = new Volume<byte>(solid.Geometry, (byte[])solid.Data.Clone());
        holed[2, 2, 2] = 0;

        var difference = MaskMesh.Measure(solid).Volume - MaskMesh.Measure(holed).Volume;

        // The hole's surface is the octahedron of its edge midpoints (semi-axes 0.5): volume 4/3·0.5³ = 1/6.
        difference.Should().BeApproximately(1.0 / 6.0, 1e-9);
    }

    private static double AssertClosedAndOutward(List<Vec3> vertices, List<int> triangles, string because)
    {
        var directed = new Dictionary<(int, int), int>();
        for (var t = 0; t < triangles.Count; t += 3)
        {
            for (var k = 0; k < 3; k++)
            {
                var e = (triangles[t + k], triangles[t + (k + 1) % 3]);
                directed[e] = directed.GetValueOrDefault(e) + 1;
            }
        }
        directed.Values.Should().AllSatisfy(n => n.Should().Be(1, because));
        directed.Keys.Should().AllSatisfy(e => directed.ContainsKey((e.Item2, e.Item1)).Should().BeTrue(because));
        double signed = 0;
        for (var t = 0; t < triangles.Count; t += 3)
        {
            Vec3 a = vertices[triangles[t]], b = vertices[triangles[t + 1]], c = vertices[triangles[t + 2]];
            signed += Vec3.Dot(a, Vec3.Cross(b, c)) / 6;
        }
        signed.Should().BeGreaterThan(0, because);
        return signed;
    }
}
