using System.Buffers;
using JpegLibrary;

namespace MedNode.Dicom.Imaging.Rendering;

/// <summary>
/// Baseline JPEG (ISO/IEC 10918-1, 8-bit, Huffman, 4:4:4) through the managed JpegLibrary encoder, with a JFIF APP0 segment so
/// that decoders read three components as YCbCr. RGB input is converted to YCbCr (JFIF / BT.601 full range).
/// </summary>
public static class JpegImageEncoder
{
    /// <summary>Encodes an 8-bit image; <paramref name="quality"/> is 1..100 (IJG scaling of the Annex K tables).</summary>
    public static byte[] Encode(RenderedImage image, int quality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        var encoder = new JpegEncoder();
        encoder.SetQuantizationTable(JpegStandardQuantizationTable.ScaleByQuality(JpegStandardQuantizationTable.GetLuminanceTable(JpegElementPrecision.Precision8Bit, 0), quality));
        encoder.SetHuffmanTable(true, 0, JpegStandardHuffmanEncodingTable.GetLuminanceDCTable());
        encoder.SetHuffmanTable(false, 0, JpegStandardHuffmanEncodingTable.GetLuminanceACTable());
        encoder.AddComponent(0, 0, 0, 0, 1, 1);
        byte[] samples = image.Pixels;
        if (image.Channels == 3)
        {
            encoder.SetQuantizationTable(JpegStandardQuantizationTable.ScaleByQuality(JpegStandardQuantizationTable.GetChrominanceTable(JpegElementPrecision.Precision8Bit, 1), quality));
            encoder.SetHuffmanTable(true, 1, JpegStandardHuffmanEncodingTable.GetChrominanceDCTable());
            encoder.SetHuffmanTable(false, 1, JpegStandardHuffmanEncodingTable.GetChrominanceACTable());
            encoder.AddComponent(1, 1, 1, 1, 1, 1);
            encoder.AddComponent(2, 1, 1, 1, 1, 1);
            samples = ToYCbCr(image.Pixels);
        }
        encoder.SetInputReader(new InterleavedReader(image.Width, image.Height, image.Channels, samples));
        var output = new ArrayBufferWriter<byte>();
        encoder.SetOutput(output);
        encoder.Encode();
        return WithJfif(output.WrittenSpan);
    }

    private static byte[] ToYCbCr(byte[] rgb)
    {
        var result = new byte[rgb.Length];
        for (int i = 0; i < rgb.Length; i += 3)
        {
            double r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
            result[i] = Clamp((0.299 * r) + (0.587 * g) + (0.114 * b));
            result[i + 1] = Clamp(128 - (0.168736 * r) - (0.331264 * g) + (0.5 * b));
            result[i + 2] = Clamp(128 + (0.5 * r) - (0.418688 * g) - (0.081312 * b));
        }
        return result;
    }

    private static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);

    /// <summary>Inserts a JFIF 1.01 APP0 segment after SOI.</summary>
    private static byte[] WithJfif(ReadOnlySpan<byte> jpeg)
    {
        ReadOnlySpan<byte> app0 = [0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
        if (jpeg.Length < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new InvalidOperationException("the JPEG encoder wrote no SOI marker");
        var result = new byte[jpeg.Length + app0.Length];
        jpeg[..2].CopyTo(result);
        app0.CopyTo(result.AsSpan(2));
        jpeg[2..].CopyTo(result.AsSpan(2 + app0.Length));
        return result;
    }

    /// <summary>Feeds 8×8 blocks of interleaved 8-bit samples; blocks past the right or bottom edge repeat the edge samples.</summary>
    private sealed class InterleavedReader(int width, int height, int channels, byte[] samples) : JpegBlockInputReader
    {
        public override int Width => width;

        public override int Height => height;

        public override void ReadBlock(ref short blockRef, int componentIndex, int x, int y)
        {
            for (int dy = 0; dy < 8; dy++)
            {
                int sy = Math.Min(y + dy, height - 1);
                for (int dx = 0; dx < 8; dx++)
                {
                    int sx = Math.Min(x + dx, width - 1);
                    System.Runtime.CompilerServices.Unsafe.Add(ref blockRef, (dy * 8) + dx) = samples[(((sy * width) + sx) * channels) + componentIndex];
                }
            }
        }
    }
}
