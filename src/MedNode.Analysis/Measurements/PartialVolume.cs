using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>
/// A sub-voxel volume estimate from a model's probability map: the sum of the probabilities over a lesion's component
/// and the shell around it, times the voxel volume. It is not an IBSI feature. For a model trained against partial-volume
/// (soft) labels, as the bundled phantom-lesion is, the probability of a voxel estimates the fraction of it inside the
/// lesion, so the sum estimates the lesion's volume without the staircase error of any binary mask: a voxel-centre mask of
/// an ellipsoid 5 mm across on a 0.8 × 0.8 × 1.5 mm grid is itself off by up to ±10 % (mesh or voxel counting).
/// </summary>
public static class PartialVolume
{
    /// <summary>
    /// Σ p · voxel volume over <paramref name="component"/>'s voxels and the voxels within <paramref name="shellMm"/> of
    /// them (per axis, a box neighbourhood) that belong to no other component (p below <paramref name="threshold"/>).
    /// Probabilities below <paramref name="floor"/> count as 0, so background noise far from the boundary adds nothing.
    /// <paramref name="mask"/> is the component's mask as <see cref="ComponentLabeling.ExtractMask"/> gives it, when the
    /// caller has it already (extracted here when null).
    /// </summary>
    public static double EstimateMm3(Volume<float> probability, ComponentLabeling labeling, LesionComponent component, double threshold, double shellMm, double floor = 0.02, Volume<byte>? mask = null)
    {
        ArgumentNullException.ThrowIfNull(probability);
        ArgumentNullException.ThrowIfNull(labeling);
        ArgumentNullException.ThrowIfNull(component);
        var g = probability.Geometry;
        if (g.SizeX != labeling.Geometry.SizeX || g.SizeY != labeling.Geometry.SizeY || g.SizeZ != labeling.Geometry.SizeZ)
            throw new ArgumentException("The probability map and the labelling must share one grid.", nameof(probability));
        int hx = Reach(shellMm, g.Spacing.X), hy = Reach(shellMm, g.Spacing.Y), hz = Reach(shellMm, g.Spacing.Z);
        var b = component.Box;
        var box = new VoxelBox(
            Math.Max(0, b.MinX - hx), Math.Max(0, b.MinY - hy), Math.Max(0, b.MinZ - hz),
            Math.Min(g.SizeX - 1, b.MaxX + hx), Math.Min(g.SizeY - 1, b.MaxY + hy), Math.Min(g.SizeZ - 1, b.MaxZ + hz));
        int nx = box.SizeX, ny = box.SizeY, nz = box.SizeZ;

        // The component's mask in the expanded box, dilated by (hx, hy, hz) with three separable 1-D passes.
        var own = mask ?? labeling.ExtractMask(component.Label);
        var region = new byte[nx * ny * nz];
        for (var z = 0; z < own.SizeZ; z++)
            for (var y = 0; y < own.SizeY; y++)
                for (var x = 0; x < own.SizeX; x++)
                    if (own[x, y, z] != 0) region[Index(x + b.MinX - box.MinX, y + b.MinY - box.MinY, z + b.MinZ - box.MinZ)] = 2;
        var dilated = (byte[])region.Clone();
        DilateAxis(dilated, nx, ny, nz, hx, 0);
        DilateAxis(dilated, nx, ny, nz, hy, 1);
        DilateAxis(dilated, nx, ny, nz, hz, 2);

        double sum = 0;
        var data = probability.Data;
        for (var z = 0; z < nz; z++)
        {
            for (var y = 0; y < ny; y++)
            {
                var row = g.Index(box.MinX, y + box.MinY, z + box.MinZ);
                for (var x = 0; x < nx; x++)
                {
                    var i = Index(x, y, z);
                    if (dilated[i] == 0) continue;
                    double p = data[row + x];
                    if (region[i] == 0 && p >= threshold) continue; // another component's voxel
                    if (region[i] == 0 && p < floor) continue;
                    sum += Math.Clamp(p, 0, 1);
                }
            }
        }
        return sum * g.VoxelVolume;

        int Index(int x, int y, int z) => x + (nx * (y + (ny * z)));
    }

    private static int Reach(double mm, double spacing) => Math.Max(1, (int)Math.Ceiling((mm / spacing) - 1e-9));

    /// <summary>Binary dilation along one axis by ±<paramref name="h"/> voxels (a 1-D max filter), in place.</summary>
    private static void DilateAxis(byte[] data, int nx, int ny, int nz, int h, int axis)
    {
        var (n, stride, lines) = axis switch
        {
            0 => (nx, 1, ny * nz),
            1 => (ny, nx, nx * nz),
            _ => (nz, nx * ny, nx * ny),
        };
        var line = new byte[n];
        for (var l = 0; l < lines; l++)
        {
            var start = axis switch
            {
                0 => l * nx,
                1 => (l % nx) + (l / nx * nx * ny),
                _ => l,
            };
            for (var i = 0; i < n; i++) line[i] = data[start + (i * stride)];
            // Distance to the nearest set voxel on each side, in one pass each way.
            var last = int.MinValue / 2;
            for (var i = 0; i < n; i++)
            {
                if (line[i] != 0) last = i;
                if (i - last <= h) data[start + (i * stride)] = 1;
            }
            last = int.MaxValue / 2;
            for (var i = n - 1; i >= 0; i--)
            {
                if (line[i] != 0) last = i;
                if (last - i <= h) data[start + (i * stride)] = 1;
            }
        }
    }
}
