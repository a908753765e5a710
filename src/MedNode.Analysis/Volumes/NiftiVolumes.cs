using MedNode.Core.Imaging.Nifti;

namespace MedNode.Analysis.Volumes;

/// <summary>Turns a NIfTI-1 image (first 3D volume) into a <see cref="Volume{T}"/> in patient coordinates (LPS).</summary>
public static class NiftiVolumes
{
    /// <summary>The geometry of the image, from its RAS affine converted to LPS (x and y negated).</summary>
    public static VolumeGeometry Geometry(NiftiImage image) => VolumeGeometry.FromAffine(image.SizeX, image.SizeY, image.SizeZ, image.AffineLps);

    /// <summary>The first 3D volume as float values (scaled by scl_slope/scl_inter).</summary>
    public static Volume<float> ToImage(NiftiImage image)
    {
        var g = Geometry(image);
        return new Volume<float>(g, image.Data.AsSpan(0, g.VoxelCount).ToArray());
    }

    /// <summary>The first 3D volume as a binary mask: 1 where the value is at least <paramref name="threshold"/>.</summary>
    public static Volume<byte> ToMask(NiftiImage image, float threshold = 0.5f)
    {
        var g = Geometry(image);
        var data = new byte[g.VoxelCount];
        for (var i = 0; i < data.Length; i++) data[i] = image.Data[i] >= threshold ? (byte)1 : (byte)0;
        return new Volume<byte>(g, data);
    }
}
