using MedNode.Dicom.Imaging.Codecs;

namespace MedNode.Dicom.Imaging.Rendering;

/// <summary>The VOI LUT Function (0028,1056) of PS3.3 C.11.2.1.2.</summary>
public enum VoiLutFunction
{
    Linear,
    LinearExact,
    Sigmoid,
}

/// <summary>A VOI window: Window Center, Window Width and the function applied between them (PS3.3 C.11.2.1.2).</summary>
public sealed record VoiWindow(double Center, double Width, VoiLutFunction Function = VoiLutFunction.Linear)
{
    /// <summary>Parses a VOI LUT Function value (LINEAR, LINEAR_EXACT, SIGMOID); null when it is none of them.</summary>
    public static VoiLutFunction? ParseFunction(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "LINEAR" or "" or null => VoiLutFunction.Linear,
        "LINEAR_EXACT" => VoiLutFunction.LinearExact,
        "SIGMOID" => VoiLutFunction.Sigmoid,
        _ => null,
    };
}

/// <summary>An 8-bit image ready to encode: grey (1 channel) or RGB (3 channels, interleaved), rows top to bottom.</summary>
public sealed record RenderedImage(int Width, int Height, int Channels, byte[] Pixels);

/// <summary>
/// Renders one frame to 8-bit presentation values: for monochrome images the Modality LUT (Rescale Slope/Intercept, PS3.3 C.11.1),
/// then the VOI window (the one asked for, else the first Window Center/Width of the data set, else the frame's min–max), then
/// MONOCHROME1 inversion (PS3.3 C.7.6.3.1.2); colour images (RGB, YBR_FULL) are converted to RGB. Compressed frames are decoded
/// through <see cref="DicomCodecRegistry"/>. The Modality LUT Sequence replaces Rescale Slope/Intercept (PS3.3 C.11.1); the
/// first VOI LUT Sequence item is used when neither a window is asked for nor the data set has one (PS3.3 C.11.2); PALETTE
/// COLOR is mapped through the Red, Green and Blue Palette Color Lookup Tables (PS3.3 C.7.6.3.1.5). Not handled: segmented
/// palettes, the Presentation LUT, and presentation states.
/// </summary>
public static class DicomRenderer
{
    public static RenderedImage Render(DicomDataset ds, DicomTransferSyntax transferSyntax, int frame, VoiWindow? window = null, DicomCodecRegistry? codecs = null)
    {
        var pixels = DicomPixelData.Create(ds) ?? throw new NotSupportedException("the instance has no pixel data");
        if (pixels.Tag != DicomPixelData.PixelDataTag) throw new NotSupportedException("float pixel data is not rendered");
        if (pixels.FrameProblem is { } problem) throw new NotSupportedException(problem);
        var info = pixels.Info;
        byte[] bytes;
        if (pixels.IsEncapsulated)
        {
            var decoded = (codecs ?? DicomCodecRegistry.Default).Decode(transferSyntax.Uid, pixels.GetEncapsulatedFrame(frame), info);
            bytes = decoded.Data;
            info = info with { PhotometricInterpretation = decoded.PhotometricInterpretation, PlanarConfiguration = decoded.PlanarConfiguration };
        }
        else
        {
            bytes = pixels.GetNativeFrame(frame);
        }
        return info.PhotometricInterpretation switch
        {
            "MONOCHROME1" or "MONOCHROME2" when info.SamplesPerPixel == 1 => RenderMonochrome(ds, pixels, bytes, info, window),
            "PALETTE COLOR" when info.SamplesPerPixel == 1 => RenderPalette(ds, pixels, bytes, info),
            "RGB" or "YBR_FULL" when info.SamplesPerPixel == 3 && info.BitsAllocated == 8 => RenderColour(bytes, info),
            var p => throw new NotSupportedException($"Photometric Interpretation {p} with {info.SamplesPerPixel} samples is not rendered"),
        };
    }

    /// <summary>The window a data set asks for: its first Window Center/Width and VOI LUT Function (PS3.3 C.11.2), or null.</summary>
    public static VoiWindow? DatasetWindow(DicomDataset ds)
    {
        var centers = ds.GetDoubles(DicomTags.WindowCenter);
        var widths = ds.GetDoubles(DicomTags.WindowWidth);
        if (centers.Length == 0 || widths.Length == 0 || !double.IsFinite(centers[0]) || !(widths[0] > 0)) return null;
        var function = VoiWindow.ParseFunction(ds.GetString(DicomTags.VOILUTFunction)) ?? VoiLutFunction.Linear;
        return new VoiWindow(centers[0], widths[0], function);
    }

    private static RenderedImage RenderMonochrome(DicomDataset ds, DicomPixelData pixels, byte[] frame, FrameInfo info, VoiWindow? window)
    {
        var values = ModalityValues(ds, pixels, frame, info);
        var w = window ?? DatasetWindow(ds);
        var voiLut = w == null ? DicomLut.FromSequence(ds, DicomTags.VOILUTSequence, info.IsSigned) : null;
        w ??= MinMaxWindow(values);
        bool invert = info.PhotometricInterpretation == "MONOCHROME1";
        var output = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double y = voiLut != null
                ? voiLut[(int)Math.Round(values[i], MidpointRounding.AwayFromZero)] * 255.0 / voiLut.MaxOutput
                : Apply(w, values[i]);
            byte b = (byte)Math.Clamp((int)Math.Round(y, MidpointRounding.AwayFromZero), 0, 255);
            output[i] = invert ? (byte)(255 - b) : b;
        }
        return new RenderedImage(info.Columns, info.Rows, 1, output);
    }

    /// <summary>The Modality LUT output (PS3.3 C.11.1): through the Modality LUT Sequence when present, else Rescale Slope/Intercept.</summary>
    private static double[] ModalityValues(DicomDataset ds, DicomPixelData pixels, byte[] frame, FrameInfo info)
    {
        if (DicomLut.FromSequence(ds, DicomTags.ModalityLUTSequence, info.IsSigned) is not { } lut) return pixels.GetModalityValues(frame);
        var stored = pixels.GetStoredValues(frame);
        var values = new double[stored.Length];
        for (int i = 0; i < stored.Length; i++) values[i] = lut[stored[i]];
        return values;
    }

    /// <summary>PALETTE COLOR to RGB (PS3.3 C.7.6.3.1.5): each stored value indexes the three palette LUTs, scaled to 8 bits.</summary>
    private static RenderedImage RenderPalette(DicomDataset ds, DicomPixelData pixels, byte[] frame, FrameInfo info)
    {
        if (ds.Contains(DicomTags.SegmentedRedPaletteColorLookupTableData))
            throw new NotSupportedException("segmented palette color lookup tables are not rendered");
        var luts = new[]
        {
            DicomLut.Read(ds, DicomTags.RedPaletteColorLookupTableDescriptor, DicomTags.RedPaletteColorLookupTableData, info.IsSigned),
            DicomLut.Read(ds, DicomTags.GreenPaletteColorLookupTableDescriptor, DicomTags.GreenPaletteColorLookupTableData, info.IsSigned),
            DicomLut.Read(ds, DicomTags.BluePaletteColorLookupTableDescriptor, DicomTags.BluePaletteColorLookupTableData, info.IsSigned),
        };
        if (luts.Any(l => l == null)) throw new NotSupportedException("PALETTE COLOR without Red, Green and Blue Palette Color Lookup Table Data");
        var stored = pixels.GetStoredValues(frame);
        var rgb = new byte[stored.Length * 3];
        for (int i = 0; i < stored.Length; i++)
            for (int c = 0; c < 3; c++)
                rgb[(3 * i) + c] = (byte)Math.Round(luts[c]![stored[i]] * 255.0 / luts[c]!.MaxOutput, MidpointRounding.AwayFromZero);
        return new RenderedImage(info.Columns, info.Rows, 3, rgb);
    }

    private static VoiWindow MinMaxWindow(double[] values)
    {
        if (values.Length == 0) return new VoiWindow(0, 1);
        double min = values.Min(), max = values.Max();
        return new VoiWindow((min + max) / 2, Math.Max(1, max - min), VoiLutFunction.LinearExact);
    }

    /// <summary>One value through the VOI LUT function to the output range 0..255 (PS3.3 C.11.2.1.2.1, C.11.2.1.3.1, C.11.2.1.3.2).</summary>
    public static double Apply(VoiWindow w, double x)
    {
        const double yMax = 255;
        switch (w.Function)
        {
            case VoiLutFunction.Sigmoid:
                return yMax / (1 + Math.Exp(-4 * (x - w.Center) / w.Width));
            case VoiLutFunction.LinearExact:
                if (x <= w.Center - (w.Width / 2)) return 0;
                if (x > w.Center + (w.Width / 2)) return yMax;
                return (((x - w.Center) / w.Width) + 0.5) * yMax;
            default:
                double width = Math.Max(1, w.Width);
                if (x <= w.Center - 0.5 - ((width - 1) / 2)) return 0;
                if (x > w.Center - 0.5 + ((width - 1) / 2)) return yMax;
                return width <= 1 ? yMax : (((x - (w.Center - 0.5)) / (width - 1)) + 0.5) * yMax;
        }
    }

    private static RenderedImage RenderColour(byte[] frame, FrameInfo info)
    {
        int n = info.Rows * info.Columns;
        if (frame.Length < n * 3) throw new DicomValueException($"colour frame holds {frame.Length} bytes, fewer than {n * 3}");
        var rgb = new byte[n * 3];
        bool planar = info.PlanarConfiguration == 1;
        bool ybr = info.PhotometricInterpretation == "YBR_FULL";
        for (int i = 0; i < n; i++)
        {
            int a = planar ? frame[i] : frame[3 * i];
            int b = planar ? frame[n + i] : frame[(3 * i) + 1];
            int c = planar ? frame[(2 * n) + i] : frame[(3 * i) + 2];
            if (ybr)
            {
                // PS3.3 C.7.6.3.1.2: YBR_FULL to RGB (ITU-R BT.601 full range).
                double y = a, cb = b - 128, cr = c - 128;
                (a, b, c) = (Clamp(y + (1.402 * cr)), Clamp(y - (0.344136 * cb) - (0.714136 * cr)), Clamp(y + (1.772 * cb)));
            }
            rgb[3 * i] = (byte)a;
            rgb[(3 * i) + 1] = (byte)b;
            rgb[(3 * i) + 2] = (byte)c;
        }
        return new RenderedImage(info.Columns, info.Rows, 3, rgb);
    }

    private static int Clamp(double v) => Math.Clamp((int)Math.Round(v), 0, 255);

    /// <summary>
    /// The source region of PS3.18 §8.3.5.1.3 (viewport=vw,vh,sx,sy,sw,sh): columns sx..sx+|sw|−1 and rows sy..sy+|sh|−1, mirrored
    /// left to right when <paramref name="sw"/> is negative and top to bottom when <paramref name="sh"/> is negative.
    /// </summary>
    public static RenderedImage Crop(RenderedImage image, int sx, int sy, int sw, int sh)
    {
        int w = Math.Abs(sw), h = Math.Abs(sh), ch = image.Channels;
        if (sx < 0 || sy < 0 || w == 0 || h == 0 || (long)sx + w > image.Width || (long)sy + h > image.Height)
            throw new ArgumentOutOfRangeException(nameof(sx), $"the source region {sx},{sy},{sw},{sh} is not inside the {image.Width}×{image.Height} image");
        var output = new byte[w * h * ch];
        for (int y = 0; y < h; y++)
        {
            int from = sy + (sh < 0 ? h - 1 - y : y);
            for (int x = 0; x < w; x++)
            {
                int fromX = sx + (sw < 0 ? w - 1 - x : x);
                Array.Copy(image.Pixels, ((from * image.Width) + fromX) * ch, output, ((y * w) + x) * ch, ch);
            }
        }
        return new RenderedImage(w, h, ch, output);
    }

    /// <summary>
    /// Scales the image to fit inside <paramref name="maxWidth"/> × <paramref name="maxHeight"/> keeping its aspect ratio: area
    /// averaging when shrinking, nearest neighbour when enlarging.
    /// </summary>
    public static RenderedImage Fit(RenderedImage image, int maxWidth, int maxHeight)
    {
        double scale = Math.Min((double)maxWidth / image.Width, (double)maxHeight / image.Height);
        int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
        if (w == image.Width && h == image.Height) return image;
        int ch = image.Channels;
        var output = new byte[w * h * ch];
        var sums = new double[ch];
        for (int y = 0; y < h; y++)
        {
            int y0 = y * image.Height / h, y1 = Math.Max(y0 + 1, (y + 1) * image.Height / h);
            for (int x = 0; x < w; x++)
            {
                int x0 = x * image.Width / w, x1 = Math.Max(x0 + 1, (x + 1) * image.Width / w);
                Array.Clear(sums);
                for (int sy = y0; sy < y1; sy++)
                    for (int sx = x0; sx < x1; sx++)
                        for (int c = 0; c < ch; c++) sums[c] += image.Pixels[(((sy * image.Width) + sx) * ch) + c];
                int count = (y1 - y0) * (x1 - x0);
                for (int c = 0; c < ch; c++) output[(((y * w) + x) * ch) + c] = (byte)Math.Round(sums[c] / count);
            }
        }
        return new RenderedImage(w, h, ch, output);
    }
}
