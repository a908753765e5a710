using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MedNode.Dicom.Imaging.Rendering;

/// <summary>
/// A minimal PNG writer (RFC 2083 / ISO/IEC 15948): 8-bit greyscale or truecolour, one zlib IDAT stream with the Up filter on
/// every row. Uses only System.IO.Compression.
/// </summary>
public static class PngImageEncoder
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static byte[] Encode(RenderedImage image)
    {
        using var png = new MemoryStream();
        png.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        header[8] = 8;                                   // bit depth
        header[9] = (byte)(image.Channels == 3 ? 2 : 0); // colour type: truecolour or greyscale
        WriteChunk(png, "IHDR", header);

        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            int stride = image.Width * image.Channels;
            var row = new byte[stride + 1];
            for (int y = 0; y < image.Height; y++)
            {
                row[0] = (byte)(y == 0 ? 0 : 2); // filter None for the first row, Up after it
                var current = image.Pixels.AsSpan(y * stride, stride);
                if (y == 0) current.CopyTo(row.AsSpan(1));
                else
                {
                    var above = image.Pixels.AsSpan((y - 1) * stride, stride);
                    for (int i = 0; i < stride; i++) row[i + 1] = (byte)(current[i] - above[i]);
                }
                z.Write(row);
            }
        }
        WriteChunk(png, "IDAT", idat.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        uint crc = Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        s.Write(word);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
