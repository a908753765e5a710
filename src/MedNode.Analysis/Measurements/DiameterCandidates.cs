using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>
/// Finds the largest distance within a set of lattice points (mesh vertices in doubled grid coordinates) without an
/// O(n²) pass over all of them. A point lying strictly between two other points of the set on a grid line is dropped:
/// for any third point its distance is at most the larger distance to those two, so the maximum is unchanged. After
/// keeping only the extremes along x, then y, then z lines, what remains are points of the convex hull's silhouette;
/// the exact maximum over them is found by an O(n²) search pruned with a bounding-sphere bound.
/// </summary>
internal sealed class DiameterCandidates
{
    private readonly int _sizeY;
    private readonly int[] _minX;
    private readonly int[] _maxX;
    private int _loX = int.MaxValue, _loY = int.MaxValue, _loZ = int.MaxValue, _hiX = int.MinValue, _hiY = int.MinValue, _hiZ = int.MinValue;

    public DiameterCandidates(int sizeY, int sizeZ)
    {
        _sizeY = sizeY;
        _minX = new int[sizeY * sizeZ];
        _maxX = new int[sizeY * sizeZ];
        Array.Fill(_minX, int.MaxValue);
        Array.Fill(_maxX, int.MinValue);
    }

    public void Add(int x, int y, int z)
    {
        var k = y + _sizeY * z;
        if (x < _minX[k]) _minX[k] = x;
        if (x > _maxX[k]) _maxX[k] = x;
        if (x < _loX) _loX = x;
        if (x > _hiX) _hiX = x;
        if (y < _loY) _loY = y;
        if (y > _hiY) _hiY = y;
        if (z < _loZ) _loZ = z;
        if (z > _hiZ) _hiZ = z;
    }

    public (Vec3 Min, Vec3 Max) Bounds(Func<int, int, int, Vec3> toMm) =>
        _hiX < _loX ? (Vec3.Zero, Vec3.Zero) : (toMm(_loX, _loY, _loZ), toMm(_hiX, _hiY, _hiZ));

    public (double Distance, Vec3 From, Vec3 To) MaximumDistance(Func<int, int, int, Vec3> toMm)
    {
        var points = new List<(int X, int Y, int Z)>();
        for (var k = 0; k < _minX.Length; k++)
        {
            if (_minX[k] == int.MaxValue) continue;
            int y = k % _sizeY, z = k / _sizeY;
            points.Add((_minX[k], y, z));
            if (_maxX[k] != _minX[k]) points.Add((_maxX[k], y, z));
        }
        points = KeepLineExtremes(points, p => ((long)p.X << 32) | (uint)p.Z, p => p.Y);
        points = KeepLineExtremes(points, p => ((long)p.X << 32) | (uint)p.Y, p => p.Z);
        if (points.Count == 0) return (0, Vec3.Zero, Vec3.Zero);

        var mm = points.Select(p => toMm(p.X, p.Y, p.Z)).ToArray();
        var centre = Vec3.Zero;
        foreach (var p in mm) centre += p;
        centre /= mm.Length;
        var radius = mm.Select(p => Vec3.Distance(p, centre)).ToArray();
        Array.Sort(radius, mm, Comparer<double>.Create((a, b) => b.CompareTo(a)));

        double best2 = -1;
        int bi = 0, bj = 0;
        for (var i = 0; i < mm.Length; i++)
        {
            var bound = 2 * radius[i];
            if (bound * bound <= best2) break;
            for (var j = i + 1; j < mm.Length; j++)
            {
                var b = radius[i] + radius[j];
                if (b * b <= best2) break;
                var d = mm[i] - mm[j];
                var d2 = d.X * d.X + d.Y * d.Y + d.Z * d.Z;
                if (d2 > best2)
                {
                    best2 = d2;
                    bi = i;
                    bj = j;
                }
            }
        }
        if (best2 < 0) return (0, mm[0], mm[0]);
        return (Math.Sqrt(best2), mm[bi], mm[bj]);
    }

    private static List<(int X, int Y, int Z)> KeepLineExtremes(List<(int X, int Y, int Z)> points, Func<(int X, int Y, int Z), long> line, Func<(int X, int Y, int Z), int> along)
    {
        var ext = new Dictionary<long, (int Min, int Max)>();
        foreach (var p in points)
        {
            var k = line(p);
            var v = along(p);
            ext[k] = ext.TryGetValue(k, out var e) ? (Math.Min(e.Min, v), Math.Max(e.Max, v)) : (v, v);
        }
        var kept = new List<(int X, int Y, int Z)>(ext.Count * 2);
        foreach (var p in points)
        {
            var e = ext[line(p)];
            var v = along(p);
            if (v == e.Min || v == e.Max) kept.Add(p);
        }
        return kept;
    }
}
