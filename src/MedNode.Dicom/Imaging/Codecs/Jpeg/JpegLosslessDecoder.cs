using System.Buffers.Binary;

namespace MedNode.Dicom.Imaging.Codecs.Jpeg;

/// <summary>A decoded lossless JPEG image: component-interleaved samples, already shifted left by the point transform.</summary>
internal sealed record JpegLosslessImage(int Precision, int Width, int Height, int Components, int Predictor, int PointTransform, int[] Samples);

/// <summary>
/// Decoder for JPEG lossless, non-hierarchical, Huffman-coded images (ITU-T T.81 Annex H, process 14; SOF3): predictors
/// 1–7, point transform, restart intervals, interleaved and non-interleaved scans, precision 2–16.
/// </summary>
internal static class JpegLosslessDecoder
{
    private sealed class Frame
    {
        public int Precision, Width, Height;
        public byte[] ComponentIds = [];
        public int[][] Planes = [];
    }

    /// <summary>Decodes one image; the frame header must announce <paramref name="expectedWidth"/> × <paramref name="expectedHeight"/>
    /// × <paramref name="expectedComponents"/>, checked before any sample buffer is allocated.</summary>
    public static JpegLosslessImage Decode(ReadOnlySpan<byte> data, int expectedWidth, int expectedHeight, int expectedComponents)
    {
        var pos = 0;
        while (pos + 1 < data.Length && !(data[pos] == 0xFF && data[pos + 1] == 0xD8)) pos++;
        if (pos + 1 >= data.Length) throw new DicomCodecException("no JPEG SOI marker (T.81 B.2.1)");
        pos += 2;
        var dc = new JpegHuffmanTable?[4];
        Frame? frame = null;
        var restartInterval = 0;
        int predictor = 0, pointTransform = 0;
        while (pos < data.Length)
        {
            if (data[pos] != 0xFF) { pos++; continue; }
            var marker = data[pos + 1 < data.Length ? pos + 1 : pos];
            pos += 2;
            if (marker is 0xFF or 0x00 || marker is >= 0xD0 and <= 0xD7) { if (marker == 0xFF) pos--; continue; }
            if (marker == 0xD9) break;
            if (pos + 2 > data.Length) throw new DicomCodecException("JPEG segment length truncated");
            var length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos));
            if (length < 2 || pos + length > data.Length) throw new DicomCodecException($"JPEG segment FF{marker:X2} length {length} exceeds the data");
            var segment = data.Slice(pos + 2, length - 2);
            switch (marker)
            {
                case 0xC3:
                    frame = ReadFrame(segment, expectedWidth, expectedHeight, expectedComponents);
                    break;
                case 0xC0 or 0xC1 or 0xC2:
                    throw new DicomCodecException($"JPEG SOF{marker - 0xC0} is a DCT process, not lossless (process 14 needs SOF3)");
                case 0xC5 or 0xC6 or 0xC7 or >= 0xC9 and <= 0xCB or >= 0xCD and <= 0xCF:
                    throw new DicomCodecException($"JPEG SOF marker FF{marker:X2} (hierarchical or arithmetic coding) is not supported");
                case 0xC4:
                    ReadHuffmanTables(segment, dc);
                    break;
                case 0xDD:
                    if (segment.Length < 2) throw new DicomCodecException("DRI segment too short");
                    restartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    break;
                case 0xDA:
                    if (frame == null) throw new DicomCodecException("JPEG SOS before SOF3");
                    pos = DecodeScan(data, pos + length, segment, frame, dc, restartInterval, out predictor, out pointTransform);
                    continue;
            }
            pos += length;
        }
        if (frame == null) throw new DicomCodecException("JPEG data has no SOF3 frame header");
        var n = frame.ComponentIds.Length;
        var pixels = frame.Width * frame.Height;
        var samples = new int[pixels * n];
        for (var c = 0; c < n; c++)
        {
            var plane = frame.Planes[c];
            for (var i = 0; i < pixels; i++) samples[i * n + c] = plane[i];
        }
        return new JpegLosslessImage(frame.Precision, frame.Width, frame.Height, n, predictor, pointTransform, samples);
    }

    private static Frame ReadFrame(ReadOnlySpan<byte> s, int expectedWidth, int expectedHeight, int expectedComponents)
    {
        if (s.Length < 6) throw new DicomCodecException("SOF3 segment too short");
        var frame = new Frame { Precision = s[0], Height = BinaryPrimitives.ReadUInt16BigEndian(s.Slice(1)), Width = BinaryPrimitives.ReadUInt16BigEndian(s.Slice(3)) };
        int nf = s[5];
        if (frame.Precision is < 2 or > 16) throw new DicomCodecException($"JPEG lossless precision {frame.Precision} outside 2–16 (T.81 B.2.2)");
        if (frame.Height == 0) throw new DicomCodecException("JPEG frame with 0 lines (DNL) is not supported");
        if (frame.Width == 0 || nf is < 1 or > 4 || s.Length < 6 + 3 * nf) throw new DicomCodecException("invalid SOF3 segment");
        if (frame.Width != expectedWidth || frame.Height != expectedHeight || nf != expectedComponents)
            throw new DicomCodecException($"JPEG frame is {frame.Width}×{frame.Height}×{nf}; the data set says Columns {expectedWidth}, Rows {expectedHeight}, Samples per Pixel {expectedComponents}");
        frame.ComponentIds = new byte[nf];
        frame.Planes = new int[nf][];
        for (var i = 0; i < nf; i++)
        {
            frame.ComponentIds[i] = s[6 + 3 * i];
            if (s[7 + 3 * i] != 0x11) throw new DicomCodecException("JPEG lossless with sampling factors other than 1×1 is not supported");
            frame.Planes[i] = new int[checked(frame.Width * frame.Height)];
        }
        return frame;
    }

    private static void ReadHuffmanTables(ReadOnlySpan<byte> s, JpegHuffmanTable?[] dc)
    {
        var p = 0;
        while (p < s.Length)
        {
            if (p + 17 > s.Length) throw new DicomCodecException("DHT segment truncated");
            var tc = s[p] >> 4;
            var th = s[p] & 0x0F;
            var bits = s.Slice(p + 1, 16);
            var count = 0;
            foreach (var b in bits) count += b;
            if (p + 17 + count > s.Length || count > 256) throw new DicomCodecException("DHT segment truncated");
            if (th > 3) throw new DicomCodecException($"Huffman table destination {th} out of range");
            var table = new JpegHuffmanTable(bits, s.Slice(p + 17, count));
            if (tc == 0) dc[th] = table; // lossless uses the DC tables only (T.81 H.2.2)
            p += 17 + count;
        }
    }

    private static int DecodeScan(ReadOnlySpan<byte> data, int start, ReadOnlySpan<byte> sos, Frame frame, JpegHuffmanTable?[] dc,
        int restartInterval, out int predictor, out int pointTransform)
    {
        int ns = sos[0];
        if (ns < 1 || sos.Length < 1 + 2 * ns + 3) throw new DicomCodecException("invalid SOS segment");
        var planes = new int[ns][];
        var tables = new JpegHuffmanTable[ns];
        for (var i = 0; i < ns; i++)
        {
            var id = sos[1 + 2 * i];
            var index = Array.IndexOf(frame.ComponentIds, id);
            if (index < 0) throw new DicomCodecException($"SOS names component {id} that the frame does not define");
            planes[i] = frame.Planes[index];
            tables[i] = dc[sos[2 + 2 * i] >> 4] ?? throw new DicomCodecException("SOS selects an undefined Huffman table");
        }
        predictor = sos[1 + 2 * ns];
        pointTransform = sos[3 + 2 * ns] & 0x0F;
        if (predictor is < 1 or > 7) throw new DicomCodecException($"JPEG lossless predictor {predictor} outside 1–7 (T.81 Table H.1)");
        var width = frame.Width;
        var height = frame.Height;
        var initial = 1 << (frame.Precision - pointTransform - 1);
        var reader = new JpegBitReader(data, start);
        var mcu = 0;
        var firstLineOfInterval = 0;
        var restartAt = -1;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++, mcu++)
            {
                if (restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0)
                {
                    reader.Restart();
                    firstLineOfInterval = y;
                    restartAt = mcu;
                }
                var i = y * width + x;
                for (var c = 0; c < ns; c++)
                {
                    var plane = planes[c];
                    int prediction;
                    if (mcu == 0 || mcu == restartAt) prediction = initial;
                    else if (y == firstLineOfInterval) prediction = plane[i - 1];
                    else if (x == 0) prediction = plane[i - width];
                    else
                    {
                        int ra = plane[i - 1], rb = plane[i - width], rc = plane[i - width - 1];
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
                    plane[i] = (prediction + ReadDifference(ref reader, tables[c])) & 0xFFFF; // modulo 2^16 (T.81 H.1.2.1)
                }
            }
        }
        if (pointTransform > 0)
            foreach (var plane in planes)
                for (var i = 0; i < plane.Length; i++) plane[i] = (plane[i] << pointTransform) & 0xFFFF;
        // Continue after the entropy-coded segment: find the next marker that is not RSTm.
        var p = reader.Position;
        while (p + 1 < data.Length && !(data[p] == 0xFF && data[p + 1] is not 0x00 and not 0xFF and not (>= 0xD0 and <= 0xD7))) p++;
        return p;
    }

    /// <summary>Decodes the difference category SSSS and its additional bits (T.81 H.1.2.2, Table H.2; SSSS 16 means 32768).</summary>
    private static int ReadDifference(ref JpegBitReader reader, JpegHuffmanTable table)
    {
        var ssss = table.Decode(ref reader);
        if (ssss == 0) return 0;
        if (ssss == 16) return 32768;
        if (ssss > 16) throw new DicomCodecException($"invalid lossless difference category {ssss}");
        var v = reader.ReadBits(ssss);
        return v < (1 << (ssss - 1)) ? v - (1 << ssss) + 1 : v;
    }
}
