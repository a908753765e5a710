using System.Buffers.Binary;

namespace MedNode.Dicom.Imaging.Codecs;

/// <summary>
/// Reads and writes samples of native little-endian pixel data in containers of Bits Allocated (8, 16 or 32) bits, and the
/// planar/interleaved and sign conversions of PS3.3 C.7.6.3.1 that every codec shares.
/// </summary>
public static class PixelSamples
{
    /// <summary>Bytes per sample container: Bits Allocated / 8, for 8, 16 and 32.</summary>
    public static int BytesPerSample(FrameInfo info) => info.BitsAllocated switch
    {
        8 => 1,
        16 => 2,
        32 => 4,
        _ => throw new DicomCodecException($"Bits Allocated {info.BitsAllocated} is not supported by this codec (8, 16 or 32)"),
    };

    /// <summary>Samples of one frame: Rows × Columns × Samples per Pixel.</summary>
    public static int SampleCount(FrameInfo info) => checked(info.Rows * info.Columns * info.SamplesPerPixel);

    /// <summary>Reads every sample of a native frame as an integer, in stored order. Values keep the low Bits Stored bits,
    /// sign-extended when Pixel Representation is 1 (two's complement, PS3.5 §8.1.1), else masked.</summary>
    public static int[] Read(ReadOnlySpan<byte> native, FrameInfo info)
    {
        var bytes = BytesPerSample(info);
        var count = SampleCount(info);
        if (native.Length < (long)count * bytes)
            throw new DicomCodecException($"native frame has {native.Length} bytes, {(long)count * bytes} expected");
        var result = new int[count];
        var bits = Math.Clamp(info.BitsStored, 1, info.BitsAllocated);
        for (var i = 0; i < count; i++)
        {
            long raw = bytes switch
            {
                1 => native[i],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(native.Slice(i * 2)),
                _ => BinaryPrimitives.ReadUInt32LittleEndian(native.Slice(i * 4)),
            };
            result[i] = (int)Normalize(raw, bits, info.IsSigned);
        }
        return result;
    }

    /// <summary>Writes integer samples into containers of Bits Allocated bits (two's complement for negative values).</summary>
    public static byte[] Write(ReadOnlySpan<int> samples, FrameInfo info)
    {
        var bytes = BytesPerSample(info);
        var result = new byte[checked(samples.Length * bytes)];
        for (var i = 0; i < samples.Length; i++)
        {
            switch (bytes)
            {
                case 1: result[i] = (byte)samples[i]; break;
                case 2: BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(i * 2), (ushort)samples[i]); break;
                default: BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(i * 4), samples[i]); break;
            }
        }
        return result;
    }

    /// <summary>Packs 0/1 samples into bytes, first sample in the least significant bit (PS3.5 §8.1.1); the last byte is zero-padded.</summary>
    public static byte[] PackBits(ReadOnlySpan<int> samples)
    {
        var result = new byte[(samples.Length + 7) / 8];
        for (var i = 0; i < samples.Length; i++)
            if ((samples[i] & 1) != 0) result[i >> 3] |= (byte)(1 << (i & 7));
        return result;
    }

    /// <summary>Keeps the low <paramref name="bits"/> bits of a value, sign-extending them when <paramref name="signed"/>.</summary>
    public static long Normalize(long value, int bits, bool signed)
    {
        if (bits >= 32) return signed ? (int)value : (uint)value;
        var mask = (1L << bits) - 1;
        value &= mask;
        if (signed && (value & (1L << (bits - 1))) != 0) value -= 1L << bits;
        return value;
    }

    /// <summary>Converts colour-by-plane samples (Planar Configuration 1) to colour-by-pixel (0), or back when <paramref name="toPlanar"/>.</summary>
    public static int[] ChangePlanar(int[] samples, int pixels, int components, bool toPlanar)
    {
        if (components == 1) return samples;
        var result = new int[samples.Length];
        for (var c = 0; c < components; c++)
            for (var i = 0; i < pixels; i++)
            {
                if (toPlanar) result[c * pixels + i] = samples[i * components + c];
                else result[i * components + c] = samples[c * pixels + i];
            }
        return result;
    }

    /// <summary>Photometric interpretation of colour data decoded by a JPEG process without colour conversion: a YBR_FULL_422 frame
    /// comes back with its chrominance upsampled, i.e. as YBR_FULL (PS3.3 C.7.6.3.1.2); GDCM reports the same.</summary>
    public static string UpsampledPhotometric(string photometric) => photometric == "YBR_FULL_422" ? "YBR_FULL" : photometric;
}
