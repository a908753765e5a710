using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>Mesh quantities of a binary mask, from <see cref="MaskMesh.Measure"/>. Lengths in mm, in grid millimetres.</summary>
/// <param name="Volume">|Σ a·(b×c)/6| over the faces (IBSI RNU0).</param>
/// <param name="SignedVolume">Σ a·(b×c)/6 before the absolute value: positive when the faces are oriented outward.</param>
/// <param name="SurfaceArea">Σ |ab × ac|/2 (IBSI C0JK).</param>
/// <param name="TriangleCount">Number of faces.</param>
/// <param name="VertexMin">Minimum corner of the vertices' axis-aligned bounding box (grid mm).</param>
/// <param name="VertexMax">Maximum corner of that box.</param>
/// <param name="Diameter">Largest distance between two vertices (IBSI L0JK).</param>
/// <param name="DiameterFrom">One end of that diameter (grid mm).</param>
/// <param name="DiameterTo">The other end (grid mm).</param>
public sealed record MeshMeasures(double Volume, double SignedVolume, double SurfaceArea, long TriangleCount, Vec3 VertexMin, Vec3 VertexMax, double Diameter, Vec3 DiameterFrom, Vec3 DiameterTo);

/// <summary>
/// Marching cubes on a binary mask with IBSI's mesh convention (IBSI 1 reference manual, chapter 3.1, "Mesh-based
/// representation"): the mask is padded with a zero border, the iso-level is 0.5 so every vertex lies halfway along a
/// cube edge, and vertex positions are voxel-centre indices scaled by the voxel spacing ("grid millimetres").
/// </summary>
public static class MaskMesh
{
    /// <summary>Streams the mesh of the non-zero voxels of <paramref name="mask"/> and measures it without storing the triangles.</summary>
    public static MeshMeasures Measure(Volume<byte> mask)
    {
        var g = mask.Geometry;
        // Padded grid: one zero voxel on every side. Cube (cx, cy, cz) has its corner 0 at padded voxel (cx, cy, cz),
        // i.e. at original index (cx - 1, cy - 1, cz - 1). Vertex coordinates are kept doubled (integers) until scaled.
        int nx = g.SizeX + 2, ny = g.SizeY + 2, nz = g.SizeZ + 2;
        double hx = g.Spacing.X / 2, hy = g.Spacing.Y / 2, hz = g.Spacing.Z / 2;
        var extremes = new DiameterCandidates(2 * ny, 2 * nz);

        double signedVolume = 0, area = 0;
        long triangles = 0;
        var padded = Pad(mask);
        int sy = nx, sz = nx * ny;
        for (var cz = 0; cz < nz - 1; cz++)
        {
            for (var cy = 0; cy < ny - 1; cy++)
            {
                var i = cy * sy + cz * sz;
                // Corners 0, 2, 4, 6 of this cube are corners 1, 3, 5, 7 of the previous one along x.
                var previous = padded[i] | (padded[i + sy] << 2) | (padded[i + sz] << 4) | (padded[i + sy + sz] << 6);
                for (var cx = 0; cx < nx - 1; cx++, i++)
                {
                    var right = padded[i + 1] | (padded[i + 1 + sy] << 2) | (padded[i + 1 + sz] << 4) | (padded[i + 1 + sy + sz] << 6);
                    var cubeCase = previous | (right << 1);
                    previous = right;
                    if (cubeCase is 0 or 255) continue;
                    var tris = MarchingCubesTable.Triangles[cubeCase];
                    for (var t = 0; t < tris.Length; t += 3)
                    {
                        var a = Vertex(tris[t], cx, cy, cz);
                        var b = Vertex(tris[t + 1], cx, cy, cz);
                        var c = Vertex(tris[t + 2], cx, cy, cz);
                        signedVolume += Vec3.Dot(a, Vec3.Cross(b, c)) / 6.0; // IBSI RNU0 (divergence theorem, signed tetrahedra)
                        area += Vec3.Cross(b - a, c - a).Length / 2.0;       // IBSI C0JK
                        triangles++;
                    }
                    for (var t = 0; t < tris.Length; t++)
                    {
                        var e = tris[t];
                        extremes.Add(2 * cx + MarchingCubesTable.EdgeMid2X[e], 2 * cy + MarchingCubesTable.EdgeMid2Y[e], 2 * cz + MarchingCubesTable.EdgeMid2Z[e]);
                    }
                }
            }
        }

        // Doubled padded coordinate q maps to grid mm (q / 2 - 1) · spacing = (q - 2) · spacing / 2.
        Vec3 ToMm(int qx, int qy, int qz) => new((qx - 2) * hx, (qy - 2) * hy, (qz - 2) * hz);
        var (diameter, from, to) = extremes.MaximumDistance(ToMm);
        var (min, max) = extremes.Bounds(ToMm);
        return new MeshMeasures(Math.Abs(signedVolume), signedVolume, area, triangles, min, max, diameter, from, to);

        // Vertices are relative to the grid origin (index 0 at 0 mm) so magnitudes, and rounding, stay small.
        Vec3 Vertex(int edge, int cx, int cy, int cz) => new(
            (2 * cx + MarchingCubesTable.EdgeMid2X[edge] - 2) * hx,
            (2 * cy + MarchingCubesTable.EdgeMid2Y[edge] - 2) * hy,
            (2 * cz + MarchingCubesTable.EdgeMid2Z[edge] - 2) * hz);
    }

    /// <summary>The mask as 0/1 bytes with a one-voxel zero border (IBSI's padding).</summary>
    private static byte[] Pad(Volume<byte> mask)
    {
        var g = mask.Geometry;
        int nx = g.SizeX + 2, ny = g.SizeY + 2;
        var padded = new byte[nx * ny * (g.SizeZ + 2)];
        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                var src = g.Index(0, y, z);
                var dst = 1 + nx * ((y + 1) + ny * (z + 1));
                for (var x = 0; x < g.SizeX; x++) padded[dst + x] = mask.Data[src + x] != 0 ? (byte)1 : (byte)0;
            }
        }
        return padded;
    }

    /// <summary>
    /// The triangles of the mesh as indices into a shared vertex list (grid mm); vertices are shared between faces.
    /// Meant for checks and export; <see cref="Measure"/> does not build it.
    /// </summary>
    public static (List<Vec3> Vertices, List<int> Triangles) BuildMesh(Volume<byte> mask)
    {
        var g = mask.Geometry;
        int nx = g.SizeX + 2, ny = g.SizeY + 2, nz = g.SizeZ + 2;
        var index = new Dictionary<(int, int, int), int>();
        var vertices = new List<Vec3>();
        var triangles = new List<int>();
        for (var cz = 0; cz < nz - 1; cz++)
        {
            for (var cy = 0; cy < ny - 1; cy++)
            {
                for (var cx = 0; cx < nx - 1; cx++)
                {
                    var cubeCase = 0;
                    for (var c = 0; c < 8; c++)
                    {
                        int x = cx + MarchingCubesTable.CornerOffsetX[c] - 1, y = cy + MarchingCubesTable.CornerOffsetY[c] - 1, z = cz + MarchingCubesTable.CornerOffsetZ[c] - 1;
                        if (x >= 0 && y >= 0 && z >= 0 && x < g.SizeX && y < g.SizeY && z < g.SizeZ && mask[x, y, z] != 0) cubeCase |= 1 << c;
                    }
                    foreach (var e in MarchingCubesTable.Triangles[cubeCase])
                    {
                        var key = (2 * cx + MarchingCubesTable.EdgeMid2X[e], 2 * cy + MarchingCubesTable.EdgeMid2Y[e], 2 * cz + MarchingCubesTable.EdgeMid2Z[e]);
                        if (!index.TryGetValue(key, out var vi))
                        {
                            vi = vertices.Count;
                            index.Add(key, vi);
                            vertices.Add(new Vec3((key.Item1 - 2) * g.Spacing.X / 2, (key.Item2 - 2) * g.Spacing.Y / 2, (key.Item3 - 2) * g.Spacing.Z / 2));
                        }
                        triangles.Add(vi);
                    }
                }
            }
        }
        return (vertices, triangles);
    }
}
