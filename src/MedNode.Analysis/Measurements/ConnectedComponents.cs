using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>
/// 3D connected-component labelling of a binary mask with 26-connectivity (voxels sharing a face, an edge or a
/// corner are connected). Iterative, no recursion: the mask is run-length encoded along x and the runs are merged
/// with union-find, so memory grows with the number of runs, not with the number of voxels.
/// </summary>
public static class ConnectedComponents
{
    /// <summary>Labels the non-zero voxels of <paramref name="mask"/>; labels are numbered 1..n in scan order (z, y, x).</summary>
    public static ComponentLabeling Label(Volume<byte> mask)
    {
        var g = mask.Geometry;
        var rows = g.SizeY * g.SizeZ;
        var rowFirstRun = new int[rows + 1];
        var starts = new List<int>();
        var ends = new List<int>();
        var parent = new List<int>();
        var data = mask.Data;

        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                var row = y + g.SizeY * z;
                rowFirstRun[row] = starts.Count;
                var line = new ReadOnlySpan<byte>(data, g.Index(0, y, z), g.SizeX);
                var x = 0;
                while (x < line.Length)
                {
                    var s = line[x..].IndexOfAnyExcept((byte)0);
                    if (s < 0) break;
                    var x0 = x + s;
                    var e = line[x0..].IndexOf((byte)0);
                    var x1 = e < 0 ? line.Length - 1 : x0 + e - 1;
                    var id = starts.Count;
                    starts.Add(x0);
                    ends.Add(x1);
                    parent.Add(id);
                    // Previously scanned rows of the 26-neighbourhood: (y-1, z), and (y-1..y+1, z-1).
                    if (y > 0) UnionWithRow(row - 1, id, x0, x1);
                    if (z > 0)
                    {
                        var below = row - g.SizeY;
                        if (y > 0) UnionWithRow(below - 1, id, x0, x1);
                        UnionWithRow(below, id, x0, x1);
                        if (y + 1 < g.SizeY) UnionWithRow(below + 1, id, x0, x1);
                    }
                    x = x1 + 1;
                }
            }
        }
        rowFirstRun[rows] = starts.Count;
        return ComponentLabeling.Create(g, rowFirstRun, starts.ToArray(), ends.ToArray(), ResolveLabels(parent));

        void UnionWithRow(int otherRow, int id, int x0, int x1)
        {
            // Runs of an earlier row lie in [rowFirstRun[otherRow], rowFirstRun[otherRow + 1]); the current row's
            // start index, set when its scan began, closes the row just before it.
            var lo = rowFirstRun[otherRow];
            var end = rowFirstRun[otherRow + 1];
            // First run whose end reaches x0 - 1 (binary search, runs are sorted and disjoint).
            int a = lo, b = end;
            while (a < b)
            {
                var m = (a + b) >> 1;
                if (ends[m] < x0 - 1) a = m + 1;
                else b = m;
            }
            for (var r = a; r < end && starts[r] <= x1 + 1; r++) Union(parent, id, r);
        }
    }

    /// <summary>
    /// A copy of <paramref name="mask"/> (values 0/1) without the 26-connected components smaller than
    /// <paramref name="minVolumeMm3"/> (voxel-count volume).
    /// </summary>
    public static Volume<byte> RemoveSmallComponents(Volume<byte> mask, double minVolumeMm3) =>
        Label(mask).ToMask(c => c.VolumeMm3 >= minVolumeMm3);

    private static int Find(List<int> parent, int i)
    {
        var root = i;
        while (parent[root] != root) root = parent[root];
        while (parent[i] != root)
        {
            var next = parent[i];
            parent[i] = root;
            i = next;
        }
        return root;
    }

    private static void Union(List<int> parent, int a, int b)
    {
        var ra = Find(parent, a);
        var rb = Find(parent, b);
        if (ra == rb) return;
        // The smaller index stays root, so components are numbered in scan order.
        if (ra < rb) parent[rb] = ra;
        else parent[ra] = rb;
    }

    private static int[] ResolveLabels(List<int> parent)
    {
        var labels = new int[parent.Count];
        var next = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var root = Find(parent, i);
            labels[i] = root == i ? ++next : labels[root];
        }
        return labels;
    }
}
