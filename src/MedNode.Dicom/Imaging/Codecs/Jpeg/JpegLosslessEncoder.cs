namespace MedNode.Dicom.Imaging.Codecs.Jpeg;

/// <summary>
/// Encoder for JPEG lossless process 14 (ITU-T T.81 Annex H; SOF3, Huffman): one interleaved scan, optional restart intervals of
/// whole rows, no point transform, and a Huffman table optimised for the image (T.81 K.2).
/// </summary>
internal static class JpegLosslessEncoder
{
    /// <summary>Encodes component-interleaved samples of <paramref name="precision"/> bits (their low bits are used).</summary>
    /// <param name="restartRows">When above 0, a restart interval (DRI, RSTm) every that many rows (T.81 H.1.1, B.2.4.4); the
    /// first row of each interval is predicted as the first row of the image (T.81 H.1.2.1).</param>
    public static byte[] Encode(int[] samples, int width, int height, int components, int precision, int predictor, int restartRows = 0)
    {
        if (restartRows < 0 || (long)restartRows * width > 65535) throw new ArgumentOutOfRangeException(nameof(restartRows), "restart interval must fit 16 bits (T.81 B.2.4.4)");
        if (precision is < 2 or > 16) throw new DicomCodecException($"JPEG lossless precision {precision} outside 2–16 (T.81 B.2.2)");
        if (predictor is < 1 or > 7) throw new ArgumentOutOfRangeException(nameof(predictor), "predictor 1–7 (T.81 Table H.1)");
        if (width is < 1 or > 65535 || height is < 1 or > 65535) throw new DicomCodecException("JPEG image dimensions must be 1–65535");
        var pixels = width * height;
        var mask = (1 << precision) - 1;
        var initial = 1 << (precision - 1);
        var categories = new byte[pixels * components];
        var differences = new int[pixels * components];
        var frequencies = new long[17];
        for (var c = 0; c < components; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var i = y * width + x;
                    int Sample(int index) => samples[index * components + c] & mask;
                    int prediction;
                    var firstLine = restartRows > 0 ? y - (y % restartRows) : 0;
                    if (y == firstLine && x == 0) prediction = initial;
                    else if (y == firstLine) prediction = Sample(i - 1);
                    else if (x == 0) prediction = Sample(i - width);
                    else
                    {
                        int ra = Sample(i - 1), rb = Sample(i - width), rc = Sample(i - width - 1);
                        prediction = predictor switch
                        {
                            1 => ra,
                            2 => rb,
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            _ => (ra + rb) >> 1,
                        };
                    }
                    var d = (Sample(i) - prediction) & 0xFFFF; // modulo 2^16 (T.81 H.1.2.1)
                    byte ssss;
                    if (d == 0x8000) ssss = 16;
                    else
                    {
                        if (d > 0x8000) d -= 0x10000;
                        ssss = (byte)(d == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(d)));
                    }
                    var k = i * components + c;
                    categories[k] = ssss;
                    differences[k] = d;
                    frequencies[ssss]++;
                }
            }
        }
        var table = JpegHuffmanTable.FromFrequencies(frequencies);
        using var output = new MemoryStream(pixels * components + 1024);
        output.Write([0xFF, 0xD8]);
        // SOF3 (T.81 B.2.2).
        WriteMarker(output, 0xC3, 6 + 3 * components);
        output.WriteByte((byte)precision);
        WriteUInt16(output, height);
        WriteUInt16(output, width);
        output.WriteByte((byte)components);
        for (var c = 0; c < components; c++) output.Write([(byte)(c + 1), 0x11, 0]);
        // DHT (T.81 B.2.4.2): one DC table, destination 0.
        var values = table.Values;
        WriteMarker(output, 0xC4, 1 + 16 + values.Length);
        output.WriteByte(0x00);
        output.Write(table.Bits);
        output.Write(values);
        if (restartRows > 0)
        {
            WriteMarker(output, 0xDD, 2); // DRI (T.81 B.2.4.4): Ri in MCUs, one MCU per pixel in an interleaved lossless scan
            WriteUInt16(output, restartRows * width);
        }
        // SOS (T.81 B.2.3): Ss = predictor, Se = 0, Ah = Al = 0.
        WriteMarker(output, 0xDA, 1 + 2 * components + 3);
        output.WriteByte((byte)components);
        for (var c = 0; c < components; c++) output.Write([(byte)(c + 1), 0x00]);
        output.Write([(byte)predictor, 0, 0]);
        var writer = new JpegBitWriter(output);
        var mcusPerInterval = restartRows * width;
        for (var k = 0; k < categories.Length; k++)
        {
            var mcu = k / components;
            if (mcusPerInterval > 0 && mcu > 0 && mcu % mcusPerInterval == 0 && k % components == 0)
            {
                writer.Flush();
                output.Write([0xFF, (byte)(0xD0 + ((mcu / mcusPerInterval - 1) & 7))]);
            }
            var ssss = categories[k];
            table.Encode(ref writer, ssss);
            if (ssss is > 0 and < 16)
            {
                var d = differences[k];
                writer.Write(d < 0 ? d - 1 : d, ssss); // negative: low bits of d − 1 (T.81 F.1.2.1.1)
            }
        }
        writer.Flush();
        output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    private static void WriteMarker(MemoryStream output, byte marker, int payloadLength)
    {
        output.WriteByte(0xFF);
        output.WriteByte(marker);
        WriteUInt16(output, payloadLength + 2);
    }

    private static void WriteUInt16(MemoryStream output, int value)
    {
        output.WriteByte((byte)(value >> 8));
        output.WriteByte((byte)value);
    }
}
