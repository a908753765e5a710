using MedNode.Analysis.Measurements;
using MedNode.Analysis.Volumes;
using MedNode.Core.Imaging.Nifti;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Measurements;

/// <summary>
/// Morphological features of the IBSI 1 digital phantom (../shared/datasets/ibsi-digital-phantom, mask as-is, no
/// resampling) against the IBSI benchmark values and tolerances for the "dig. phantom" row of each feature's table in
/// the IBSI 1 reference manual, chapter 3.1 "Morphological features"
/// (https://ibsi.readthedocs.io/en/latest/03_Image_features.html; source theibsi/ibsi-doc, docs/03_Image_features.rst).
/// </summary>
[Trait("Conformance", "IBSI 1 §3.1")]
public class IbsiDigitalPhantomTests
{
    private const string Mask = "datasets/ibsi-digital-phantom/mask.nii.gz";
    private const string Image = "datasets/ibsi-digital-phantom/phantom.nii.gz";

    // Feature, IBSI code, reference value, tolerance (IBSI 1, chapter 3.1, "dig. phantom" rows).
    public static TheoryData<string, double, double> References => new()
    {
        { "RNU0 Volume (mesh)", 556, 4 },
        { "YEKZ Volume (voxel counting)", 592, 4 },
        { "C0JK Surface area (mesh)", 388, 3 },
        { "2PR5 Surface to volume ratio", 0.698, 0.004 },
        { "SKGS Compactness 1", 0.0411, 0.0003 },
        { "BQWJ Compactness 2", 0.599, 0.004 },
        { "KRCK Spherical disproportion", 1.19, 0.01 },
        { "QCFX Sphericity", 0.843, 0.005 },
        { "25C7 Asphericity", 0.186, 0.001 },
        { "L0JK Maximum 3D diameter", 13.1, 0.1 },
        { "TDIC Major axis length", 11.4, 0.1 },
        { "P9VJ Minor axis length", 9.31, 0.06 },
        { "7J51 Least axis length", 8.54, 0.05 },
        { "Q3CK Elongation", 0.816, 0.005 },
        { "N17B Flatness", 0.749, 0.005 },
        { "PBX1 Volume density (AABB)", 0.869, 0.005 },
        { "R59B Area density (AABB)", 0.866, 0.005 },
    };

    private static readonly Lazy<LesionMeasurements> Measured = new(() =>
    {
        var mask = NiftiVolumes.ToMask(NiftiReader.ReadFile(SharedData.Get(Mask)));
        var image = NiftiVolumes.ToImage(NiftiReader.ReadFile(SharedData.Get(Image)));
        return LesionMeasurer.Measure(mask, image);
    });

    [RequiresTheory(Mask)]
    [MemberData(nameof(References))]
    public void Measure_IbsiDigitalPhantom_WithinIbsiTolerance(string feature, double expected, double tolerance)
    {
        var m = Measured.Value;
        double actual = feature[..4] switch
        {
            "RNU0" => m.VolumeMesh,
            "YEKZ" => m.VolumeVoxelCounting,
            "C0JK" => m.SurfaceArea,
            "2PR5" => m.SurfaceToVolumeRatio,
            "SKGS" => m.Compactness1,
            "BQWJ" => m.Compactness2,
            "KRCK" => m.SphericalDisproportion,
            "QCFX" => m.Sphericity,
            "25C7" => m.Asphericity,
            "L0JK" => m.Maximum3DDiameter,
            "TDIC" => m.MajorAxisLength,
            "P9VJ" => m.MinorAxisLength,
            "7J51" => m.LeastAxisLength,
            "Q3CK" => m.Elongation,
            "N17B" => m.Flatness,
            "PBX1" => m.VolumeDensityAabb,
            "R59B" => m.AreaDensityAabb,
            _ => throw new ArgumentOutOfRangeException(nameof(feature)),
        };
        actual.Should().BeApproximately(expected, tolerance, feature);
    }

    [RequiresFact(Mask)]
    public void Measure_IbsiDigitalPhantom_CountsTheRoiVoxels()
    {
        // The phantom is 5×4×4 voxels of 2×2×2 mm (IBSI 1, "Reference data sets"); 592 mm³ / 8 mm³ = 74 ROI voxels.
        Measured.Value.VoxelCount.Should().Be(74);
        Measured.Value.Intensity.Should().NotBeNull();
    }
}
