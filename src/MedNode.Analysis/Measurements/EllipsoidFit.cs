using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>
/// The outcome of <see cref="EllipsoidFit.Fit"/>: a general ellipsoid (any orientation) in the grid's millimetre frame
/// (x·spacing.X, y·spacing.Y, z·spacing.Z from voxel (0, 0, 0)), the image model's background and contrast, and the
/// numbers a caller needs to judge the fit.
/// </summary>
/// <param name="Centre">Centre in grid millimetres.</param>
/// <param name="SemiAxes">Semi-axes (mm), each paired with the unit vector in <paramref name="Axes"/> at the same index.</param>
/// <param name="Axes">The ellipsoid's axes in the grid frame.</param>
/// <param name="Background">b of I ≈ b + c·f: the image value outside the lesion.</param>
/// <param name="Contrast">c of I ≈ b + c·f: the lesion's value above the background.</param>
/// <param name="VoxelCount">Voxels the fit used.</param>
/// <param name="ResidualRms">Root mean square of the residuals over all voxels used.</param>
/// <param name="BackgroundSigma">RMS of the residuals over voxels at least one voxel extent outside the ellipsoid: the noise.</param>
/// <param name="NearVoxelCount">Voxels inside the ellipsoid or on its boundary (f &gt; 0).</param>
/// <param name="NearToBackgroundVarianceRatio">Mean squared residual over the near voxels divided by <c>BackgroundSigma²</c>: about 1 when the ellipsoid explains the lesion and the noise is uniform.</param>
/// <param name="Iterations">Levenberg–Marquardt iterations taken.</param>
/// <param name="Converged">Whether the iteration stopped on a negligible step or cost change (not on the iteration limit).</param>
public sealed record EllipsoidFitResult(
    Vec3 Centre,
    Vec3 SemiAxes,
    IReadOnlyList<Vec3> Axes,
    double Background,
    double Contrast,
    int VoxelCount,
    double ResidualRms,
    double BackgroundSigma,
    int NearVoxelCount,
    double NearToBackgroundVarianceRatio,
    int Iterations,
    bool Converged)
{
    /// <summary>4/3·π·a·b·c (mm³).</summary>
    public double Volume => 4.0 / 3.0 * Math.PI * SemiAxes.X * SemiAxes.Y * SemiAxes.Z;
}

/// <summary>
/// Least-squares fit of a partial-volume ellipsoid to an image around one lesion: minimises Σ_v (I_v − (b + c·f_v(θ)))²
/// over the voxels of the lesion's box widened by a margin, where f_v is the fraction of voxel v inside the ellipsoid θ
/// (centre, three semi-axes, three rotation angles). θ, b and c are fitted together by Levenberg–Marquardt with an
/// analytic Jacobian, from b and c solved linearly for the start shape: the mask's centroid and covariance. f_v is
/// smooth in θ: the voxel is split into n×n×n sub-voxels, each given clamp(0.5 − (d + δ)/w) with d its signed distance
/// to the surface (first order), w its width along the surface normal and δ = (κ₁ + κ₂)·w²/24 the shift that makes a
/// straight ramp across a curved surface hold the volume inside it. One ramp per voxel (n = 1) misdescribes how a
/// voxel's fraction changes across an oblique surface, which biased small ellipsoids by −4 % to −10 % (n = 2: up to −3.6 %
/// at a 2 mm semi-axis on 2 mm slices; n = 3: −2.4 %); so n = 3 where the start's shortest semi-axis is under 4 mm, and
/// n = 2 above, where the bias was under 0.5 % and the fit costs a third.
/// </summary>
public static partial class EllipsoidFit
{
    private const int MaxIterations = 60;

    /// <summary>
    /// Fits an ellipsoid to <paramref name="image"/> around the lesion whose mask is <paramref name="mask"/> (cropped to
    /// <paramref name="box"/>, as <see cref="ComponentLabeling.ExtractMask"/> gives it), over the box widened by
    /// <paramref name="marginMm"/>. Voxels outside the mask for which <paramref name="skip"/> is true (another lesion's)
    /// are left out. Null when the mask is empty or there are too few voxels to fit.
    /// </summary>
    public static EllipsoidFitResult? Fit(Volume<float> image, Volume<byte> mask, VoxelBox box, double marginMm, Func<int, int, int, bool>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(mask);
        var g = image.Geometry;
        var s = g.Spacing;
        int hx = (int)Math.Ceiling(marginMm / s.X), hy = (int)Math.Ceiling(marginMm / s.Y), hz = (int)Math.Ceiling(marginMm / s.Z);
        var wide = new VoxelBox(
            Math.Max(0, box.MinX - hx), Math.Max(0, box.MinY - hy), Math.Max(0, box.MinZ - hz),
            Math.Min(g.SizeX - 1, box.MaxX + hx), Math.Min(g.SizeY - 1, box.MaxY + hy), Math.Min(g.SizeZ - 1, box.MaxZ + hz));

        // The start: centroid and covariance of the mask's voxel centres, in grid millimetres.
        double n0 = 0, mx = 0, my = 0, mz = 0;
        for (var z = 0; z < mask.SizeZ; z++)
            for (var y = 0; y < mask.SizeY; y++)
                for (var x = 0; x < mask.SizeX; x++)
                {
                    if (mask[x, y, z] == 0) continue;
                    n0++;
                    mx += (x + box.MinX) * s.X;
                    my += (y + box.MinY) * s.Y;
                    mz += (z + box.MinZ) * s.Z;
                }
        if (n0 == 0) return null;
        mx /= n0;
        my /= n0;
        mz /= n0;
        double cxx = 0, cxy = 0, cxz = 0, cyy = 0, cyz = 0, czz = 0;
        for (var z = 0; z < mask.SizeZ; z++)
            for (var y = 0; y < mask.SizeY; y++)
                for (var x = 0; x < mask.SizeX; x++)
                {
                    if (mask[x, y, z] == 0) continue;
                    double dx = ((x + box.MinX) * s.X) - mx, dy = ((y + box.MinY) * s.Y) - my, dz = ((z + box.MinZ) * s.Z) - mz;
                    cxx += dx * dx;
                    cxy += dx * dy;
                    cxz += dx * dz;
                    cyy += dy * dy;
                    cyz += dy * dz;
                    czz += dz * dz;
                }
        // A voxel's own extent adds spacing²/12 to each axis's variance; it keeps a one-voxel-thick mask from collapsing.
        var (values, vectors) = PrincipalAxes.Eigen(
            (cxx / n0) + (s.X * s.X / 12), cxy / n0, cxz / n0, (cyy / n0) + (s.Y * s.Y / 12), cyz / n0, (czz / n0) + (s.Z * s.Z / 12));
        // A uniform ellipsoid's variance along a semi-axis a is a²/5; then scale to the mask's volume.
        var a0 = values.Select(v => Math.Sqrt(5 * Math.Max(v, 1e-6))).ToArray();
        var scale = Math.Cbrt(n0 * g.VoxelVolume / (4.0 / 3.0 * Math.PI * a0[0] * a0[1] * a0[2]));

        // Voxels of the widened box, relative to the start centroid. Near: within one voxel of the component's mask.
        int wx = wide.SizeX, wy = wide.SizeY;
        var px = new List<double>();
        var py = new List<double>();
        var pz = new List<double>();
        var iv = new List<double>();
        var cell = new List<int>();
        var nearMask = new List<bool>();
        for (var z = wide.MinZ; z <= wide.MaxZ; z++)
            for (var y = wide.MinY; y <= wide.MaxY; y++)
                for (var x = wide.MinX; x <= wide.MaxX; x++)
                {
                    var own = InMask(x, y, z);
                    if (!own && skip != null && skip(x, y, z)) continue;
                    px.Add((x * s.X) - mx);
                    py.Add((y * s.Y) - my);
                    pz.Add((z * s.Z) - mz);
                    iv.Add(image.Data[g.Index(x, y, z)]);
                    cell.Add(x - wide.MinX + (wx * (y - wide.MinY + (wy * (z - wide.MinZ)))));
                    var near = false;
                    for (var dz = -1; dz <= 1 && !near; dz++)
                        for (var dy = -1; dy <= 1 && !near; dy++)
                            for (var dx = -1; dx <= 1 && !near; dx++) near = InMask(x + dx, y + dy, z + dz);
                    nearMask.Add(near);
                }
        if (px.Count < 30) return null;
        var subSamples = a0.Min() * scale < 4 ? 3 : 2;
        var model = new Model([.. px], [.. py], [.. pz], [.. iv], s, subSamples)
        {
            Axes = vectors,
            Semi = [a0[0] * scale, a0[1] * scale, a0[2] * scale],
        };

        // Outliers: voxels away from the lesion (not within a voxel of its mask) whose residual exceeds 5 robust σ, such as
        // air or bone at the box's edge, are left out with their neighbours. Before the first fit the residual is the
        // distance from the median of those voxels; then, the fit's residual outside the ellipsoid, and the fit is run
        // again. Voxels at the lesion are never left out, so a lesion the ellipsoid does not explain still shows in the
        // residuals that the caller's goodness-of-fit check reads.
        var use = new bool[px.Count];
        Array.Fill(use, true);
        var away = new List<double>();
        for (var v = 0; v < px.Count; v++)
            if (!nearMask[v]) away.Add(iv[v]);
        if (away.Count < 30) return null;
        away.Sort();
        var median = away[away.Count / 2];
        for (var v = 0; v < away.Count; v++) away[v] = Math.Abs(away[v] - median);
        away.Sort();
        var preLimit = 5 * 1.4826 * away[away.Count / 2];
        LeaveOut(v => !nearMask[v] && Math.Abs(iv[v] - median) > preLimit);
        var iterations = 0;
        var converged = false;
        for (var round = 0; round < 3; round++)
        {
            model.Use = use;
            var (it, conv) = LevenbergMarquardt(model);
            iterations += it;
            converged = conv;
            var far = model.BackgroundResiduals(nearMask);
            if (far.Count < 30) break;
            far.Sort();
            var limit = 5 * 1.4826 * far[far.Count / 2];
            if (!LeaveOut(v => use[v] && !nearMask[v] && model.IsOutside(v) && Math.Abs(model.Residual(v)) > limit)) break;
        }
        return model.Result(new Vec3(mx, my, mz), nearMask, iterations, converged);

        // Leaves out the voxels that match, and their 26 neighbours away from the mask; false when none match.
        bool LeaveOut(Func<int, bool> outlier)
        {
            var hit = new bool[wide.VoxelCount];
            var any = false;
            for (var v = 0; v < use.Length; v++)
            {
                if (!outlier(v)) continue;
                hit[cell[v]] = true;
                any = true;
            }
            if (!any) return false;
            var next = (bool[])use.Clone();
            for (var v = 0; v < use.Length; v++)
            {
                if (nearMask[v]) continue;
                int c = cell[v], cx = c % wx, cy = c / wx % wy, cz = c / (wx * wy);
                for (var dz = -1; dz <= 1; dz++)
                    for (var dy = -1; dy <= 1; dy++)
                        for (var dx = -1; dx <= 1; dx++)
                        {
                            int nx = cx + dx, ny = cy + dy, nz = cz + dz;
                            if (nx >= 0 && ny >= 0 && nz >= 0 && nx < wx && ny < wy && nz < wide.SizeZ && hit[nx + (wx * (ny + (wy * nz)))]) next[v] = false;
                        }
            }
            use = next;
            return true;
        }

        bool InMask(int x, int y, int z) => box.Contains(x, y, z) && mask[x - box.MinX, y - box.MinY, z - box.MinZ] != 0;
    }

    private static (int Iterations, bool Converged) LevenbergMarquardt(Model model)
    {
        const int p = Model.Parameters;
        var cost = model.Evaluate(null, null);
        var lambda = 1e-3;
        for (var it = 1; it <= MaxIterations; it++)
        {
            var jtj = new double[p, p];
            var jtr = new double[p];
            model.Evaluate(jtj, jtr);
            double maxDiag = 0;
            for (var a = 0; a < p; a++) maxDiag = Math.Max(maxDiag, jtj[a, a]);
            var state = model.Save();
            var accepted = false;
            while (lambda < 1e12)
            {
                var m = new double[p, p];
                var step = new double[p];
                for (var a = 0; a < p; a++)
                {
                    for (var b = 0; b < p; b++) m[a, b] = jtj[a, b];
                    // Marquardt's scaling, floored so that directions the data do not determine (a sphere's rotation) stay damped.
                    m[a, a] += lambda * (jtj[a, a] + (1e-9 * maxDiag));
                    step[a] = -jtr[a];
                }
                if (!Solve(m, step))
                {
                    lambda *= 10;
                    continue;
                }
                model.Apply(step);
                var trialCost = model.Evaluate(null, null);
                if (trialCost < cost)
                {
                    var decrease = (cost - trialCost) / Math.Max(cost, double.Epsilon);
                    cost = trialCost;
                    lambda = Math.Max(lambda / 10, 1e-9);
                    accepted = true;
                    // Converged when the cost no longer falls, or when the shape moved by under 10⁻⁴ (mm, log semi-axis or
                    // radian): a volume change of at most 0.03 %.
                    var moved = 0.0;
                    for (var a = 0; a < 9; a++) moved = Math.Max(moved, Math.Abs(step[a]));
                    if (decrease < 1e-9 || moved < 1e-4) return (it, true);
                    break;
                }
                model.Restore(state);
                lambda *= 10;
            }
            // No step lowers the cost at any damping: θ is at a minimum (to the Jacobian's precision).
            if (!accepted) return (it, true);
        }
        return (MaxIterations, false);
    }

    /// <summary>Gaussian elimination with partial pivoting, in place; the solution replaces <paramref name="b"/>.</summary>
    private static bool Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        for (var c = 0; c < n; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < n; r++)
                if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            if (!(Math.Abs(a[pivot, c]) > 1e-300)) return false;
            if (pivot != c)
            {
                for (var k = 0; k < n; k++) (a[c, k], a[pivot, k]) = (a[pivot, k], a[c, k]);
                (b[c], b[pivot]) = (b[pivot], b[c]);
            }
            for (var r = c + 1; r < n; r++)
            {
                var f = a[r, c] / a[c, c];
                if (f == 0) continue;
                for (var k = c; k < n; k++) a[r, k] -= f * a[c, k];
                b[r] -= f * b[c];
            }
        }
        for (var r = n - 1; r >= 0; r--)
        {
            var sum = b[r];
            for (var k = r + 1; k < n; k++) sum -= a[r, k] * b[k];
            b[r] = sum / a[r, r];
        }
        return b.All(double.IsFinite);
    }

}
