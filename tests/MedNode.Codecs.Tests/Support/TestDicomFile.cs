using System.Buffers.Binary;
using System.Text;
using MedNode.Dicom.Imaging;

namespace MedNode.Codecs.Tests.Support;

/// <summary>
/// A test-only Part 10 writer and reader, small on purpose: enough to wrap a frame that MedNode encoded in a file that DCMTK and
/// GDCM accept, and to read back the pixel data their tools write (PS3.10 §7; explicit and implicit VR little endian). The
/// toolkit's own reader/writer is tested elsewhere.
/// </summary>
internal static class TestDicomFile
{
    private const string SecondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7";
    private const string ImplementationClassUid = "2.25.302010201913200400401001";

    /// <summary>Writes a file with native pixel data (<paramref name="encapsulatedFrames"/> null) or encapsulated frames with an
    /// empty Basic Offset Table (PS3.5 §A.4).</summary>
    public static byte[] Write(string transferSyntaxUid, FrameInfo info, int frames, byte[]? nativePixels, IReadOnlyList<byte[]>? encapsulatedFrames)
    {
        var instanceUid = "2.25." + new System.Numerics.BigInteger(Guid.NewGuid().ToByteArray(), isUnsigned: true);
        var meta = new MemoryStream();
        WriteElement(meta, 0x0002, 0x0001, "OB", [0, 1]);
        WriteElement(meta, 0x0002, 0x0002, "UI", Uid(SecondaryCaptureImageStorage));
        WriteElement(meta, 0x0002, 0x0003, "UI", Uid(instanceUid));
        WriteElement(meta, 0x0002, 0x0010, "UI", Uid(transferSyntaxUid));
        WriteElement(meta, 0x0002, 0x0012, "UI", Uid(ImplementationClassUid));
        var output = new MemoryStream();
        output.Write(new byte[128]);
        output.Write("DICM"u8);
        WriteElement(output, 0x0002, 0x0000, "UL", UInt32((uint)meta.Length));
        meta.WriteTo(output);
        WriteElement(output, 0x0008, 0x0016, "UI", Uid(SecondaryCaptureImageStorage));
        WriteElement(output, 0x0008, 0x0018, "UI", Uid(instanceUid));
        WriteElement(output, 0x0008, 0x0060, "CS", Text("OT"));
        WriteElement(output, 0x0008, 0x0064, "CS", Text("WSD"));
        WriteElement(output, 0x0010, 0x0010, "PN", Text("Test^Synthetic"));
        WriteElement(output, 0x0010, 0x0020, "LO", Text("SYNTH"));
        WriteElement(output, 0x0020, 0x000D, "UI", Uid(instanceUid + ".1"));
        WriteElement(output, 0x0020, 0x000E, "UI", Uid(instanceUid + ".2"));
        WriteElement(output, 0x0028, 0x0002, "US", UInt16(info.SamplesPerPixel));
        WriteElement(output, 0x0028, 0x0004, "CS", Text(info.PhotometricInterpretation));
        if (info.SamplesPerPixel > 1) WriteElement(output, 0x0028, 0x0006, "US", UInt16(info.PlanarConfiguration));
        WriteElement(output, 0x0028, 0x0008, "IS", Text(frames.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        WriteElement(output, 0x0028, 0x0010, "US", UInt16(info.Rows));
        WriteElement(output, 0x0028, 0x0011, "US", UInt16(info.Columns));
        WriteElement(output, 0x0028, 0x0100, "US", UInt16(info.BitsAllocated));
        WriteElement(output, 0x0028, 0x0101, "US", UInt16(info.BitsStored));
        WriteElement(output, 0x0028, 0x0102, "US", UInt16(info.HighBit));
        WriteElement(output, 0x0028, 0x0103, "US", UInt16(info.PixelRepresentation));
        if (encapsulatedFrames == null)
        {
            WriteElement(output, 0x7FE0, 0x0010, info.BitsAllocated > 8 ? "OW" : "OB", Pad(nativePixels!));
        }
        else
        {
            WriteHeader(output, 0x7FE0, 0x0010, "OB", 0xFFFFFFFF);
            WriteItem(output, 0xE000, []);
            foreach (var frame in encapsulatedFrames) WriteItem(output, 0xE000, Pad(frame));
            WriteItem(output, 0xE0DD, []);
        }
        return output.ToArray();
    }

    /// <summary>The top-level elements of a file, and the fragments of encapsulated Pixel Data (Basic Offset Table excluded).</summary>
    public sealed record Parsed(string TransferSyntaxUid, Dictionary<uint, byte[]> Elements, List<byte[]>? Fragments)
    {
        public byte[] PixelData => Elements[0x7FE00010];

        public int UInt16(uint tag) => BinaryPrimitives.ReadUInt16LittleEndian(Elements[tag]);

        public string Text(uint tag) => Elements.TryGetValue(tag, out var v) ? Encoding.ASCII.GetString(v).TrimEnd('\0', ' ') : "";
    }

    public static Parsed Read(byte[] file)
    {
        if (file.Length < 132 || Encoding.ASCII.GetString(file, 128, 4) != "DICM") throw new InvalidDataException("no DICM prefix");
        var pos = 132;
        var elements = new Dictionary<uint, byte[]>();
        List<byte[]>? fragments = null;
        string? ts = null;
        while (pos < file.Length)
        {
            var group = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(pos));
            var explicitVr = group == 0x0002 || ts != "1.2.840.10008.1.2";
            if (group != 0x0002 && ts == null) ts = Encoding.ASCII.GetString(elements[0x00020010]).TrimEnd('\0', ' ');
            explicitVr = group == 0x0002 || ts != "1.2.840.10008.1.2";
            var (tag, vr, length, valueStart) = ReadHeader(file, pos, explicitVr);
            if (length == 0xFFFFFFFF)
            {
                if (tag == 0x7FE00010) { fragments = []; pos = ReadFragments(file, valueStart, fragments); }
                else pos = SkipUndefined(file, valueStart, explicitVr);
                continue;
            }
            elements[tag] = file.AsSpan(valueStart, (int)length).ToArray();
            pos = valueStart + (int)length;
        }
        return new Parsed(ts ?? "", elements, fragments);
    }

    private static (uint Tag, string Vr, uint Length, int ValueStart) ReadHeader(byte[] f, int pos, bool explicitVr)
    {
        var tag = ((uint)BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(pos)) << 16) | BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(pos + 2));
        if (tag >> 16 == 0xFFFE || !explicitVr) return (tag, "", BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(pos + 4)), pos + 8);
        var vr = Encoding.ASCII.GetString(f, pos + 4, 2);
        if (vr is "OB" or "OD" or "OF" or "OL" or "OV" or "OW" or "SQ" or "UC" or "UR" or "UT" or "UN" or "SV" or "UV")
            return (tag, vr, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(pos + 8)), pos + 12);
        return (tag, vr, BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(pos + 6)), pos + 8);
    }

    private static int ReadFragments(byte[] f, int pos, List<byte[]> fragments)
    {
        var first = true;
        while (true)
        {
            var (tag, _, length, start) = ReadHeader(f, pos, true);
            if (tag == 0xFFFEE0DD) return start;
            if (!first) fragments.Add(f.AsSpan(start, (int)length).ToArray());
            first = false;
            pos = start + (int)length;
        }
    }

    /// <summary>Skips an undefined-length sequence value: items until the sequence delimitation item (PS3.5 §7.5).</summary>
    private static int SkipUndefined(byte[] f, int pos, bool explicitVr)
    {
        while (true)
        {
            var (tag, _, length, start) = ReadHeader(f, pos, explicitVr);
            if (tag == 0xFFFEE0DD) return start;
            if (tag == 0xFFFEE000 && length == 0xFFFFFFFF)
            {
                pos = start;
                while (true)
                {
                    var (t, _, l, s) = ReadHeader(f, pos, explicitVr);
                    if (t == 0xFFFEE00D) { pos = s; break; }
                    pos = l == 0xFFFFFFFF ? SkipUndefined(f, s, explicitVr) : s + (int)l;
                }
                continue;
            }
            pos = start + (int)length;
        }
    }

    private static void WriteElement(Stream s, ushort group, ushort element, string vr, byte[] value)
    {
        WriteHeader(s, group, element, vr, (uint)value.Length);
        s.Write(value);
    }

    private static void WriteHeader(Stream s, ushort group, ushort element, string vr, uint length)
    {
        Span<byte> h = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(h, group);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], element);
        h[4] = (byte)vr[0];
        h[5] = (byte)vr[1];
        if (vr is "OB" or "OW" or "SQ" or "UN" or "UT")
        {
            h[6] = 0; h[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], length);
            s.Write(h);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)length);
            s.Write(h[..8]);
        }
    }

    private static void WriteItem(Stream s, ushort element, byte[] value)
    {
        Span<byte> h = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(h, 0xFFFE);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], element);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)value.Length);
        s.Write(h);
        s.Write(value);
    }

    private static byte[] Uid(string uid) => Pad(Encoding.ASCII.GetBytes(uid), 0);

    private static byte[] Text(string text) => Pad(Encoding.ASCII.GetBytes(text), (byte)' ');

    private static byte[] Pad(byte[] value, byte pad = 0)
    {
        if (value.Length % 2 == 0) return value;
        var result = new byte[value.Length + 1];
        value.CopyTo(result, 0);
        result[^1] = pad;
        return result;
    }

    private static byte[] UInt16(int value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)value);
        return b;
    }

    private static byte[] UInt32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }
}
