namespace MedNode.Analysis.Volumes;

/// <summary>
/// The grid of a volume in patient coordinates (LPS+, mm). Voxel (x, y, z) = (column i, row j, slice k) lies at
/// <c>P = Origin + RowDirection·Δi·i + ColumnDirection·Δj·j + SliceDirection·Δk·k</c>, which extends the
/// Image Plane equation of PS3.3 C.7.6.2.1.1 (where X = RowDirection is the first triplet of Image Orientation
/// (Patient), Y = ColumnDirection the second, Δi the column spacing = Pixel Spacing[1], Δj the row spacing =
/// Pixel Spacing[0]) by the slice normal and the slice spacing. Origin is Image Position (Patient) of the first slice.
/// </summary>
public sealed record VolumeGeometry
{
    public VolumeGeometry(int sizeX, int sizeY, int sizeZ, Vec3 spacing, Vec3 origin, Vec3 rowDirection, Vec3 columnDirection, Vec3 sliceDirection)
    {
        if (sizeX < 1 || sizeY < 1 || sizeZ < 1) throw new ArgumentException($"Volume dimensions must be positive: {sizeX}×{sizeY}×{sizeZ}.");
        if (!(spacing.X > 0 && spacing.Y > 0 && spacing.Z > 0)) throw new ArgumentException($"Voxel spacing must be positive: {spacing}.");
        if ((long)sizeX * sizeY * sizeZ > int.MaxValue) throw new ArgumentException("Volume has more than 2^31-1 voxels.");
        SizeX = sizeX;
        SizeY = sizeY;
        SizeZ = sizeZ;
        Spacing = spacing;
        Origin = origin;
        RowDirection = rowDirection.Normalized();
        ColumnDirection = columnDirection.Normalized();
        SliceDirection = sliceDirection.Normalized();
    }

    /// <summary>An axial LPS grid: rows along +x (L), columns along +y (P), slices along +z (S).</summary>
    public static VolumeGeometry Axial(int sizeX, int sizeY, int sizeZ, Vec3 spacing, Vec3 origin = default) =>
        new(sizeX, sizeY, sizeZ, spacing, origin, new Vec3(1, 0, 0), new Vec3(0, 1, 0), new Vec3(0, 0, 1));

    /// <summary>Number of columns.</summary>
    public int SizeX { get; }

    /// <summary>Number of rows.</summary>
    public int SizeY { get; }

    /// <summary>Number of slices.</summary>
    public int SizeZ { get; }

    /// <summary>Voxel size in mm: (column spacing Δi, row spacing Δj, slice spacing Δk).</summary>
    public Vec3 Spacing { get; }

    /// <summary>Patient position (LPS, mm) of the centre of voxel (0, 0, 0).</summary>
    public Vec3 Origin { get; }

    /// <summary>Direction of increasing column index (first triplet of Image Orientation (Patient)).</summary>
    public Vec3 RowDirection { get; }

    /// <summary>Direction of increasing row index (second triplet of Image Orientation (Patient)).</summary>
    public Vec3 ColumnDirection { get; }

    /// <summary>Direction of increasing slice index.</summary>
    public Vec3 SliceDirection { get; }

    public int VoxelCount => SizeX * SizeY * SizeZ;

    /// <summary>Volume of one voxel in mm³.</summary>
    public double VoxelVolume => Spacing.X * Spacing.Y * Spacing.Z;

    /// <summary>Linear index of voxel (x, y, z); x varies fastest.</summary>
    public int Index(int x, int y, int z) => x + SizeX * (y + SizeY * z);

    /// <summary>Patient coordinates (LPS, mm) of a (possibly fractional) voxel index.</summary>
    public Vec3 IndexToPatient(double x, double y, double z) =>
        Origin + RowDirection * (Spacing.X * x) + ColumnDirection * (Spacing.Y * y) + SliceDirection * (Spacing.Z * z);

    /// <summary>
    /// Patient coordinates of a point given in grid millimetres, i.e. (Δi·x, Δj·y, Δk·z) along the grid axes.
    /// Measurements are computed in grid millimetres, which is an isometry of patient space when the directions are orthonormal.
    /// </summary>
    public Vec3 GridMmToPatient(Vec3 p) => Origin + RowDirection * p.X + ColumnDirection * p.Y + SliceDirection * p.Z;

    /// <summary>Fractional voxel index of a patient position (inverse of <see cref="IndexToPatient"/>).</summary>
    public Vec3 PatientToIndex(Vec3 p)
    {
        // Solve [R C S]·diag(spacing)·v = p - origin by Cramer's rule (works for non-orthogonal directions too).
        var d = p - Origin;
        Vec3 a = RowDirection * Spacing.X, b = ColumnDirection * Spacing.Y, c = SliceDirection * Spacing.Z;
        var det = Vec3.Dot(a, Vec3.Cross(b, c));
        if (Math.Abs(det) < 1e-12) throw new InvalidOperationException("Volume directions are degenerate.");
        return new Vec3(Vec3.Dot(d, Vec3.Cross(b, c)) / det, Vec3.Dot(a, Vec3.Cross(d, c)) / det, Vec3.Dot(a, Vec3.Cross(b, d)) / det);
    }

    /// <summary>The geometry of a sub-box: same directions and spacing, origin at the box's first voxel.</summary>
    public VolumeGeometry Crop(VoxelBox box)
    {
        if (box.MinX < 0 || box.MinY < 0 || box.MinZ < 0 || box.MaxX >= SizeX || box.MaxY >= SizeY || box.MaxZ >= SizeZ || box.SizeX < 1 || box.SizeY < 1 || box.SizeZ < 1)
            throw new ArgumentOutOfRangeException(nameof(box), $"Box {box} is outside the {SizeX}×{SizeY}×{SizeZ} grid.");
        return new VolumeGeometry(box.SizeX, box.SizeY, box.SizeZ, Spacing, IndexToPatient(box.MinX, box.MinY, box.MinZ), RowDirection, ColumnDirection, SliceDirection);
    }

    /// <summary>
    /// A geometry from a row-major 3×4 voxel-to-patient affine in LPS (e.g. <c>NiftiImage.AffineLps</c>):
    /// columns 0..2 are the axis vectors scaled by spacing, column 3 the origin.
    /// </summary>
    public static VolumeGeometry FromAffine(int sizeX, int sizeY, int sizeZ, IReadOnlyList<double> affine)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(affine.Count, 12, nameof(affine));
        var ax = new Vec3(affine[0], affine[4], affine[8]);
        var ay = new Vec3(affine[1], affine[5], affine[9]);
        var az = new Vec3(affine[2], affine[6], affine[10]);
        var origin = new Vec3(affine[3], affine[7], affine[11]);
        return new VolumeGeometry(sizeX, sizeY, sizeZ, new Vec3(ax.Length, ay.Length, az.Length), origin, ax, ay, az);
    }
}
