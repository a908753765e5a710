namespace MedNode.Core.Imaging.Nifti;

/// <summary>
/// A decoded NIfTI-1 image: the header, the voxel values after <c>scl_slope</c>/<c>scl_inter</c> scaling,
/// and the voxel-to-world affine. Voxel (i, j, k) is at <c>Data[i + SizeX * (j + SizeY * k)]</c>
/// (plus <c>SizeX * SizeY * SizeZ * t</c> for further volumes of a 4D file).
/// </summary>
public sealed class NiftiImage
{
    public NiftiImage(NiftiHeader header, float[] data, double[] affineRas)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(affineRas.Length, 12, nameof(affineRas));
        Header = header;
        Data = data;
        AffineRas = affineRas;
    }

    public NiftiHeader Header { get; }

    /// <summary>Voxel values, scaled to real-world values where <c>scl_slope</c> is non-zero.</summary>
    public float[] Data { get; }

    public int SizeX => Header.Dimensions[0];

    public int SizeY => Header.Dimensions[1];

    public int SizeZ => Header.Dimensions[2];

    /// <summary>
    /// Row-major 3×4 affine from voxel index (i, j, k, 1) to NIfTI world coordinates in mm, which are RAS+
    /// (nifti1.h: +x = Right, +y = Anterior, +z = Superior).
    /// Chosen from sform (sform_code &gt; 0), else qform (qform_code &gt; 0), else pixdim scaling (nifti1.h methods 3, 2, 1).
    /// </summary>
    public double[] AffineRas { get; }

    /// <summary>
    /// The same affine in DICOM patient coordinates (LPS+, PS3.3 C.7.6.2.1.1): the x and y rows negated.
    /// </summary>
    public double[] AffineLps
    {
        get
        {
            var a = (double[])AffineRas.Clone();
            for (var c = 0; c < 4; c++)
            {
                a[c] = -a[c];
                a[4 + c] = -a[4 + c];
            }
            return a;
        }
    }
}
