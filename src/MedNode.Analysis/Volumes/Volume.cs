namespace MedNode.Analysis.Volumes;

/// <summary>
/// A 3D grid of voxel values with its patient geometry; voxel (x, y, z) is <c>Data[x + SizeX·(y + SizeY·z)]</c>.
/// Masks are <c>Volume&lt;byte&gt;</c> (non-zero = inside), images <c>Volume&lt;float&gt;</c> (e.g. HU).
/// </summary>
public sealed class Volume<T>
    where T : unmanaged
{
    public Volume(VolumeGeometry geometry)
        : this(geometry, new T[geometry.VoxelCount])
    {
    }

    public Volume(VolumeGeometry geometry, T[] data)
    {
        if (data.Length != geometry.VoxelCount)
            throw new ArgumentException($"Data has {data.Length} voxels; the {geometry.SizeX}×{geometry.SizeY}×{geometry.SizeZ} grid needs {geometry.VoxelCount}.", nameof(data));
        Geometry = geometry;
        Data = data;
    }

    public VolumeGeometry Geometry { get; }

    public T[] Data { get; }

    public int SizeX => Geometry.SizeX;

    public int SizeY => Geometry.SizeY;

    public int SizeZ => Geometry.SizeZ;

    public T this[int x, int y, int z]
    {
        get => Data[Geometry.Index(x, y, z)];
        set => Data[Geometry.Index(x, y, z)] = value;
    }

    /// <summary>A copy of the voxels inside <paramref name="box"/>, with the cropped geometry.</summary>
    public Volume<T> Crop(VoxelBox box)
    {
        var g = Geometry.Crop(box);
        var result = new T[g.VoxelCount];
        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                Array.Copy(Data, Geometry.Index(box.MinX, box.MinY + y, box.MinZ + z), result, g.Index(0, y, z), g.SizeX);
            }
        }
        return new Volume<T>(g, result);
    }
}
