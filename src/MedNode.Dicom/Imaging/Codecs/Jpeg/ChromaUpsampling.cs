namespace MedNode.Dicom.Imaging.Codecs.Jpeg;

/// <summary>
/// The "fancy" (triangular) chroma upsampling that libjpeg applies by default to 2h1v and 2h2v subsampled components
/// (jdsample.c h2v1_fancy_upsample / h2v2_fancy_upsample), which DCMTK and GDCM use. JpegLibrary replicates samples instead; the
/// replicated plane still holds every downsampled value, so it is rebuilt here and upsampled as libjpeg does, bringing the result
/// within the IDCT's one grey level of the reference decoders. Other factors (e.g. 4h1v) are replicated by libjpeg too.
/// </summary>
internal static class ChromaUpsampling
{
    /// <summary>Upsamples component <paramref name="component"/> of interleaved <paramref name="samples"/> in place; the component is
    /// subsampled by 2 horizontally and by <paramref name="fy"/> (1 or 2) vertically.</summary>
    public static void Fancy(int[] samples, int width, int height, int components, int component, int fy)
    {
        var dw = (width + 1) / 2;
        var dh = (height + fy - 1) / fy;
        if (dw < 2) return; // libjpeg's fancy upsampling needs two columns
        var plane = new int[dw * dh];
        for (var j = 0; j < dh; j++)
            for (var i = 0; i < dw; i++) plane[j * dw + i] = samples[((j * fy) * width + i * 2) * components + component];
        var row = new int[dw * 2];
        for (var y = 0; y < height; y++)
        {
            var j = y / fy;
            if (fy == 1) H2V1(plane.AsSpan(j * dw, dw), row);
            else
            {
                // The nearer neighbouring row: above for even output rows, below for odd; edge rows are replicated.
                var k = y % 2 == 0 ? Math.Max(j - 1, 0) : Math.Min(j + 1, dh - 1);
                H2V2(plane.AsSpan(j * dw, dw), plane.AsSpan(k * dw, dw), row);
            }
            for (var x = 0; x < width; x++) samples[(y * width + x) * components + component] = row[x];
        }
    }

    private static void H2V1(ReadOnlySpan<int> input, Span<int> output)
    {
        var n = input.Length;
        output[0] = input[0];
        output[1] = (input[0] * 3 + input[1] + 2) >> 2;
        for (var i = 1; i < n - 1; i++)
        {
            var v = input[i] * 3;
            output[2 * i] = (v + input[i - 1] + 1) >> 2;
            output[2 * i + 1] = (v + input[i + 1] + 2) >> 2;
        }
        output[2 * n - 2] = (input[n - 1] * 3 + input[n - 2] + 1) >> 2;
        output[2 * n - 1] = input[n - 1];
    }

    private static void H2V2(ReadOnlySpan<int> near, ReadOnlySpan<int> other, Span<int> output)
    {
        var n = near.Length;
        var thisSum = near[0] * 3 + other[0];
        var nextSum = near[1] * 3 + other[1];
        output[0] = (thisSum * 4 + 8) >> 4;
        output[1] = (thisSum * 3 + nextSum + 7) >> 4;
        var lastSum = thisSum;
        thisSum = nextSum;
        for (var i = 1; i < n - 1; i++)
        {
            nextSum = near[i + 1] * 3 + other[i + 1];
            output[2 * i] = (thisSum * 3 + lastSum + 8) >> 4;
            output[2 * i + 1] = (thisSum * 3 + nextSum + 7) >> 4;
            lastSum = thisSum;
            thisSum = nextSum;
        }
        output[2 * n - 2] = (thisSum * 3 + lastSum + 8) >> 4;
        output[2 * n - 1] = (thisSum * 4 + 7) >> 4;
    }
}
