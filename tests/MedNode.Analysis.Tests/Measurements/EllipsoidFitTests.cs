using System.Globalization;
using MedNode.Analysis.Measurements;
using MedNode.Analysis.Volumes;
using Xunit.Abstractions;

namespace MedNode.Analysis.Tests.Measurements;

/// <summary>
/// <see cref="EllipsoidFit"/> and <see cref="SmallLesionVolume"/> on rendered lesions: the fraction of each voxel inside
/// the shape from 4 × 4 × 4 point sub-samples (not the fitter's own 3 × 3 × 3 ramps), on 40 HU, plus Gaussian noise.
/// </summary>
public class EllipsoidFitTests(ITestOutputHelper output)
{
    private const double Background = 40;
    private const double Contrast = 80;
    private const double Sigma = 10;

    /// <summary>
    /// Rotated, anisotropic-spacing ellipsoids with semi-axes 2.2–5 mm, contrast 8 σ. The bound: for a sphere of radius r
    /// with b and c known, the Cramér–Rao 1σ of the volume is √(4πr²·w·V_voxel)·σ / (c·V) (a boundary layer of width
    /// w ≈ 1 mm carries all the information on r): 1.7 % at r = 2.5 mm on 0.8 × 0.8 × 1.5 mm voxels. With b, c and the
    /// shape free it is larger, so three times that, 5 %, which is also issue #6's target.
    /// </summary>
    [Theory]
    [InlineData(2.5, 2.5, 2.5, 0, 0, 0, 0.8, 1.5, 1)]
    [InlineData(3.0, 2.5, 2.2, 30, 40, 10, 0.7, 1.5, 2)]
    [InlineData(4.0, 3.0, 2.5, 60, 20, 45, 0.9, 2.0, 3)]
    [InlineData(5.0, 4.0, 3.0, 15, 70, 120, 0.6, 1.25, 4)]
    [InlineData(3.5, 3.5, 2.5, 90, 45, 0, 1.0, 1.5, 5)]
    [InlineData(2.8, 2.6, 2.4, 170, 10, 80, 0.75, 1.0, 6)]
    public void Fit_RotatedNoisyEllipsoid_VolumeWithinBoundAndAccepted(double a, double b, double c, double alpha, double beta, double gamma, double pixel, double slice, int seed)
    {
        var axes = Rotation(alpha, beta, gamma);
        var (image, probability) = Render(pixel, slice, Math.Max(a, Math.Max(b, c)), seed, p => InsideEllipsoid(p, a, b, c, axes), noise: true);
        var truth = 4.0 / 3.0 * Math.PI * a * b * c;
        var (mask, box) = Component(probability);

        var fit = EllipsoidFit.Fit(image, mask, box, SmallLesionVolume.MarginMm)!;
        var sum = ProbabilitySum(probability);
        var reason = SmallLesionVolume.Check(fit, box, image.Geometry.Spacing, sum);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"truth {truth:F1} mm³ (sampled {ProbabilitySum(probability):F1}): fit {fit.Volume:F1} ({(fit.Volume - truth) / truth:P2}), semi-axes {fit.SemiAxes}, b {fit.Background:F1}, c {fit.Contrast:F1}, σ {fit.BackgroundSigma:F2}, ratio {fit.NearToBackgroundVarianceRatio:F2}, {fit.Iterations} iterations; check: {reason ?? "accepted"}"));

        fit.Volume.Should().BeApproximately(truth, 0.05 * truth);
        reason.Should().BeNull("an ellipsoid with noise is what the fit is for");
        // The noise the fit sees in the background is the noise rendered (σ = 10 HU, thousands of voxels).
        fit.BackgroundSigma.Should().BeApproximately(Sigma, 1.0);
        fit.Contrast.Should().BeApproximately(Contrast, 0.1 * Contrast);
        // The centre: the rendered one is the grid's middle point (in grid millimetres).
        var centre = Middle(image.Geometry);
        Vec3.Distance(fit.Centre, centre).Should().BeLessThan(0.3);
    }

    /// <summary>
    /// Without noise the fit's only error is its model of a voxel's fraction (straight ramps over 3 × 3 × 3 sub-voxels,
    /// corrected for curvature) against the rendered one. It is largest where a semi-axis is as short as the slice
    /// spacing (2 mm), where it came to −2.4 %; the bound is 3 %.
    /// </summary>
    [Theory]
    [InlineData(2.5, 2.5, 2.5, 0, 0, 0, 0.8, 1.5)]
    [InlineData(3.0, 2.4, 2.0, 35, 50, 20, 0.7, 2.0)]
    [InlineData(3.0, 2.4, 2.0, 35, 50, 20, 0.7, 1.0)]
    [InlineData(6.0, 5.0, 4.0, 35, 50, 20, 0.7, 2.0)]
    public void Fit_NoiseFreeEllipsoid_VolumeWithinThreePercent(double a, double b, double c, double alpha, double beta, double gamma, double pixel, double slice)
    {
        var axes = Rotation(alpha, beta, gamma);
        var (image, probability) = Render(pixel, slice, Math.Max(a, Math.Max(b, c)), 0, p => InsideEllipsoid(p, a, b, c, axes), noise: false);
        var truth = 4.0 / 3.0 * Math.PI * a * b * c;
        var (mask, box) = Component(probability);

        var fit = EllipsoidFit.Fit(image, mask, box, SmallLesionVolume.MarginMm)!;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"truth {truth:F1} mm³ (sampled {ProbabilitySum(probability):F1}): fit {fit.Volume:F1} ({(fit.Volume - truth) / truth:P2}), semi-axes {fit.SemiAxes}, b {fit.Background:F2}, c {fit.Contrast:F2}, ratio {fit.NearToBackgroundVarianceRatio:F3}, rms {fit.ResidualRms:F3}, {fit.Iterations} iterations"));
        fit.Volume.Should().BeApproximately(truth, 0.03 * truth);
        fit.Converged.Should().BeTrue();
    }

    /// <summary>
    /// Shapes an ellipsoid does not describe, rendered by the same rule with the same noise: the goodness-of-fit check
    /// refuses the fit and <see cref="SmallLesionVolume.Estimate"/> keeps the probability sum unchanged.
    /// </summary>
    [Theory]
    [InlineData("two overlapping spheres")]
    [InlineData("cube")]
    [InlineData("sphere with a spur")]
    public void Estimate_NonEllipsoidalLesion_GateRefusesAndKeepsTheSum(string shape)
    {
        Func<Vec3, bool> inside = shape switch
        {
            // Radius 3 mm each, centres 4 mm apart along a diagonal.
            "two overlapping spheres" => p => (p - new Vec3(-1.2, -1.2, -1)).Length <= 3 || (p - new Vec3(1.2, 1.2, 1)).Length <= 3,
            // 6 mm edges, turned 30° about z.
            "cube" => p =>
            {
                var r = Rotation(30, 0, 0);
                return Math.Abs(Vec3.Dot(r[0], p)) <= 3 && Math.Abs(Vec3.Dot(r[1], p)) <= 3 && Math.Abs(Vec3.Dot(r[2], p)) <= 3;
            },
            // A sphere of radius 3 mm with a cylinder 2 mm thick reaching 4 mm beyond it.
            _ => p => p.Length <= 3 || (p.X >= 0 && p.X <= 7 && (p.Y * p.Y) + (p.Z * p.Z) <= 1),
        };
        var (image, probability) = Render(0.8, 1.5, 7, 11, inside, noise: true);
        var (mask, box) = Component(probability);
        var sum = ProbabilitySum(probability);

        var fit = EllipsoidFit.Fit(image, mask, box, SmallLesionVolume.MarginMm)!;
        var reason = SmallLesionVolume.Check(fit, box, image.Geometry.Spacing, sum);
        var (volume, method, _) = SmallLesionVolume.Estimate(image, probability, 0.5, mask, box, maximum3DDiameter: 10, sum);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{shape}: sum {sum:F1} mm³, fit {fit.Volume:F1}, ratio {fit.NearToBackgroundVarianceRatio:F2}; check: {reason ?? "accepted"}"));
        reason.Should().StartWith("residual variance ratio", "the residuals at the lesion show the ellipsoid does not describe it");
        method.Should().Be(VolumePartialMethods.ProbabilitySum);
        volume.Should().Be(sum);
    }

    [Fact]
    public void Estimate_LesionAboveTheSizeLimit_KeepsTheSumWithoutFitting()
    {
        var (image, probability) = Render(0.8, 1.5, 3, 1, p => p.Length <= 3, noise: true);
        var (mask, box) = Component(probability);

        var (volume, method, fit) = SmallLesionVolume.Estimate(image, probability, 0.5, mask, box, maximum3DDiameter: SmallLesionVolume.MaxDiameterMm + 0.1, 123.4);

        (volume, method, fit).Should().Be((123.4, VolumePartialMethods.ProbabilitySum, (EllipsoidFitResult?)null));
    }

    /// <summary>Axes of a rotation by Euler angles (degrees) about z, then y, then z.</summary>
    private static Vec3[] Rotation(double alpha, double beta, double gamma)
    {
        double ca = Cos(alpha), sa = Sin(alpha), cb = Cos(beta), sb = Sin(beta), cg = Cos(gamma), sg = Sin(gamma);
        // R = Rz(α)·Ry(β)·Rz(γ); its columns are the ellipsoid's axes.
        double[,] r =
        {
            { (ca * cb * cg) - (sa * sg), (-ca * cb * sg) - (sa * cg), ca * sb },
            { (sa * cb * cg) + (ca * sg), (-sa * cb * sg) + (ca * cg), sa * sb },
            { -sb * cg, sb * sg, cb },
        };
        return [new Vec3(r[0, 0], r[1, 0], r[2, 0]), new Vec3(r[0, 1], r[1, 1], r[2, 1]), new Vec3(r[0, 2], r[1, 2], r[2, 2])];

        static double Cos(double d) => Math.Cos(d * Math.PI / 180);
        static double Sin(double d) => Math.Sin(d * Math.PI / 180);
    }

    private static bool InsideEllipsoid(Vec3 p, double a, double b, double c, Vec3[] axes)
    {
        double x = Vec3.Dot(axes[0], p) / a, y = Vec3.Dot(axes[1], p) / b, z = Vec3.Dot(axes[2], p) / c;
        return (x * x) + (y * y) + (z * z) <= 1;
    }

    /// <summary>
    /// A grid reaching 7 mm beyond <paramref name="reach"/> around its middle point, which is off the voxel centres;
    /// the image (HU, rounded as CT stores it) and the exact-as-sampled fraction per voxel (the "probability").
    /// </summary>
    private static (Volume<float> Image, Volume<float> Probability) Render(double pixel, double slice, double reach, int seed, Func<Vec3, bool> inside, bool noise)
    {
        int n = (int)Math.Ceiling(2 * (reach + 7) / pixel), nz = (int)Math.Ceiling(2 * (reach + 7) / slice);
        var g = VolumeGeometry.Axial(n, n, nz, new Vec3(pixel, pixel, slice));
        var centre = Middle(g);
        var image = new float[g.VoxelCount];
        var fraction = new float[g.VoxelCount];
        var random = new Random(seed);
        const int s = 4;
        for (var z = 0; z < nz; z++)
            for (var y = 0; y < n; y++)
                for (var x = 0; x < n; x++)
                {
                    var count = 0;
                    for (var k = 0; k < s; k++)
                        for (var j = 0; j < s; j++)
                            for (var i = 0; i < s; i++)
                            {
                                var p = new Vec3((x + ((i + 0.5) / s) - 0.5) * pixel, (y + ((j + 0.5) / s) - 0.5) * pixel, (z + ((k + 0.5) / s) - 0.5) * slice) - centre;
                                if (inside(p)) count++;
                            }
                    var f = count / (double)(s * s * s);
                    var hu = Background + (Contrast * f) + (noise ? Sigma * Gaussian(random) : 0);
                    image[g.Index(x, y, z)] = (float)Math.Round(hu);
                    fraction[g.Index(x, y, z)] = (float)f;
                }
        return (new Volume<float>(g, image), new Volume<float>(g, fraction));
    }

    private static Vec3 Middle(VolumeGeometry g) => new((((g.SizeX - 1) / 2.0) + 0.23) * g.Spacing.X, (((g.SizeY - 1) / 2.0) - 0.31) * g.Spacing.Y, (((g.SizeZ - 1) / 2.0) + 0.17) * g.Spacing.Z);

    private static (Volume<byte> Mask, VoxelBox Box) Component(Volume<float> probability)
    {
        var binary = new byte[probability.Geometry.VoxelCount];
        for (var i = 0; i < binary.Length; i++) binary[i] = probability.Data[i] >= 0.5f ? (byte)1 : (byte)0;
        var labeling = ConnectedComponents.Label(new Volume<byte>(probability.Geometry, binary));
        labeling.Components.Should().HaveCount(1);
        return (labeling.ExtractMask(1), labeling.Components[0].Box);
    }

    private static double ProbabilitySum(Volume<float> probability) => probability.Data.Sum(p => (double)p) * probability.Geometry.VoxelVolume;

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
