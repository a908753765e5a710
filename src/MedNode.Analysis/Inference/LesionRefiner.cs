using MedNode.Analysis.Models;
using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Inference;

/// <summary>
/// The second pass of <see cref="LesionRefinement"/>: around each candidate lesion the source image is cropped (the
/// candidate's box, plus the margin, and at least one model patch wide where the series allows, so that the tiles see
/// tissue rather than padding), resampled at the model spacing divided by the zoom, predicted, and interpolated back;
/// those probabilities replace the first pass's around each candidate (its box plus 3 mm; the rest of the crop is
/// context only). Crops that overlap are merged first.
/// </summary>
internal static class LesionRefiner
{
    /// <summary>Refines <paramref name="probability"/> (one class, on the source grid) in place; returns the crops done.</summary>
    public static int Refine(Volume<float> image, Volume<float> probability, int classIndex, IEnumerable<VoxelBox> candidates, LoadedModel model, float padValue, CancellationToken cancellationToken)
    {
        var m = model.Manifest;
        var r = m.Refinement ?? throw new InvalidOperationException($"model {m.Id} has no refinement");
        var g = image.Geometry;
        var fine = new Vec3(m.TargetSpacing[0] / r.Zoom, m.TargetSpacing[1] / r.Zoom, m.TargetSpacing[2] / r.Zoom);
        var minimum = (X: Voxels(m.PatchSize[0] * fine.X, g.Spacing.X), Y: Voxels(m.PatchSize[1] * fine.Y, g.Spacing.Y), Z: Voxels(m.PatchSize[2] * fine.Z, g.Spacing.Z));
        var candidateList = candidates.ToList();
        var crops = Merge(candidateList.Select(b => Expand(b, g, r.MarginMm, minimum)).ToList());
        // Only the neighbourhood of each candidate takes the second pass's values: the rest of a crop is context, and a
        // lesion that is not a candidate but reaches into a crop keeps its first-pass boundary whole.
        var writeBoxes = candidateList.Select(b => Expand(b, g, WriteMarginMm, (1, 1, 1))).ToList();

        var done = 0;
        foreach (var box in crops)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var cropGeometry = g.Crop(box);
            var grid = Resampler.Regrid(cropGeometry, fine);
            if ((long)grid.SizeX * grid.SizeY * grid.SizeZ > r.MaxVoxels) continue;
            var resampled = Resampler.Trilinear(image.Crop(box), grid, cancellationToken);
            var normalised = AnalysisPipeline.Normalise(resampled.Data, m.Normalisation);
            var predicted = SlidingWindow.Predict(model, normalised, grid.SizeX, grid.SizeY, grid.SizeZ, padValue, cancellationToken)[classIndex];
            var back = Resampler.Trilinear(new Volume<float>(grid, predicted), cropGeometry, cancellationToken);
            foreach (var w in writeBoxes)
            {
                if (w.MinX < box.MinX || w.MinY < box.MinY || w.MinZ < box.MinZ || w.MaxX > box.MaxX || w.MaxY > box.MaxY || w.MaxZ > box.MaxZ) continue;
                for (var z = w.MinZ; z <= w.MaxZ; z++)
                {
                    for (var y = w.MinY; y <= w.MaxY; y++)
                    {
                        Array.Copy(back.Data, cropGeometry.Index(w.MinX - box.MinX, y - box.MinY, z - box.MinZ), probability.Data, g.Index(w.MinX, y, z), w.SizeX);
                    }
                }
            }
            done++;
        }
        return done;
    }

    /// <summary>How far around a candidate's box the second pass's probabilities are taken (mm): room for its boundary to move.</summary>
    private const double WriteMarginMm = 3;

    /// <summary>Source voxels needed to cover <paramref name="mm"/>, plus one so that the fine grid fits inside.</summary>
    private static int Voxels(double mm, double spacing) => (int)Math.Ceiling(mm / spacing) + 1;

    private static VoxelBox Expand(VoxelBox b, VolumeGeometry g, double marginMm, (int X, int Y, int Z) minimum)
    {
        var (x0, x1) = Axis(b.MinX, b.MaxX, (int)Math.Ceiling(marginMm / g.Spacing.X), minimum.X, g.SizeX);
        var (y0, y1) = Axis(b.MinY, b.MaxY, (int)Math.Ceiling(marginMm / g.Spacing.Y), minimum.Y, g.SizeY);
        var (z0, z1) = Axis(b.MinZ, b.MaxZ, (int)Math.Ceiling(marginMm / g.Spacing.Z), minimum.Z, g.SizeZ);
        return new VoxelBox(x0, y0, z0, x1, y1, z1);

        static (int Lo, int Hi) Axis(int lo, int hi, int margin, int minimum, int size)
        {
            lo -= margin;
            hi += margin;
            var missing = minimum - (hi - lo + 1);
            if (missing > 0)
            {
                lo -= missing / 2;
                hi += missing - (missing / 2);
            }
            // Slide back inside the grid before clamping, so a candidate near an edge still gets a full-width crop.
            if (lo < 0)
            {
                hi -= lo;
                lo = 0;
            }
            if (hi > size - 1)
            {
                lo -= hi - (size - 1);
                hi = size - 1;
            }
            return (Math.Max(0, lo), hi);
        }
    }

    private static List<VoxelBox> Merge(List<VoxelBox> boxes)
    {
        var merged = true;
        while (merged)
        {
            merged = false;
            for (var i = 0; i < boxes.Count && !merged; i++)
            {
                for (var j = i + 1; j < boxes.Count; j++)
                {
                    VoxelBox a = boxes[i], b = boxes[j];
                    if (a.MaxX < b.MinX || b.MaxX < a.MinX || a.MaxY < b.MinY || b.MaxY < a.MinY || a.MaxZ < b.MinZ || b.MaxZ < a.MinZ) continue;
                    boxes[i] = new VoxelBox(Math.Min(a.MinX, b.MinX), Math.Min(a.MinY, b.MinY), Math.Min(a.MinZ, b.MinZ), Math.Max(a.MaxX, b.MaxX), Math.Max(a.MaxY, b.MaxY), Math.Max(a.MaxZ, b.MaxZ));
                    boxes.RemoveAt(j);
                    merged = true;
                    break;
                }
            }
        }
        return boxes;
    }
}
