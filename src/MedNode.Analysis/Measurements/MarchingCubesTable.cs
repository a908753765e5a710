namespace MedNode.Analysis.Measurements;

/// <summary>
/// The 256-case marching cubes triangle table (Lorensen and Cline 1987), derived at start-up rather than typed in.
/// For each cube face the iso-contour segments are found with one fixed rule for ambiguous faces (diagonal inside
/// corners are kept apart), oriented so that the inside lies on one side, then chained into loops and
/// fan-triangulated. Because the rule depends only on a face's four corners, two cubes sharing a face produce the same
/// segments in opposite directions, so the mesh of a padded mask is closed and consistently oriented (every edge is
/// used once in each direction), which the divergence-theorem volume (IBSI RNU0) needs.
/// A loop of more than three vertices is not planar. Of its fan triangulations whose diagonals stay off the cube
/// faces (so that the mesh stays a 2-manifold), the one enclosing the most volume is taken: it reproduces the IBSI
/// digital phantom's consensus mesh volume and area (556 mm³, 388 mm²), where the least-volume fans give 549 mm³.
/// </summary>
internal static class MarchingCubesTable
{
    /// <summary>Corner c of a cube sits at offset (c &amp; 1, (c &gt;&gt; 1) &amp; 1, (c &gt;&gt; 2) &amp; 1).</summary>
    public static readonly int[] CornerOffsetX = [0, 1, 0, 1, 0, 1, 0, 1];

    public static readonly int[] CornerOffsetY = [0, 0, 1, 1, 0, 0, 1, 1];

    public static readonly int[] CornerOffsetZ = [0, 0, 0, 0, 1, 1, 1, 1];

    /// <summary>Edge e joins corner <see cref="EdgeCornerA"/>[e] to corner <see cref="EdgeCornerB"/>[e] along one axis.</summary>
    public static readonly int[] EdgeCornerA = new int[12];

    public static readonly int[] EdgeCornerB = new int[12];

    /// <summary>Twice the position of each edge midpoint in cube-local coordinates (integers).</summary>
    public static readonly int[] EdgeMid2X = new int[12];

    public static readonly int[] EdgeMid2Y = new int[12];

    public static readonly int[] EdgeMid2Z = new int[12];

    /// <summary>For each case (bit c set when corner c is inside), triangles as edge-index triples, outward (inside → outside) by the right-hand rule.</summary>
    public static readonly int[][] Triangles = new int[256][];

    static MarchingCubesTable()
    {
        var edgeIndex = new int[8, 8];
        var e = 0;
        for (var bit = 1; bit <= 4; bit <<= 1)
        {
            for (var c = 0; c < 8; c++)
            {
                if ((c & bit) != 0) continue;
                EdgeCornerA[e] = c;
                EdgeCornerB[e] = c | bit;
                edgeIndex[c, c | bit] = edgeIndex[c | bit, c] = e;
                EdgeMid2X[e] = CornerOffsetX[c] + CornerOffsetX[c | bit];
                EdgeMid2Y[e] = CornerOffsetY[c] + CornerOffsetY[c | bit];
                EdgeMid2Z[e] = CornerOffsetZ[c] + CornerOffsetZ[c | bit];
                e++;
            }
        }

        var faces = FacesCounterClockwiseFromOutside();

        // Loops are built with the inside on a fixed side; find which by the single-corner case, whose normal must
        // point away from corner 0, towards (+1, +1, +1). Then orient every case outward.
        var probe = BuildCase(1, faces, edgeIndex, outwardSign: 1);
        var n = Normal(probe[0], probe[1], probe[2]);
        var sign = n.X + n.Y + n.Z < 0 ? -1 : 1;
        for (var m = 0; m < 256; m++)
        {
            var tri = BuildCase(m, faces, edgeIndex, sign);
            if (sign < 0)
            {
                for (var i = 0; i < tri.Length; i += 3) (tri[i + 1], tri[i + 2]) = (tri[i + 2], tri[i + 1]);
            }
            Triangles[m] = tri;
        }
    }

    /// <summary>
    /// False when a fan diagonal from <paramref name="root"/> would lie in a cube face. That happens when a loop crosses
    /// an ambiguous face twice; the neighbouring cube may then use the same segment, and the edge would be shared by
    /// four faces. Such roots are skipped so the mesh stays a 2-manifold.
    /// </summary>
    private static bool DiagonalsLeaveTheFaces(List<int> loop, int root)
    {
        var a = loop[root];
        for (var k = 2; k < loop.Count - 1; k++)
        {
            var b = loop[(root + k) % loop.Count];
            // Doubled midpoint coordinates are 0, 1 or 2; two midpoints share a face when they share a coordinate of 0 or 2.
            if ((EdgeMid2X[a] == EdgeMid2X[b] && EdgeMid2X[a] != 1) || (EdgeMid2Y[a] == EdgeMid2Y[b] && EdgeMid2Y[a] != 1) || (EdgeMid2Z[a] == EdgeMid2Z[b] && EdgeMid2Z[a] != 1))
                return false;
        }
        return true;
    }

    /// <summary>
    /// The fan root whose triangulation of <paramref name="loop"/> encloses the most volume once oriented outward, among
    /// the roots whose diagonals stay off the cube faces. Two triangulations of one loop differ by a closed surface, so
    /// comparing signed volumes about any fixed point is exact.
    /// </summary>
    private static int MaxVolumeFanRoot(List<int> loop, int outwardSign)
    {
        if (loop.Count <= 3) return 0;
        var best = 0;
        var bestVolume = double.NegativeInfinity;
        for (var r = 0; r < loop.Count; r++)
        {
            if (!DiagonalsLeaveTheFaces(loop, r)) continue;
            long volume6 = 0;
            for (var k = 1; k + 1 < loop.Count; k++)
            {
                int a = loop[r], b = loop[(r + k) % loop.Count], c = loop[(r + k + 1) % loop.Count];
                long ax = EdgeMid2X[a], ay = EdgeMid2Y[a], az = EdgeMid2Z[a];
                long bx = EdgeMid2X[b], by = EdgeMid2Y[b], bz = EdgeMid2Z[b];
                long cx = EdgeMid2X[c], cy = EdgeMid2Y[c], cz = EdgeMid2Z[c];
                volume6 += ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
            }
            double v = outwardSign * volume6;
            if (v > bestVolume)
            {
                bestVolume = v;
                best = r;
            }
        }
        return best;
    }

    private static (int X, int Y, int Z) Normal(int ea, int eb, int ec)
    {
        int ax = EdgeMid2X[eb] - EdgeMid2X[ea], ay = EdgeMid2Y[eb] - EdgeMid2Y[ea], az = EdgeMid2Z[eb] - EdgeMid2Z[ea];
        int bx = EdgeMid2X[ec] - EdgeMid2X[eb], by = EdgeMid2Y[ec] - EdgeMid2Y[eb], bz = EdgeMid2Z[ec] - EdgeMid2Z[eb];
        return (ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx);
    }

    /// <summary>The six faces, each as four corners in counter-clockwise order seen from outside the cube.</summary>
    private static int[][] FacesCounterClockwiseFromOutside()
    {
        var faces = new List<int[]>();
        for (var axis = 0; axis < 3; axis++)
        {
            int u = (axis + 1) % 3, v = (axis + 2) % 3;
            for (var side = 0; side < 2; side++)
            {
                int Corner(int du, int dv) => (side << axis) | (du << u) | (dv << v);
                int[] cycle = [Corner(0, 0), Corner(1, 0), Corner(1, 1), Corner(0, 1)];
                // (u, v, axis) is a cyclic permutation of (x, y, z), so e_u × e_v = +e_axis: this cycle is
                // counter-clockwise seen from +axis, i.e. from outside for side 1; reverse it for side 0.
                if (side == 0) Array.Reverse(cycle);
                faces.Add(cycle);
            }
        }
        return faces.ToArray();
    }

    private static int[] BuildCase(int m, int[][] faces, int[,] edgeIndex, int outwardSign)
    {
        bool Inside(int c) => (m & (1 << c)) != 0;
        var next = new Dictionary<int, int>();
        foreach (var f in faces)
        {
            for (var i = 0; i < 4; i++)
            {
                // An entry crossing (outside → inside along the counter-clockwise walk) pairs with the next crossing,
                // the exit; the segment runs exit → entry. Pairing each entry with the next exit keeps inside corners apart.
                int a = f[i], b = f[(i + 1) & 3];
                if (Inside(a) || !Inside(b)) continue;
                for (var k = 1; k < 4; k++)
                {
                    int p = f[(i + k) & 3], q = f[(i + k + 1) & 3];
                    if (Inside(p) && !Inside(q))
                    {
                        next.Add(edgeIndex[p, q], edgeIndex[a, b]);
                        break;
                    }
                }
            }
        }

        var triangles = new List<int>();
        var used = new HashSet<int>();
        foreach (var start in next.Keys.Order())
        {
            if (used.Contains(start)) continue;
            var loop = new List<int>();
            var cur = start;
            while (used.Add(cur))
            {
                loop.Add(cur);
                cur = next[cur];
            }
            var root = MaxVolumeFanRoot(loop, outwardSign);
            for (var k = 1; k + 1 < loop.Count; k++)
            {
                triangles.Add(loop[root]);
                triangles.Add(loop[(root + k) % loop.Count]);
                triangles.Add(loop[(root + k + 1) % loop.Count]);
            }
        }
        return triangles.ToArray();
    }
}
