using System.Runtime.CompilerServices;
using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

public static partial class EllipsoidFit
{
    /// <summary>
    /// The voxels and the image model I ≈ b + c·f(θ), θ = (centre, semi-axes, axes). Parameter steps are
    /// (Δcentre ×3, Δlog semi-axis ×3, rotation vector ×3 applied to the current axes, Δb, Δc).
    /// </summary>
    private sealed class Model(double[] px, double[] py, double[] pz, double[] values, Vec3 spacing, int subSamples)
    {
        public const int Parameters = 11;
        

        private readonly double[] _fraction = new double[px.Length];
        private readonly double[] _residual = new double[px.Length];
        private readonly bool[] _outside = new bool[px.Length];
        private readonly double[] _gradient = new double[9];
        private readonly double[] _row = new double[Parameters];
        private bool _linearSolved;

        public required Vec3[] Axes { get; set; }

        public required double[] Semi { get; set; }

        public Vec3 Centre { get; private set; }

        public double B { get; private set; }

        public double C { get; private set; }

        public bool[] Use { get; set; } = [];

        public double Residual(int v) => _residual[v];

        /// <summary>Whether voxel v lies outside the ellipsoid by at least its own width along the normal.</summary>
        public bool IsOutside(int v) => _outside[v];

        public (Vec3 Centre, Vec3[] Axes, double[] Semi, double B, double C) Save() => (Centre, [.. Axes], [.. Semi], B, C);

        public void Restore((Vec3 Centre, Vec3[] Axes, double[] Semi, double B, double C) state)
        {
            (Centre, B, C) = (state.Centre, state.B, state.C);
            Axes = [.. state.Axes];
            Semi = [.. state.Semi];
        }

        public void Apply(double[] step)
        {
            Centre += new Vec3(step[0], step[1], step[2]);
            Semi = [Semi[0] * Math.Exp(step[3]), Semi[1] * Math.Exp(step[4]), Semi[2] * Math.Exp(step[5])];
            var w = new Vec3(step[6], step[7], step[8]);
            Axes = [.. Axes.Select(u => Rotate(u, w))];
            B += step[9];
            C += step[10];
        }

        /// <summary>
        /// Fractions and residuals of every voxel for the current θ; returns Σ residual² over the voxels in use (+∞ when
        /// not finite). With <paramref name="jtj"/> and <paramref name="jtr"/>, also accumulates JᵀJ and Jᵀr of the
        /// residuals' analytic Jacobian. The first call solves b and c linearly for the start shape.
        /// </summary>
        // Hot loops of a fit that runs once per lesion: compiled optimised at once rather than after tiering up.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Evaluate(double[,]? jtj, double[]? jtr)
        {
            var n = px.Length;
            if (!_linearSolved)
            {
                for (var v = 0; v < n; v++) _fraction[v] = Fraction(v, null);
                SolveLinear();
                _linearSolved = true;
            }
            var withJacobian = jtj != null && jtr != null;
            double cost = 0;
            for (var v = 0; v < n; v++)
            {
                _fraction[v] = Fraction(v, withJacobian && Use[v] ? _gradient : null);
                _residual[v] = values[v] - B - (C * _fraction[v]);
                if (!Use[v]) continue;
                cost += _residual[v] * _residual[v];
                if (!withJacobian) continue;
                for (var k = 0; k < 9; k++) _row[k] = -C * _gradient[k];
                _row[9] = -1;
                _row[10] = -_fraction[v];
                for (var a = 0; a < Parameters; a++)
                {
                    var ra = _row[a];
                    if (ra == 0) continue;
                    jtr![a] += ra * _residual[v];
                    for (var b = a; b < Parameters; b++) jtj![a, b] += ra * _row[b];
                }
            }
            if (jtj != null)
            {
                for (var a = 0; a < Parameters; a++)
                    for (var b = 0; b < a; b++) jtj[a, b] = jtj[b, a];
            }
            return double.IsFinite(cost) ? cost : double.PositiveInfinity;
        }

        /// <summary>|residual| of the voxels in use away from both the lesion's mask and the ellipsoid: the noise.</summary>
        public List<double> BackgroundResiduals(IReadOnlyList<bool> nearMask)
        {
            var result = new List<double>();
            for (var v = 0; v < px.Length; v++)
                if (Use[v] && !nearMask[v] && _outside[v]) result.Add(Math.Abs(_residual[v]));
            return result;
        }

        public EllipsoidFitResult Result(Vec3 origin, IReadOnlyList<bool> nearMask, int iterations, bool converged)
        {
            Evaluate(null, null);
            double all = 0, background = 0, near = 0;
            int nAll = 0, nBackground = 0, nNear = 0;
            for (var v = 0; v < px.Length; v++)
            {
                if (!Use[v]) continue;
                var r2 = _residual[v] * _residual[v];
                all += r2;
                nAll++;
                if (_fraction[v] > 0 || nearMask[v])
                {
                    near += r2;
                    nNear++;
                }
                else if (_outside[v])
                {
                    background += r2;
                    nBackground++;
                }
            }
            var sigma = nBackground > 0 ? Math.Sqrt(background / nBackground) : double.NaN;
            var ratio = nNear > 0 && sigma > 0 ? near / nNear / (sigma * sigma) : double.NaN;
            return new EllipsoidFitResult(origin + Centre, new Vec3(Semi[0], Semi[1], Semi[2]), [.. Axes], B, C, nAll, Math.Sqrt(all / Math.Max(1, nAll)), sigma, nNear, ratio, iterations, converged);
        }

        private void SolveLinear()
        {
            double n = 0, sf = 0, sff = 0, si = 0, sfi = 0;
            for (var v = 0; v < px.Length; v++)
            {
                if (!Use[v]) continue;
                var f = _fraction[v];
                n++;
                sf += f;
                sff += f * f;
                si += values[v];
                sfi += f * values[v];
            }
            var det = (n * sff) - (sf * sf);
            C = det > 1e-12 ? ((n * sfi) - (sf * si)) / det : 0;
            B = n > 0 ? (si - (C * sf)) / n : 0;
        }

        /// <summary>
        /// The fraction of voxel v inside the ellipsoid, from n×n×n sub-voxels each with a linear ramp across its width
        /// along the normal; with <paramref name="gradient"/>, also ∂f/∂(Δcentre, Δlog semi-axes, rotation vector).
        /// </summary>
        // Hot loops of a fit that runs once per lesion: compiled optimised at once rather than after tiering up.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private double Fraction(int v, double[]? gradient)
        {
            if (gradient != null) Array.Clear(gradient);
            var d = SignedDistance(px[v], py[v], pz[v], null, out var w);
            _outside[v] = d >= w;
            if (d >= w) return 0;
            if (d <= -w) return 1;
            var curvature = CurvatureSum(px[v], py[v], pz[v]);
            double sum = 0;
            for (var k = 0; k < subSamples; k++)
            {
                var oz = (((k + 0.5) / subSamples) - 0.5) * spacing.Z;
                for (var j = 0; j < subSamples; j++)
                {
                    var oy = (((j + 0.5) / subSamples) - 0.5) * spacing.Y;
                    for (var i = 0; i < subSamples; i++)
                    {
                        var ox = (((i + 0.5) / subSamples) - 0.5) * spacing.X;
                        var ds = SignedDistance(px[v] + ox, py[v] + oy, pz[v] + oz, gradient == null ? null : _subGradient, out var ws);
                        // A straight ramp across a curved surface overstates what lies inside by (κ₁ + κ₂)·h²/24 per unit
                        // area (h the ramp's width): shift the ramp by that much so that a sphere's fractions sum to its volume.
                        var h = ws / subSamples;
                        var t = 0.5 - ((ds + (curvature * h * h / 24)) / h);
                        if (t <= 0) continue;
                        if (t >= 1)
                        {
                            sum += 1;
                            continue;
                        }
                        sum += t;
                        if (gradient != null)
                        {
                            for (var p = 0; p < 9; p++) gradient[p] -= _subGradient[p] / h;
                        }
                    }
                }
            }
            double count = subSamples * subSamples * subSamples;
            if (gradient != null)
            {
                for (var p = 0; p < 9; p++) gradient[p] /= count;
            }
            return sum / count;
        }

        private readonly double[] _subGradient = new double[9];

        /// <summary>
        /// κ₁ + κ₂ of the ellipsoid's level surface through p: div(∇F/|∇F|) for F = |q|², which with M = Σ u_k u_kᵀ/a_k² and
        /// m = M·(p − centre) is (tr M·|m|² − mᵀ·M·m) / |m|³.
        /// </summary>
        // Hot loops of a fit that runs once per lesion: compiled optimised at once rather than after tiering up.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private double CurvatureSum(double x, double y, double z)
        {
            var d = new Vec3(x, y, z) - Centre;
            double trace = 0, mMm = 0;
            var m = Vec3.Zero;
            for (var k = 0; k < 3; k++)
            {
                var a2 = Semi[k] * Semi[k];
                var c = Vec3.Dot(Axes[k], d) / a2;
                m += c * Axes[k];
                trace += 1 / a2;
                mMm += c * c / a2;
            }
            var mm = Vec3.Dot(m, m);
            var length = Math.Sqrt(mm);
            return length > 1e-12 ? ((trace * mm) - mMm) / (mm * length) : 0;
        }

        /// <summary>
        /// First-order signed distance (mm, negative inside) from p to the ellipsoid, (ρ − 1)/|∇ρ| with
        /// ρ = |diag(1/a)·Axesᵀ·(p − centre)|; <paramref name="width"/> is the voxel's width along the normal ∇ρ/|∇ρ|.
        /// With <paramref name="gradient"/>, ∂distance/∂θ (to first order: ∂ρ/∂θ / |∇ρ|).
        /// </summary>
        // Hot loops of a fit that runs once per lesion: compiled optimised at once rather than after tiering up.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private double SignedDistance(double x, double y, double z, double[]? gradient, out double width)
        {
            var d = new Vec3(x, y, z) - Centre;
            double a0 = Semi[0], a1 = Semi[1], a2 = Semi[2];
            Vec3 u0 = Axes[0], u1 = Axes[1], u2 = Axes[2];
            double q0 = Vec3.Dot(u0, d) / a0, q1 = Vec3.Dot(u1, d) / a1, q2 = Vec3.Dot(u2, d) / a2;
            var rho = Math.Sqrt((q0 * q0) + (q1 * q1) + (q2 * q2));
            if (rho < 1e-9)
            {
                width = spacing.X + spacing.Y + spacing.Z;
                if (gradient != null) Array.Clear(gradient);
                return -Math.Min(a0, Math.Min(a1, a2));
            }
            var grad = (((q0 / a0) * u0) + ((q1 / a1) * u1) + ((q2 / a2) * u2)) / rho;
            var g = grad.Length;
            var normal = grad / g;
            width = (Math.Abs(normal.X) * spacing.X) + (Math.Abs(normal.Y) * spacing.Y) + (Math.Abs(normal.Z) * spacing.Z);
            if (gradient != null)
            {
                // ∂ρ/∂centre = −∇ρ; ∂ρ/∂log a_k = −q_k²/ρ; ∂ρ/∂ω = Σ_k q_k/(a_k ρ) · (u_k × d) for a rotation ω of the axes.
                gradient[0] = -normal.X;
                gradient[1] = -normal.Y;
                gradient[2] = -normal.Z;
                gradient[3] = -q0 * q0 / rho / g;
                gradient[4] = -q1 * q1 / rho / g;
                gradient[5] = -q2 * q2 / rho / g;
                var omega = ((q0 / a0) * Vec3.Cross(u0, d)) + ((q1 / a1) * Vec3.Cross(u1, d)) + ((q2 / a2) * Vec3.Cross(u2, d));
                gradient[6] = omega.X / rho / g;
                gradient[7] = omega.Y / rho / g;
                gradient[8] = omega.Z / rho / g;
            }
            return (rho - 1) / g;
        }

        /// <summary>Rodrigues' rotation of u by the rotation vector w (axis w/|w|, angle |w|).</summary>
        private static Vec3 Rotate(Vec3 u, Vec3 w)
        {
            var angle = w.Length;
            if (angle < 1e-15) return u;
            var k = w / angle;
            double cos = Math.Cos(angle), sin = Math.Sin(angle);
            return (u * cos) + (Vec3.Cross(k, u) * sin) + (k * (Vec3.Dot(k, u) * (1 - cos)));
        }
    }
}
