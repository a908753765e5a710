using MedNode.Analysis.Inference;
using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Tests;

/// <summary>Comparing an analysis result's lesions with a reference mask on the source grid.</summary>
internal static class LesionMasks
{
    /// <summary>Sets the voxels of <paramref name="lesion"/>'s mask in <paramref name="target"/> (the source grid).</summary>
    public static void Paste(Volume<byte> target, DetectedLesion lesion)
    {
        var b = lesion.BoxInSource;
        for (var z = 0; z < lesion.Mask.SizeZ; z++)
        {
            for (var y = 0; y < lesion.Mask.SizeY; y++)
            {
                for (var x = 0; x < lesion.Mask.SizeX; x++)
                {
                    if (lesion.Mask[x, y, z] != 0) target[x + b.MinX, y + b.MinY, z + b.MinZ] = 1;
                }
            }
        }
    }

    /// <summary>Dice coefficient of two masks on the same grid (1 when both are empty).</summary>
    public static double Dice(Volume<byte> a, Volume<byte> b)
    {
        long both = 0, sum = 0;
        for (var i = 0; i < a.Data.Length; i++)
        {
            var x = a.Data[i] != 0;
            var y = b.Data[i] != 0;
            if (x && y) both++;
            sum += (x ? 1 : 0) + (y ? 1 : 0);
        }
        return sum == 0 ? 1 : 2.0 * both / sum;
    }
}
