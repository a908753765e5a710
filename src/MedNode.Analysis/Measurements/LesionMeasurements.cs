using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>
/// Measurements of one lesion. Morphological features follow the IBSI 1 reference manual, chapter 3.1
/// (https://ibsi.readthedocs.io/en/latest/03_Image_features.html); the IBSI code is given beside each.
/// Lengths in mm, areas in mm², volumes in mm³; positions in patient coordinates (LPS, mm).
/// </summary>
public sealed record LesionMeasurements
{
    public required long VoxelCount { get; init; }

    /// <summary>IBSI RNU0: Volume (mesh).</summary>
    public required double VolumeMesh { get; init; }

    /// <summary>IBSI YEKZ: Volume (voxel counting).</summary>
    public required double VolumeVoxelCounting { get; init; }

    /// <summary>
    /// Partial-volume estimate (not an IBSI feature): the model's probabilities summed over the lesion and the shell
    /// around it, times the voxel volume (<see cref="PartialVolume"/>), or for a small lesion a partial-volume ellipsoid
    /// fitted to the image (<see cref="SmallLesionVolume"/>); <see cref="VolumePartialMethod"/> says which. Null when no
    /// probability map was given.
    /// </summary>
    public double? VolumePartial { get; init; }

    /// <summary>
    /// Which estimate <see cref="VolumePartial"/> is (<see cref="VolumePartialMethods"/>): "ProbabilitySum", or
    /// "EllipsoidFit" for a small lesion whose fitted ellipsoid passed <see cref="SmallLesionVolume.Check"/>. Null with it.
    /// </summary>
    public string? VolumePartialMethod { get; init; }

    /// <summary>IBSI C0JK: Surface area (mesh).</summary>
    public required double SurfaceArea { get; init; }

    /// <summary>IBSI 2PR5: Surface to volume ratio, A/V (mm⁻¹).</summary>
    public required double SurfaceToVolumeRatio { get; init; }

    /// <summary>IBSI SKGS: Compactness 1, V / (π^½ A^³⁄₂).</summary>
    public required double Compactness1 { get; init; }

    /// <summary>IBSI BQWJ: Compactness 2, 36π V² / A³.</summary>
    public required double Compactness2 { get; init; }

    /// <summary>IBSI KRCK: Spherical disproportion, A / (36π V²)^⅓.</summary>
    public required double SphericalDisproportion { get; init; }

    /// <summary>IBSI QCFX: Sphericity, (36π V²)^⅓ / A.</summary>
    public required double Sphericity { get; init; }

    /// <summary>IBSI 25C7: Asphericity, (A³ / (36π V²))^⅓ − 1.</summary>
    public required double Asphericity { get; init; }

    /// <summary>IBSI L0JK: Maximum 3D diameter, over the mesh vertices.</summary>
    public required double Maximum3DDiameter { get; init; }

    public required Vec3 Maximum3DDiameterFrom { get; init; }

    public required Vec3 Maximum3DDiameterTo { get; init; }

    /// <summary>IBSI TDIC: Major axis length, 4√λ_major (PCA of voxel centres).</summary>
    public required double MajorAxisLength { get; init; }

    /// <summary>IBSI P9VJ: Minor axis length, 4√λ_minor.</summary>
    public required double MinorAxisLength { get; init; }

    /// <summary>IBSI 7J51: Least axis length, 4√λ_least.</summary>
    public required double LeastAxisLength { get; init; }

    /// <summary>IBSI Q3CK: Elongation, √(λ_minor / λ_major).</summary>
    public required double Elongation { get; init; }

    /// <summary>IBSI N17B: Flatness, √(λ_least / λ_major).</summary>
    public required double Flatness { get; init; }

    /// <summary>IBSI PBX1: Volume density (axis-aligned bounding box of the mesh vertices, grid axes).</summary>
    public required double VolumeDensityAabb { get; init; }

    /// <summary>IBSI R59B: Area density (axis-aligned bounding box of the mesh vertices, grid axes).</summary>
    public required double AreaDensityAabb { get; init; }

    /// <summary>Mean of the voxel centres (IBSI's geometric centre of mass), in patient coordinates.</summary>
    public required Vec3 Centroid { get; init; }

    /// <summary>Voxel bounding box (inclusive) in the grid of the volume the lesion was labelled in.</summary>
    public required VoxelBox BoundingBox { get; init; }

    /// <summary>Size of the bounding box along the grid axes (columns, rows, slices), voxel edges included: (max − min + 1) · spacing.</summary>
    public required Vec3 BoundingBoxSizeMm { get; init; }

    /// <summary>Patient position of the centre of the bounding box's first voxel (min x, min y, min z).</summary>
    public required Vec3 BoundingBoxMinCorner { get; init; }

    /// <summary>Patient position of the centre of the bounding box's last voxel (max x, max y, max z).</summary>
    public required Vec3 BoundingBoxMaxCorner { get; init; }

    /// <summary>Long and short axis on the acquisition plane; null only for an empty mask.</summary>
    public required RecistMeasurement? Recist { get; init; }

    /// <summary>Image values inside the mask; null when no image was given.</summary>
    public required IntensityStatistics? Intensity { get; init; }
}
