using System.Buffers.Binary;
using System.IO.Compression;

namespace MedNode.Core.Upload;

/// <summary>A decoded raster: 8 or 16 bits per sample, 1 (grey) or 3 (RGB) samples per pixel, row-major, interleaved.</summary>
public sealed record Raster(int Width, int Height, int Samples, int BitsPerSample, byte[] Pixels);

/// <summary>
/// A PNG decoder (ISO/IEC 15948, W3C PNG 2nd edition): greyscale, RGB, grey+alpha and RGBA at 8 or 16 bits, palette at
/// 8 bits, non-interlaced; alpha is dropped. Limits are checked before allocating.
/// </summary>
public static class PngDecoder
{
    public const long MaxPixels = 1L << 28;

    public static Raster Decode(Stream input)
    {
        Span<byte> sig = stackalloc byte[8];
        input.ReadExactly(sig);
        if (!sig.SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })) throw new UploadRejectedException("not a PNG file", unsupportedMediaType: true);
        int width = 0, height = 0, depth = 0, colour = -1, interlace = 0;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        Span<byte> header = stackalloc byte[8];
        while (true)
        {
            if (input.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8) throw new UploadRejectedException("the PNG file is truncated (no IEND chunk)");
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = System.Text.Encoding.ASCII.GetString(header[4..]);
            if (length > 1 << 30) throw new UploadRejectedException($"the PNG chunk {type} is too long");
            var data = new byte[length];
            if (input.ReadAtLeast(data, (int)length, throwOnEndOfStream: false) < length) throw new UploadRejectedException("the PNG file is truncated");
            input.ReadExactly(header[..4]); // CRC (zlib's Adler-32 and the filters catch corruption of image data)
            switch (type)
            {
                case "IHDR":
                    if (length != 13) throw new UploadRejectedException("the PNG IHDR chunk is malformed");
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4));
                    depth = data[8];
                    colour = data[9];
                    interlace = data[12];
                    if (width <= 0 || height <= 0 || (long)width * height > MaxPixels) throw new UploadRejectedException($"the PNG image size {width}x{height} is not supported");
                    break;
                case "PLTE":
                    palette = data;
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    return Unfilter(width, height, depth, colour, interlace, palette, idat.ToArray());
            }
        }
    }

    private static Raster Unfilter(int width, int height, int depth, int colour, int interlace, byte[]? palette, byte[] compressed)
    {
        if (colour < 0) throw new UploadRejectedException("the PNG file has no IHDR chunk");
        if (interlace != 0) throw new UploadRejectedException("interlaced PNG is not supported");
        var channels = colour switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new UploadRejectedException($"PNG colour type {colour} is not valid") };
        if (depth is not (8 or 16) || (colour == 3 && depth != 8)) throw new UploadRejectedException($"PNG bit depth {depth} is not supported (8 or 16)");
        var bpp = channels * depth / 8;
        var stride = width * bpp;
        var raw = new byte[(long)(stride + 1) * height];
        using (var z = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            if (z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false) < raw.Length) throw new UploadRejectedException("the PNG image data is truncated");
        }
        var current = new byte[stride];
        var previous = new byte[stride];
        var samples = colour is 2 or 6 || (colour == 3) ? 3 : 1;
        var outBytes = depth / 8;
        var pixels = new byte[(long)width * height * samples * outBytes];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            Array.Copy(raw, (y * (stride + 1)) + 1, current, 0, stride);
            for (var x = 0; x < stride; x++)
            {
                int a = x >= bpp ? current[x - bpp] : 0, b = previous[x], c = x >= bpp ? previous[x - bpp] : 0;
                current[x] = (byte)(current[x] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new UploadRejectedException($"PNG filter type {filter} is not valid"),
                });
            }
            for (var x = 0; x < width; x++)
            {
                var o = ((y * width) + x) * samples * outBytes;
                if (colour == 3)
                {
                    var index = current[x];
                    if (palette == null || (index * 3) + 2 >= palette.Length) throw new UploadRejectedException("a PNG palette index is out of range");
                    pixels[o] = palette[index * 3];
                    pixels[o + 1] = palette[(index * 3) + 1];
                    pixels[o + 2] = palette[(index * 3) + 2];
                }
                else
                {
                    // Copy the colour samples, drop alpha; 16-bit samples stay big-endian here and are swapped below.
                    Array.Copy(current, x * bpp, pixels, o, samples * outBytes);
                }
            }
            (previous, current) = (current, previous);
        }
        if (outBytes == 2)
            for (var i = 0; i < pixels.Length; i += 2) (pixels[i], pixels[i + 1]) = (pixels[i + 1], pixels[i]);
        return new Raster(width, height, samples, depth, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
