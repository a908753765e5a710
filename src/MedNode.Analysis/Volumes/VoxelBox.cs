namespace MedNode.Analysis.Volumes;

/// <summary>An axis-aligned box of voxel indices, bounds inclusive: x = column, y = row, z = slice.</summary>
public readonly record struct VoxelBox(int MinX, int MinY, int MinZ, int MaxX, int MaxY, int MaxZ)
{
    public int SizeX => MaxX - MinX + 1;

    public int SizeY => MaxY - MinY + 1;

    public int SizeZ => MaxZ - MinZ + 1;

    public long VoxelCount => (long)SizeX * SizeY * SizeZ;

    public bool Contains(int x, int y, int z) => x >= MinX && x <= MaxX && y >= MinY && y <= MaxY && z >= MinZ && z <= MaxZ;
}
