using System.Buffers.Binary;

namespace MedNode.Dicom.Imaging.Codecs;

/// <summary>
/// RLE Lossless (1.2.840.10008.1.2.5), PS3.5 Annex G: each frame is split into byte segments, one per byte of each sample
/// (most significant byte first, sample by sample), each PackBits-compressed, behind a 64-byte header of segment offsets.
/// 8, 16 and 32 bits allocated; 1 or 3 samples per pixel. A frame split across fragments is passed concatenated.
/// </summary>
public sealed class RleCodec : IDicomCodec
{
    private const int HeaderLength = 64;
    private const int MaxSegments = 15;

    public string TransferSyntaxUid => DicomTransferSyntax.RLELossless.Uid;
    public bool CanDecode => true;
    public bool CanEncode => true;

    /// <summary>Decodes into the layout that <see cref="FrameInfo.PlanarConfiguration"/> states (PS3.5 G.2 leaves the
    /// decoded layout to the data set's Planar Configuration).</summary>
    public DecodedFrame Decode(ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        if (info.BitsAllocated == 1) return DecodeBitPacked(encoded, info);
        var bytesPerSample = PixelSamples.BytesPerSample(info);
        var samples = info.SamplesPerPixel;
        var segmentCount = bytesPerSample * samples;
        if (encoded.Length < HeaderLength) throw new DicomCodecException($"RLE frame of {encoded.Length} bytes is shorter than the 64-byte header (PS3.5 G.5)");
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(encoded);
        if (declared != segmentCount || declared > MaxSegments)
            throw new DicomCodecException($"RLE header declares {declared} segments, {segmentCount} expected for {samples} samples of {info.BitsAllocated} bits (PS3.5 G.5)");
        var offsets = new int[segmentCount + 1];
        for (var s = 0; s < segmentCount; s++)
        {
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(encoded.Slice(4 + s * 4));
            if (offset < HeaderLength || offset > encoded.Length || (s > 0 && offset < offsets[s - 1]))
                throw new DicomCodecException($"RLE segment {s + 1} offset {offset} is out of range");
            offsets[s] = (int)offset;
        }
        offsets[segmentCount] = encoded.Length;

        var pixels = info.Rows * info.Columns;
        var output = new byte[checked(pixels * segmentCount)];
        var plane = new byte[pixels];
        var planar = info.PlanarConfiguration == 1;
        for (var s = 0; s < segmentCount; s++)
        {
            DecodePackBits(encoded[offsets[s]..offsets[s + 1]], plane);
            var sample = s / bytesPerSample;
            var byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segments run from the most significant byte (G.2)
            for (var i = 0; i < pixels; i++)
            {
                var index = planar ? (sample * pixels) + i : (i * samples) + sample;
                output[index * bytesPerSample + byteInSample] = plane[i];
            }
        }
        return new DecodedFrame(output, info.PhotometricInterpretation, info.PlanarConfiguration);
    }

    /// <summary>1-bit frames (e.g. binary segmentations) are one segment holding the frame's packed bytes, ceil(Rows × Columns / 8)
    /// long, as pydicom and highdicom write them.</summary>
    private static DecodedFrame DecodeBitPacked(ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        if (encoded.Length < HeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(encoded) != 1)
            throw new DicomCodecException("1-bit RLE frame must have exactly one segment");
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(encoded.Slice(4));
        if (offset < HeaderLength || offset > encoded.Length) throw new DicomCodecException($"RLE segment 1 offset {offset} is out of range");
        var output = new byte[checked((int)info.FrameLength)];
        DecodePackBits(encoded[(int)offset..], output);
        return new DecodedFrame(output, info.PhotometricInterpretation, info.PlanarConfiguration);
    }

    public byte[] Encode(ReadOnlySpan<byte> native, FrameInfo info)
    {
        var bytesPerSample = PixelSamples.BytesPerSample(info);
        var samples = info.SamplesPerPixel;
        var segmentCount = bytesPerSample * samples;
        if (segmentCount > MaxSegments) throw new DicomCodecException($"RLE cannot hold {segmentCount} segments (at most 15, PS3.5 G.2)");
        var pixels = info.Rows * info.Columns;
        if (native.Length < (long)pixels * segmentCount) throw new DicomCodecException("native frame shorter than Rows × Columns × Samples × Bits Allocated");
        var planar = info.PlanarConfiguration == 1;
        using var body = new MemoryStream();
        var offsets = new int[segmentCount];
        var row = new byte[info.Columns];
        for (var s = 0; s < segmentCount; s++)
        {
            offsets[s] = HeaderLength + (int)body.Length;
            var sample = s / bytesPerSample;
            var byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
            for (var y = 0; y < info.Rows; y++)
            {
                for (var x = 0; x < info.Columns; x++)
                {
                    var i = y * info.Columns + x;
                    var index = planar ? (sample * pixels) + i : (i * samples) + sample;
                    row[x] = native[index * bytesPerSample + byteInSample];
                }
                EncodePackBits(row, body); // each row separately: runs do not cross rows (G.3.1)
            }
            if (body.Length % 2 != 0) body.WriteByte(0); // segments are an even number of bytes (G.3.1)
        }
        var result = new byte[HeaderLength + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(result, (uint)segmentCount);
        for (var s = 0; s < segmentCount; s++) BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4 + s * 4), (uint)offsets[s]);
        body.GetBuffer().AsSpan(0, (int)body.Length).CopyTo(result.AsSpan(HeaderLength));
        return result;
    }

    /// <summary>PackBits decoding (PS3.5 G.3.2). Extra output is ignored; a short segment leaves zeros.</summary>
    private static void DecodePackBits(ReadOnlySpan<byte> segment, Span<byte> output)
    {
        output.Clear();
        int i = 0, o = 0;
        while (i < segment.Length && o < output.Length)
        {
            var n = (sbyte)segment[i++];
            if (n >= 0)
            {
                var count = Math.Min(Math.Min(n + 1, segment.Length - i), output.Length - o);
                segment.Slice(i, count).CopyTo(output.Slice(o));
                i += n + 1;
                o += count;
            }
            else if (n != -128)
            {
                if (i >= segment.Length) break;
                var value = segment[i++];
                var count = Math.Min(1 - n, output.Length - o);
                output.Slice(o, count).Fill(value);
                o += count;
            }
        }
    }

    /// <summary>PackBits encoding of one row (PS3.5 G.3.1): replicate runs of 2–128 bytes as (1 − n, byte), literals of 1–128 as (n − 1, bytes).</summary>
    private static void EncodePackBits(ReadOnlySpan<byte> row, MemoryStream output)
    {
        var i = 0;
        while (i < row.Length)
        {
            var run = 1;
            while (i + run < row.Length && run < 128 && row[i + run] == row[i]) run++;
            if (run >= 2)
            {
                output.WriteByte((byte)(sbyte)(1 - run));
                output.WriteByte(row[i]);
                i += run;
                continue;
            }
            var start = i;
            var length = 0;
            while (i < row.Length && length < 128)
            {
                if (i + 1 < row.Length && row[i + 1] == row[i]) break;
                i++;
                length++;
            }
            if (length == 0) { i++; length = 1; }
            output.WriteByte((byte)(length - 1));
            output.Write(row.Slice(start, length));
        }
    }
}
