using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Inference;

/// <summary>Trilinear resampling between grids that share origin and directions (the model grid and the source grid).</summary>
public static class Resampler
{
    /// <summary>
    /// The grid with <paramref name="spacing"/> that covers the same extent as <paramref name="source"/>: same origin
    /// (centre of the first voxel) and directions, size ⌈(n − 1)·Δ / Δ'⌉ + 1 per axis.
    /// </summary>
    public static VolumeGeometry Regrid(VolumeGeometry source, Vec3 spacing)
    {
        static int Size(int n, double from, double to) => Math.Max(1, (int)Math.Ceiling(((n - 1) * from / to) - 1e-6) + 1);
        return new VolumeGeometry(
            Size(source.SizeX, source.Spacing.X, spacing.X),
            Size(source.SizeY, source.Spacing.Y, spacing.Y),
            Size(source.SizeZ, source.Spacing.Z, spacing.Z),
            spacing,
            source.Origin,
            source.RowDirection,
            source.ColumnDirection,
            source.SliceDirection);
    }

    /// <summary>
    /// Samples <paramref name="image"/> trilinearly at the voxel centres of <paramref name="target"/>, which must share
    /// its origin and directions; positions beyond the last voxel take the edge value.
    /// </summary>
    public static Volume<float> Trilinear(Volume<float> image, VolumeGeometry target, CancellationToken cancellationToken = default)
    {
        var s = image.Geometry;
        var result = new float[target.VoxelCount];
        var (x0, x1, fx) = Axis(target.SizeX, target.Spacing.X / s.Spacing.X, s.SizeX);
        var (y0, y1, fy) = Axis(target.SizeY, target.Spacing.Y / s.Spacing.Y, s.SizeY);
        var (z0, z1, fz) = Axis(target.SizeZ, target.Spacing.Z / s.Spacing.Z, s.SizeZ);
        var d = image.Data;
        int sx = s.SizeX, plane = s.SizeX * s.SizeY;
        Parallel.For(0, target.SizeZ, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = 2 }, z =>
        {
            int za = z0[z] * plane, zb = z1[z] * plane;
            float wz = fz[z];
            for (var y = 0; y < target.SizeY; y++)
            {
                int ya = y0[y] * sx, yb = y1[y] * sx;
                float wy = fy[y];
                var o = target.Index(0, y, z);
                for (var x = 0; x < target.SizeX; x++)
                {
                    int xa = x0[x], xb = x1[x];
                    float wx = fx[x];
                    float c00 = d[za + ya + xa] + ((d[za + ya + xb] - d[za + ya + xa]) * wx);
                    float c10 = d[za + yb + xa] + ((d[za + yb + xb] - d[za + yb + xa]) * wx);
                    float c01 = d[zb + ya + xa] + ((d[zb + ya + xb] - d[zb + ya + xa]) * wx);
                    float c11 = d[zb + yb + xa] + ((d[zb + yb + xb] - d[zb + yb + xa]) * wx);
                    float c0 = c00 + ((c10 - c00) * wy);
                    float c1 = c01 + ((c11 - c01) * wy);
                    result[o + x] = c0 + ((c1 - c0) * wz);
                }
            }
        });
        return new Volume<float>(target, result);
    }

    private static (int[] Lo, int[] Hi, float[] Weight) Axis(int n, double scale, int sourceSize)
    {
        var lo = new int[n];
        var hi = new int[n];
        var w = new float[n];
        for (var i = 0; i < n; i++)
        {
            var p = Math.Clamp(i * scale, 0, sourceSize - 1);
            var a = (int)Math.Floor(p);
            lo[i] = a;
            hi[i] = Math.Min(a + 1, sourceSize - 1);
            w[i] = (float)(p - a);
        }
        return (lo, hi, w);
    }
}
