using MedNode.Analysis.Models;
using Microsoft.ML.OnnxRuntime;

namespace MedNode.Analysis.Inference;

/// <summary>The network produced a value that is not a finite number.</summary>
public sealed class NonFiniteOutputException(string message) : Exception(message);

/// <summary>
/// Sliding-window inference over a normalised volume (x fastest) with Gaussian blending of overlapping tiles
/// (importance weights exp(−d²/2σ²), σ = 0.125 × tile, as MONAI's SlidingWindowInferer with mode "gaussian").
/// Activations are applied per tile before blending; the result is one probability map per manifest class.
/// <see cref="LoadedModel.TileBatch"/> tiles go to the session per <c>Run</c> (N of NCDHW); blending keeps the tile
/// order, so the result does not depend on the batch beyond the session's own rounding.
/// </summary>
internal static class SlidingWindow
{
    public static float[][] Predict(LoadedModel model, float[] volume, int sizeX, int sizeY, int sizeZ, float padValue, CancellationToken cancellationToken)
    {
        var m = model.Manifest;
        int tx = Tile(m.PatchSize[0], sizeX, m.SpatialDivisor), ty = Tile(m.PatchSize[1], sizeY, m.SpatialDivisor), tz = Tile(m.PatchSize[2], sizeZ, m.SpatialDivisor);
        int px = Math.Max(sizeX, tx), py = Math.Max(sizeY, ty), pz = Math.Max(sizeZ, tz);
        var voxels = sizeX * sizeY * sizeZ;
        var classes = m.Classes.Count;
        var channels = ManifestValidator.OutputChannels(m);
        var accum = new float[classes][];
        for (var c = 0; c < classes; c++) accum[c] = new float[voxels];
        var weightSum = new float[voxels];
        var weights = GaussianWeights(tx, ty, tz);
        var tileVoxels = tx * ty * tz;

        var origins = new List<(int X, int Y, int Z)>();
        foreach (var z0 in Starts(pz, tz, m.Overlap))
        {
            foreach (var y0 in Starts(py, ty, m.Overlap))
            {
                foreach (var x0 in Starts(px, tx, m.Overlap)) origins.Add((x0, y0, z0));
            }
        }
        // One pinned buffer for the whole volume, refilled for each Run: ONNX Runtime reads it in place (and the CUDA
        // provider copies from pinned memory without staging); the last batch may be partial and takes a prefix.
        var batch = Math.Max(1, Math.Min(model.TileBatch, origins.Count));
        var tiles = GC.AllocateUninitializedArray<float>(batch * tileVoxels, pinned: true);

        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        for (var first = 0; first < origins.Count; first += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(batch, origins.Count - first);
            for (var b = 0; b < count; b++)
            {
                var (x0, y0, z0) = origins[first + b];
                Fill(tiles.AsSpan(b * tileVoxels, tileVoxels), volume, sizeX, sizeY, sizeZ, x0, y0, z0, tx, ty, tz, padValue);
            }
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tiles.AsMemory(0, count * tileVoxels), [count, 1, tz, ty, tx]);
            using var outputs = model.Session.Run(runOptions, [m.Input.TensorName], [input], [m.Output.TensorName]);
            var output = outputs[0].GetTensorDataAsSpan<float>();
            if (output.Length != count * channels * tileVoxels)
                throw new NonFiniteOutputException($"the model returned {output.Length} values for {count} tile(s), expected {count} × {channels} × {tileVoxels}");
            for (var i = 0; i < output.Length; i++)
            {
                if (!float.IsFinite(output[i]))
                {
                    var (x0, y0, z0) = origins[first + (i / (channels * tileVoxels))];
                    throw new NonFiniteOutputException($"the model output {output[i]} at tile ({x0}, {y0}, {z0}), value {i % (channels * tileVoxels)}");
                }
            }
            // NCDHW: each tile's channels are one contiguous block of the output.
            for (var b = 0; b < count; b++)
            {
                var (x0, y0, z0) = origins[first + b];
                Blend(output.Slice(b * channels * tileVoxels, channels * tileVoxels), accum, weightSum, weights, m, sizeX, sizeY, sizeZ, x0, y0, z0, tx, ty, tz);
            }
        }
        for (var i = 0; i < voxels; i++)
        {
            var w = weightSum[i];
            for (var c = 0; c < classes; c++) accum[c][i] /= w;
        }
        return accum;
    }

    private static int Tile(int patch, int size, int divisor) => Math.Min(patch, (size + divisor - 1) / divisor * divisor);

    private static IEnumerable<int> Starts(int size, int tile, double overlap)
    {
        if (size <= tile)
        {
            yield return 0;
            yield break;
        }
        var step = Math.Max(1, (int)Math.Floor(tile * (1 - overlap)));
        var last = size - tile;
        for (var s = 0; s < last; s += step) yield return s;
        yield return last;
    }

    private static float[] GaussianWeights(int tx, int ty, int tz)
    {
        static float[] Axis(int n)
        {
            var sigma = 0.125 * n;
            var w = new float[n];
            for (var i = 0; i < n; i++)
            {
                var d = i - ((n - 1) / 2.0);
                w[i] = (float)Math.Exp(-d * d / (2 * sigma * sigma));
            }
            return w;
        }
        float[] wx = Axis(tx), wy = Axis(ty), wz = Axis(tz);
        var w = new float[tx * ty * tz];
        for (var z = 0; z < tz; z++)
        {
            for (var y = 0; y < ty; y++)
            {
                for (var x = 0; x < tx; x++) w[x + (tx * (y + (ty * z)))] = Math.Max(1e-3f, wx[x] * wy[y] * wz[z]);
            }
        }
        return w;
    }

    private static void Fill(Span<float> tile, float[] volume, int sx, int sy, int sz, int x0, int y0, int z0, int tx, int ty, int tz, float pad)
    {
        for (var z = 0; z < tz; z++)
        {
            for (var y = 0; y < ty; y++)
            {
                var o = tx * (y + (ty * z));
                int vz = z0 + z, vy = y0 + y;
                if (vz >= sz || vy >= sy)
                {
                    tile.Slice(o, tx).Fill(pad);
                    continue;
                }
                var inside = Math.Max(0, Math.Min(tx, sx - x0));
                volume.AsSpan(x0 + (sx * (vy + (sy * vz))), inside).CopyTo(tile.Slice(o, inside));
                if (inside < tx) tile.Slice(o + inside, tx - inside).Fill(pad);
            }
        }
    }

    private static void Blend(ReadOnlySpan<float> output, float[][] accum, float[] weightSum, float[] weights, ModelManifest m, int sx, int sy, int sz, int x0, int y0, int z0, int tx, int ty, int tz)
    {
        var n = tx * ty * tz;
        var softmax = m.Output.Activation == "softmax";
        var sigmoid = m.Output.Activation == "sigmoid";
        var channels = softmax ? m.Classes.Count + 1 : m.Classes.Count;
        for (var z = 0; z < tz && z0 + z < sz; z++)
        {
            for (var y = 0; y < ty && y0 + y < sy; y++)
            {
                for (var x = 0; x < tx && x0 + x < sx; x++)
                {
                    var t = x + (tx * (y + (ty * z)));
                    var v = x0 + x + (sx * (y0 + y + (sy * (z0 + z))));
                    var w = weights[t];
                    weightSum[v] += w;
                    var denominator = 1.0;
                    var max = 0f;
                    if (softmax)
                    {
                        max = float.NegativeInfinity;
                        for (var c = 0; c < channels; c++) max = Math.Max(max, output[(c * n) + t]);
                        denominator = 0;
                        for (var c = 0; c < channels; c++) denominator += Math.Exp(output[(c * n) + t] - max);
                    }
                    for (var k = 0; k < m.Classes.Count; k++)
                    {
                        var raw = output[(m.Classes[k].Channel * n) + t];
                        var p = sigmoid ? 1 / (1 + Math.Exp(-raw)) : softmax ? Math.Exp(raw - max) / denominator : raw;
                        accum[k][v] += (float)(p * w);
                    }
                }
            }
        }
    }
}
