using System.Buffers.Binary;
using MedNode.Dicom.Buffers;

namespace MedNode.Dicom.Imaging;

/// <summary>
/// Frame access to Pixel Data (7FE0,0010), native or encapsulated (PS3.5 §8, §A.4), and to Float/Double Float Pixel Data.
/// A native frame is returned as stored (little endian); an encapsulated frame as its compressed bytes.
/// </summary>
public sealed class DicomPixelData
{
    public static readonly DicomTag PixelDataTag = new(0x7FE0, 0x0010);
    public static readonly DicomTag FloatPixelDataTag = new(0x7FE0, 0x0008);
    public static readonly DicomTag DoubleFloatPixelDataTag = new(0x7FE0, 0x0009);
    private static readonly DicomTag ExtendedOffsetTable = new(0x7FE0, 0x0001);
    private static readonly DicomTag ExtendedOffsetTableLengths = new(0x7FE0, 0x0002);

    private readonly DicomItem _item;
    private List<IByteBuffer[]>? _frames;

    private DicomPixelData(DicomDataset ds, DicomItem item, FrameInfo info, int frames)
    {
        Dataset = ds; _item = item; Info = info; NumberOfFrames = frames;
    }

    public DicomDataset Dataset { get; }
    public FrameInfo Info { get; }
    public int NumberOfFrames { get; }
    public bool IsEncapsulated => _item is DicomFragmentSequence;
    public DicomTag Tag => _item.Tag;

    /// <summary>The pixel data of a data set, or null when it has none.</summary>
    public static DicomPixelData? Create(DicomDataset ds)
    {
        var item = ds[PixelDataTag] ?? ds[FloatPixelDataTag] ?? ds[DoubleFloatPixelDataTag];
        if (item == null) return null;
        int bitsAllocated = ds.GetInt(new DicomTag(0x0028, 0x0100), item.Tag == FloatPixelDataTag ? 32 : item.Tag == DoubleFloatPixelDataTag ? 64 : 16);
        var info = new FrameInfo(
            ds.GetInt(new DicomTag(0x0028, 0x0010), 0),
            ds.GetInt(new DicomTag(0x0028, 0x0011), 0),
            ds.GetInt(new DicomTag(0x0028, 0x0002), 1),
            bitsAllocated,
            ds.GetInt(new DicomTag(0x0028, 0x0101), bitsAllocated),
            ds.GetInt(new DicomTag(0x0028, 0x0102), bitsAllocated - 1),
            ds.GetInt(new DicomTag(0x0028, 0x0103), 0),
            ds.GetInt(new DicomTag(0x0028, 0x0006), 0),
            ds.GetString(new DicomTag(0x0028, 0x0004)) ?? "MONOCHROME2");
        int frames = Math.Max(1, ds.GetInt(new DicomTag(0x0028, 0x0008), 1));
        return new DicomPixelData(ds, item, info, frames);
    }

    /// <summary>The transfer-syntax-independent byte length of all native frames (PS3.5 §8.1.1: bit-packed for 1-bit data).</summary>
    public long NativeLength => (Info.FrameLength * 8 * NumberOfFrames / Math.Max(1, Info.FrameLength * 8 / ((long)Info.Rows * Info.Columns * Samples * Info.BitsAllocated)) + 7) / 8;

    private int Samples => Info.PhotometricInterpretation is "YBR_FULL_422" or "YBR_PARTIAL_422" && Info.SamplesPerPixel == 3 ? 2 : Info.SamplesPerPixel;

    /// <summary>The bits of one native frame.</summary>
    private long FrameBits => (long)Info.Rows * Info.Columns * Samples * Info.BitsAllocated;

    /// <summary>Why frames cannot be cut from this pixel data, or null when they can.</summary>
    public string? FrameProblem =>
        Info.Rows <= 0 || Info.Columns <= 0 ? "pixel data without valid Rows and Columns"
        : Info.BitsAllocated is not (1 or 8 or 16 or 32 or 64) ? $"Bits Allocated {Info.BitsAllocated} is not supported"
        : null;

    /// <summary>One native frame's bytes, as stored (for 1-bit data, repacked to start at bit 0).</summary>
    public byte[] GetNativeFrame(int frame)
    {
        if (_item is not DicomElement e) throw new InvalidOperationException("pixel data is encapsulated; decode it with a codec");
        if (FrameProblem is { } problem) throw new DicomValueException(problem);
        CheckFrame(frame);
        long bitStart = FrameBits * frame;
        int length = checked((int)((FrameBits + 7) / 8));
        var result = new byte[length];
        if (bitStart % 8 == 0)
        {
            long start = bitStart / 8;
            long available = Math.Max(0, Math.Min(length, e.Length - start));
            if (available < length) throw new DicomValueException($"pixel data holds {e.Length} bytes, too few for frame {frame}");
            e.Buffer.CopyTo(start, result.AsSpan(0, (int)available));
            return result;
        }
        // 1-bit frames that do not start on a byte boundary (PS3.5 §8.1.1).
        long firstByte = bitStart / 8;
        int shift = (int)(bitStart % 8);
        int need = (int)Math.Min(length + 1, e.Length - firstByte);
        var src = new byte[length + 1];
        e.Buffer.CopyTo(firstByte, src.AsSpan(0, need));
        for (int i = 0; i < length; i++) result[i] = (byte)((src[i] >> shift) | (src[i + 1] << (8 - shift)));
        int tail = (int)(FrameBits % 8);
        if (tail != 0) result[^1] &= (byte)((1 << tail) - 1);
        return result;
    }

    /// <summary>The bytes of all native frames as stored, truncated to the frames' size (no trailing pad byte).</summary>
    public byte[] GetAllNativeBytes()
    {
        if (_item is not DicomElement e) throw new InvalidOperationException("pixel data is encapsulated");
        long bits = FrameBits * NumberOfFrames;
        long len = bits > 0 ? Math.Min((bits + 7) / 8, e.Length) : e.Length;
        var r = new byte[len];
        e.Buffer.CopyTo(0, r);
        return r;
    }

    /// <summary>One encapsulated frame: its fragments concatenated (PS3.5 §A.4).</summary>
    public byte[] GetEncapsulatedFrame(int frame)
    {
        CheckFrame(frame);
        var frags = FrameFragments()[frame];
        long total = frags.Sum(f => f.Length);
        var result = new byte[total];
        long at = 0;
        foreach (var f in frags) { f.CopyTo(0, result.AsSpan((int)at, (int)f.Length)); at += f.Length; }
        return result;
    }

    /// <summary>The frame as stored: native bytes, or compressed bytes for encapsulated data.</summary>
    public byte[] GetFrame(int frame) => IsEncapsulated ? GetEncapsulatedFrame(frame) : GetNativeFrame(frame);

    private void CheckFrame(int frame)
    {
        if (frame < 0 || frame >= NumberOfFrames) throw new ArgumentOutOfRangeException(nameof(frame), $"frame {frame} is outside 0..{NumberOfFrames - 1}");
    }

    /// <summary>Splits fragments into frames: Extended Offset Table, Basic Offset Table, one fragment per frame, or codestream markers.</summary>
    private List<IByteBuffer[]> FrameFragments()
    {
        if (_frames != null) return _frames;
        var seq = (DicomFragmentSequence)_item;
        var frags = seq.Fragments;
        var result = new List<IByteBuffer[]>();
        var starts = new List<long>();
        long offset = 0;
        foreach (var f in frags) { starts.Add(offset); offset += 8 + f.Length; }

        ulong[]? eot = ReadExtendedOffsets();
        uint[] bot = seq.GetBasicOffsets();
        IEnumerable<long>? frameOffsets = eot != null && eot.Length == NumberOfFrames ? eot.Select(x => (long)x)
            : bot.Length == NumberOfFrames && NumberOfFrames > 1 ? bot.Select(x => (long)x) : null;

        if (NumberOfFrames == 1)
        {
            result.Add([.. frags]);
        }
        else if (frameOffsets != null)
        {
            var offs = frameOffsets.ToList();
            for (int i = 0; i < offs.Count; i++)
            {
                long from = offs[i], to = i + 1 < offs.Count ? offs[i + 1] : long.MaxValue;
                result.Add(frags.Where((f, k) => starts[k] >= from && starts[k] < to).ToArray());
            }
        }
        else if (frags.Count == NumberOfFrames)
        {
            result.AddRange(frags.Select(f => new[] { f }));
        }
        else
        {
            // No offsets and more fragments than frames: a new frame starts at each fragment that begins a codestream.
            var current = new List<IByteBuffer>();
            foreach (var f in frags)
            {
                if (current.Count > 0 && StartsCodestream(f)) { result.Add([.. current]); current.Clear(); }
                current.Add(f);
            }
            if (current.Count > 0) result.Add([.. current]);
        }
        if (result.Count < NumberOfFrames)
            throw new DicomValueException($"encapsulated pixel data has {result.Count} frames, but Number of Frames is {NumberOfFrames}");
        return _frames = result;
    }

    private ulong[]? ReadExtendedOffsets()
    {
        var b = Dataset.GetBytes(ExtendedOffsetTable).Span;
        if (b.Length == 0 || !Dataset.Contains(ExtendedOffsetTableLengths)) return null;
        var r = new ulong[b.Length / 8];
        for (int i = 0; i < r.Length; i++) r[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[(i * 8)..]);
        return r;
    }

    private static bool StartsCodestream(IByteBuffer f)
    {
        if (f.Length < 4) return false;
        Span<byte> h = stackalloc byte[4];
        f.CopyTo(0, h);
        return (h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF)        // JPEG / JPEG-LS SOI
            || (h[0] == 0xFF && h[1] == 0x4F && h[2] == 0xFF && h[3] == 0x51) // JPEG 2000 SOC + SIZ
            || (h[0] == 0x00 && h[1] == 0x00 && h[2] == 0x00 && h[3] == 0x0C); // JP2 signature box
    }

    /// <summary>
    /// The stored values of one native single-sample frame as numbers: masked to Bits Stored and sign-extended when
    /// Pixel Representation is 1 (PS3.5 §8.1.1, PS3.3 C.7.6.3.1).
    /// </summary>
    public int[] GetStoredValues(byte[] frame)
    {
        int n = Info.Rows * Info.Columns * Info.SamplesPerPixel;
        var v = new int[n];
        int bits = Info.BitsStored, shift = Info.HighBit + 1 - bits;
        switch (Info.BitsAllocated)
        {
            case 8:
                for (int i = 0; i < n && i < frame.Length; i++) v[i] = Extract(frame[i], bits, shift, Info.IsSigned);
                break;
            case 16:
                for (int i = 0; i < n && 2 * i + 1 < frame.Length; i++) v[i] = Extract(BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(2 * i)), bits, shift, Info.IsSigned);
                break;
            case 32:
                for (int i = 0; i < n && 4 * i + 3 < frame.Length; i++)
                {
                    uint raw = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4 * i));
                    v[i] = Info.IsSigned ? (int)raw : (int)Math.Min(raw, int.MaxValue);
                }
                break;
            case 1:
                for (int i = 0; i < n; i++) v[i] = (frame[i >> 3] >> (i & 7)) & 1;
                break;
            default:
                throw new DicomValueException($"Bits Allocated {Info.BitsAllocated} has no integer stored values");
        }
        return v;
    }

    private static int Extract(uint raw, int bits, int shift, bool signed)
    {
        uint mask = bits >= 32 ? uint.MaxValue : (1u << bits) - 1;
        uint value = (raw >> Math.Max(0, shift)) & mask;
        if (signed && bits < 32 && (value & (1u << (bits - 1))) != 0) return (int)(value | ~mask);
        return (int)value;
    }

    /// <summary>Modality LUT: stored values × Rescale Slope + Rescale Intercept (PS3.3 C.11.1), e.g. Hounsfield units for CT.</summary>
    public double[] GetModalityValues(byte[] frame)
    {
        double slope = Dataset.GetDouble(new DicomTag(0x0028, 0x1053), 1.0);
        double intercept = Dataset.GetDouble(new DicomTag(0x0028, 0x1052), 0.0);
        if (slope == 0 || double.IsNaN(slope)) slope = 1;
        if (double.IsNaN(intercept)) intercept = 0;
        var stored = GetStoredValues(frame);
        var r = new double[stored.Length];
        for (int i = 0; i < r.Length; i++) r[i] = stored[i] * slope + intercept;
        return r;
    }
}
