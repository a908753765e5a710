using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations (numerically robust, no recursion).</summary>
internal static class PrincipalAxes
{
    /// <summary>Eigenvalues of the symmetric matrix [[a00, a01, a02], [a01, a11, a12], [a02, a12, a22]], largest first, with unit eigenvectors.</summary>
    public static (double[] Values, Vec3[] Vectors) Eigen(double a00, double a01, double a02, double a11, double a12, double a22)
    {
        var a = new double[3, 3] { { a00, a01, a02 }, { a01, a11, a12 }, { a02, a12, a22 } };
        var v = new double[3, 3] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        for (var sweep = 0; sweep < 64; sweep++)
        {
            var off = Math.Abs(a[0, 1]) + Math.Abs(a[0, 2]) + Math.Abs(a[1, 2]);
            var scale = Math.Abs(a[0, 0]) + Math.Abs(a[1, 1]) + Math.Abs(a[2, 2]);
            if (off <= 1e-15 * Math.Max(scale, double.Epsilon)) break;
            for (var p = 0; p < 2; p++)
            {
                for (var q = p + 1; q < 3; q++)
                {
                    if (a[p, q] == 0) continue;
                    var theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < 3; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (var k = 0; k < 3; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (var k = 0; k < 3; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        var order = new[] { 0, 1, 2 };
        Array.Sort(order, (i, j) => a[j, j].CompareTo(a[i, i]));
        return (order.Select(i => a[i, i]).ToArray(), order.Select(i => new Vec3(v[0, i], v[1, i], v[2, i])).ToArray());
    }
}
