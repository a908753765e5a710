using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>
/// Per-slice diameters of a mask on its acquisition plane (the x–y plane of the grid). The long axis of a slice is
/// the largest distance between pixel centres of its cross-section, found on the 2D convex hull of the row extremes
/// (every hull vertex is a row extreme). The short axis is the longest chord perpendicular to the long axis: pixel
/// centres are binned by their position along the long axis (bin width = the smaller pixel spacing), and the bin with
/// the largest perpendicular extent gives the two endpoints, so the chord is off-perpendicular by at most
/// atan(bin width / chord length).
/// </summary>
internal static class RecistDiameters
{
    public static RecistMeasurement? Measure(Volume<byte> mask)
    {
        var g = mask.Geometry;
        double sx = g.Spacing.X, sy = g.Spacing.Y;
        var rowMin = new int[g.SizeY];
        var rowMax = new int[g.SizeY];
        var bestLength = -1.0;
        int bestSlice = -1;
        (double X, double Y) bestA = default, bestB = default;
        var candidates = new List<(double X, double Y)>();
        for (var z = 0; z < g.SizeZ; z++)
        {
            candidates.Clear();
            for (var y = 0; y < g.SizeY; y++)
            {
                var line = new ReadOnlySpan<byte>(mask.Data, g.Index(0, y, z), g.SizeX);
                var first = line.IndexOfAnyExcept((byte)0);
                if (first < 0) continue;
                var last = line.LastIndexOfAnyExcept((byte)0);
                candidates.Add((first * sx, y * sy));
                if (last != first) candidates.Add((last * sx, y * sy));
            }
            if (candidates.Count == 0) continue;
            var hull = ConvexHull(candidates);
            if (bestSlice < 0 && hull.Count == 1)
            {
                // A one-pixel cross-section: a diameter of zero, until a slice with two pixels is found.
                bestLength = 0;
                bestSlice = z;
                bestA = bestB = hull[0];
            }
            for (var i = 0; i < hull.Count; i++)
            {
                for (var j = i + 1; j < hull.Count; j++)
                {
                    double dx = hull[i].X - hull[j].X, dy = hull[i].Y - hull[j].Y;
                    var d = Math.Sqrt(dx * dx + dy * dy);
                    if (d > bestLength + 1e-9)
                    {
                        bestLength = d;
                        bestSlice = z;
                        bestA = hull[i];
                        bestB = hull[j];
                    }
                }
            }
        }
        if (bestSlice < 0) return null;

        // Short axis on the chosen slice.
        double ux = bestB.X - bestA.X, uy = bestB.Y - bestA.Y;
        var ul = Math.Sqrt(ux * ux + uy * uy);
        if (ul > 0)
        {
            ux /= ul;
            uy /= ul;
        }
        else
        {
            ux = 1;
            uy = 0;
        }
        double vx = -uy, vy = ux;
        var bin = Math.Min(sx, sy);
        var bins = new Dictionary<long, (double MinS, double Xa, double Ya, double MaxS, double Xb, double Yb)>();
        for (var y = 0; y < g.SizeY; y++)
        {
            for (var x = 0; x < g.SizeX; x++)
            {
                if (mask.Data[g.Index(x, y, bestSlice)] == 0) continue;
                double px = x * sx, py = y * sy;
                var t = (long)Math.Round((px * ux + py * uy) / bin);
                var s = px * vx + py * vy;
                if (!bins.TryGetValue(t, out var e)) bins[t] = (s, px, py, s, px, py);
                else
                {
                    if (s < e.MinS) e = (s, px, py, e.MaxS, e.Xb, e.Yb);
                    if (s > e.MaxS) e = (e.MinS, e.Xa, e.Ya, s, px, py);
                    bins[t] = e;
                }
            }
        }
        var shortLength = -1.0;
        (double X, double Y) sa = default, sb = default;
        foreach (var e in bins.Values)
        {
            var extent = e.MaxS - e.MinS;
            if (extent > shortLength + 1e-9)
            {
                shortLength = extent;
                sa = (e.Xa, e.Ya);
                sb = (e.Xb, e.Yb);
            }
        }
        var shortMm = Math.Sqrt((sa.X - sb.X) * (sa.X - sb.X) + (sa.Y - sb.Y) * (sa.Y - sb.Y));
        var zMm = bestSlice * g.Spacing.Z;
        Vec3 P((double X, double Y) p) => g.GridMmToPatient(new Vec3(p.X, p.Y, zMm));
        return new RecistMeasurement(bestSlice, bestLength, P(bestA), P(bestB), shortMm, P(sa), P(sb));
    }

    /// <summary>Andrew's monotone chain; collinear points are dropped.</summary>
    private static List<(double X, double Y)> ConvexHull(List<(double X, double Y)> points)
    {
        var p = points.Distinct().OrderBy(q => q.X).ThenBy(q => q.Y).ToList();
        if (p.Count < 3) return p;
        var hull = new List<(double X, double Y)>(2 * p.Count);
        static double Cross((double X, double Y) o, (double X, double Y) a, (double X, double Y) b) => (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);
        foreach (var q in p)
        {
            while (hull.Count >= 2 && Cross(hull[^2], hull[^1], q) <= 0) hull.RemoveAt(hull.Count - 1);
            hull.Add(q);
        }
        var lower = hull.Count + 1;
        for (var i = p.Count - 2; i >= 0; i--)
        {
            while (hull.Count >= lower && Cross(hull[^2], hull[^1], p[i]) <= 0) hull.RemoveAt(hull.Count - 1);
            hull.Add(p[i]);
        }
        hull.RemoveAt(hull.Count - 1);
        return hull;
    }
}
