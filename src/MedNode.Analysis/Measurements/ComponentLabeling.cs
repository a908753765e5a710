using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>One 26-connected component of a mask.</summary>
/// <param name="Label">1-based label, in scan order (z, then y, then x of the first voxel).</param>
/// <param name="VoxelCount">Number of voxels.</param>
/// <param name="VolumeMm3">Voxel-count volume, <c>VoxelCount × voxel volume</c>.</param>
/// <param name="Box">Voxel bounding box in the source grid (inclusive).</param>
public sealed record LesionComponent(int Label, long VoxelCount, double VolumeMm3, VoxelBox Box);

/// <summary>
/// The result of <see cref="ConnectedComponents.Label"/>: the components and their run-length encoding, from which
/// masks are rebuilt without a per-voxel label array.
/// </summary>
public sealed class ComponentLabeling
{
    private readonly int[] _rowFirstRun;
    private readonly int[] _runStart;
    private readonly int[] _runEnd;
    private readonly int[] _runLabel;

    private ComponentLabeling(VolumeGeometry geometry, int[] rowFirstRun, int[] runStart, int[] runEnd, int[] runLabel, LesionComponent[] components)
    {
        Geometry = geometry;
        _rowFirstRun = rowFirstRun;
        _runStart = runStart;
        _runEnd = runEnd;
        _runLabel = runLabel;
        Components = components;
    }

    public VolumeGeometry Geometry { get; }

    /// <summary>Components ordered by label; <c>Components[i].Label == i + 1</c>.</summary>
    public IReadOnlyList<LesionComponent> Components { get; }

    internal static ComponentLabeling Create(VolumeGeometry g, int[] rowFirstRun, int[] runStart, int[] runEnd, int[] runLabel)
    {
        var n = 0;
        foreach (var l in runLabel) n = Math.Max(n, l);
        var counts = new long[n + 1];
        var box = new int[(n + 1) * 6];
        for (var c = 1; c <= n; c++)
        {
            box[6 * c] = box[6 * c + 1] = box[6 * c + 2] = int.MaxValue;
            box[6 * c + 3] = box[6 * c + 4] = box[6 * c + 5] = -1;
        }
        for (var row = 0; row < rowFirstRun.Length - 1; row++)
        {
            int y = row % g.SizeY, z = row / g.SizeY;
            for (var r = rowFirstRun[row]; r < rowFirstRun[row + 1]; r++)
            {
                var c = runLabel[r];
                counts[c] += runEnd[r] - runStart[r] + 1;
                var o = 6 * c;
                box[o] = Math.Min(box[o], runStart[r]);
                box[o + 1] = Math.Min(box[o + 1], y);
                box[o + 2] = Math.Min(box[o + 2], z);
                box[o + 3] = Math.Max(box[o + 3], runEnd[r]);
                box[o + 4] = Math.Max(box[o + 4], y);
                box[o + 5] = Math.Max(box[o + 5], z);
            }
        }
        var components = new LesionComponent[n];
        for (var c = 1; c <= n; c++)
        {
            var o = 6 * c;
            components[c - 1] = new LesionComponent(c, counts[c], counts[c] * g.VoxelVolume, new VoxelBox(box[o], box[o + 1], box[o + 2], box[o + 3], box[o + 4], box[o + 5]));
        }
        return new ComponentLabeling(g, rowFirstRun, runStart, runEnd, runLabel, components);
    }

    /// <summary>The mask (0/1) of one component, cropped to its bounding box (the geometry carries the offset).</summary>
    public Volume<byte> ExtractMask(int label)
    {
        if (label < 1 || label > Components.Count) throw new ArgumentOutOfRangeException(nameof(label));
        var box = Components[label - 1].Box;
        var result = new Volume<byte>(Geometry.Crop(box));
        for (var z = box.MinZ; z <= box.MaxZ; z++)
        {
            for (var y = box.MinY; y <= box.MaxY; y++)
            {
                var row = y + Geometry.SizeY * z;
                for (var r = _rowFirstRun[row]; r < _rowFirstRun[row + 1]; r++)
                {
                    if (_runLabel[r] != label) continue;
                    var start = result.Geometry.Index(_runStart[r] - box.MinX, y - box.MinY, z - box.MinZ);
                    result.Data.AsSpan(start, _runEnd[r] - _runStart[r] + 1).Fill(1);
                }
            }
        }
        return result;
    }

    /// <summary>A full-size mask (0/1) holding the components that <paramref name="keep"/> accepts.</summary>
    public Volume<byte> ToMask(Func<LesionComponent, bool> keep)
    {
        var kept = new bool[Components.Count + 1];
        foreach (var c in Components) kept[c.Label] = keep(c);
        var result = new Volume<byte>(Geometry);
        FillRuns(result.Data, l => kept[l] ? 1 : 0, (d, i, n, v) => d.AsSpan(i, n).Fill((byte)v));
        return result;
    }

    /// <summary>A full-size label map: 0 outside, the component label inside.</summary>
    public Volume<int> ToLabelVolume()
    {
        var result = new Volume<int>(Geometry);
        FillRuns(result.Data, l => l, (d, i, n, v) => d.AsSpan(i, n).Fill(v));
        return result;
    }

    private void FillRuns<T>(T[] data, Func<int, int> value, Action<T[], int, int, int> fill)
    {
        for (var row = 0; row < _rowFirstRun.Length - 1; row++)
        {
            var lineStart = row * Geometry.SizeX;
            for (var r = _rowFirstRun[row]; r < _rowFirstRun[row + 1]; r++)
            {
                var v = value(_runLabel[r]);
                if (v != 0) fill(data, lineStart + _runStart[r], _runEnd[r] - _runStart[r] + 1, v);
            }
        }
    }
}
