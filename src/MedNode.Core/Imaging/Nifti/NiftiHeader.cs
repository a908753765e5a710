namespace MedNode.Core.Imaging.Nifti;

/// <summary>
/// The fields of a NIfTI-1 header (nifti1.h, 348 bytes) that geometry and voxel decoding need.
/// Dimensions are in file order: x (fastest varying), y, z.
/// </summary>
public sealed record NiftiHeader
{
    /// <summary>True when the file is big-endian (sizeof_hdr read as 348 only after byte swapping).</summary>
    public required bool BigEndian { get; init; }

    /// <summary><c>dim[0]</c>: the number of dimensions used (1 to 7).</summary>
    public required int DimensionCount { get; init; }

    /// <summary><c>dim[1..7]</c>, unused trailing dimensions set to 1.</summary>
    public required int[] Dimensions { get; init; }

    public required NiftiDataType DataType { get; init; }

    public required int BitsPerVoxel { get; init; }

    /// <summary><c>pixdim[0..7]</c>; <c>pixdim[0]</c> is qfac, <c>pixdim[1..3]</c> the voxel size.</summary>
    public required float[] PixDim { get; init; }

    /// <summary><c>vox_offset</c>: byte offset of the voxel data in a single-file (n+1) image.</summary>
    public required long VoxelOffset { get; init; }

    /// <summary><c>scl_slope</c>; 0 means "no scaling" (nifti1.h).</summary>
    public required float ScaleSlope { get; init; }

    /// <summary><c>scl_inter</c>.</summary>
    public required float ScaleIntercept { get; init; }

    public required short QFormCode { get; init; }

    public required short SFormCode { get; init; }

    /// <summary><c>quatern_b, quatern_c, quatern_d</c>.</summary>
    public required float[] Quaternion { get; init; }

    /// <summary><c>qoffset_x, qoffset_y, qoffset_z</c>.</summary>
    public required float[] QOffset { get; init; }

    /// <summary><c>srow_x, srow_y, srow_z</c>, row-major 3×4.</summary>
    public required float[] SRows { get; init; }

    /// <summary>The voxel size of one element in bytes.</summary>
    public int BytesPerVoxel => BitsPerVoxel / 8;

    /// <summary>Number of voxels over all dimensions.</summary>
    public long VoxelCount
    {
        get
        {
            long n = 1;
            for (var i = 0; i < DimensionCount; i++) n *= Dimensions[i];
            return n;
        }
    }
}
