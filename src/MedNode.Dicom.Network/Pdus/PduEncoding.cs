using System.Buffers.Binary;
using System.Text;

namespace MedNode.Dicom.Network.Pdus;

/// <summary>Big-endian primitives shared by the PDU readers and writers (PS3.8 §9.3.1: "most significant byte first").</summary>
internal static class PduEncoding
{
    public const int PduHeaderLength = 6;
    public const int ItemHeaderLength = 4;

    public static void WritePduHeader(IBufferWriter<byte> w, PduType type, uint length)
    {
        var s = w.GetSpan(PduHeaderLength);
        s[0] = (byte)type;
        s[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(s[2..], length);
        w.Advance(PduHeaderLength);
    }

    public static void WriteItemHeader(IBufferWriter<byte> w, byte type, int length, byte secondByte = 0)
    {
        if (length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(length), $"Item 0x{type:X2} is {length} bytes; an item length field holds at most 65535 (PS3.8 §9.3.2.2).");
        var s = w.GetSpan(ItemHeaderLength);
        s[0] = type;
        s[1] = secondByte;
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], (ushort)length);
        w.Advance(ItemHeaderLength);
    }

    public static void WriteByte(IBufferWriter<byte> w, byte value)
    {
        w.GetSpan(1)[0] = value;
        w.Advance(1);
    }

    public static void WriteUInt16(IBufferWriter<byte> w, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(w.GetSpan(2), value);
        w.Advance(2);
    }

    public static void WriteUInt32(IBufferWriter<byte> w, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(w.GetSpan(4), value);
        w.Advance(4);
    }

    public static void WriteZeros(IBufferWriter<byte> w, int count)
    {
        var s = w.GetSpan(count)[..count];
        s.Clear();
        w.Advance(count);
    }

    public static void WriteAscii(IBufferWriter<byte> w, string value)
    {
        var n = Encoding.ASCII.GetByteCount(value);
        Encoding.ASCII.GetBytes(value, w.GetSpan(n));
        w.Advance(n);
    }

    public static void WriteBytes(IBufferWriter<byte> w, ReadOnlySpan<byte> value) => w.Write(value);

    /// <summary>An AE title field: 16 bytes, space padded (PS3.8 §9.3.2, Called-AE-title).</summary>
    public static void WriteAeTitle(IBufferWriter<byte> w, string aeTitle)
    {
        if (aeTitle.Length > 16) throw new ArgumentException($"AE title '{aeTitle}' is longer than 16 characters (PS3.5 §6.2, AE).", nameof(aeTitle));
        var s = w.GetSpan(16)[..16];
        s.Fill((byte)' ');
        Encoding.ASCII.GetBytes(aeTitle, s);
        w.Advance(16);
    }

    public static int AsciiLength(string value) => Encoding.ASCII.GetByteCount(value);

    public static byte ReadByte(ref SequenceReader<byte> r)
    {
        if (!r.TryRead(out var b)) throw Truncated();
        return b;
    }

    public static ushort ReadUInt16(ref SequenceReader<byte> r)
    {
        if (!r.TryReadBigEndian(out short v)) throw Truncated();
        return (ushort)v;
    }

    public static uint ReadUInt32(ref SequenceReader<byte> r)
    {
        if (!r.TryReadBigEndian(out int v)) throw Truncated();
        return (uint)v;
    }

    public static void Skip(ref SequenceReader<byte> r, long count)
    {
        if (r.Remaining < count) throw Truncated();
        r.Advance(count);
    }

    /// <summary>Reads <paramref name="length"/> bytes as ASCII, checked against what remains before allocating.</summary>
    public static string ReadAscii(ref SequenceReader<byte> r, int length)
    {
        if (length < 0 || r.Remaining < length) throw Truncated();
        var slice = r.UnreadSequence.Slice(0, length);
        r.Advance(length);
        return Encoding.ASCII.GetString(slice);
    }

    /// <summary>A UID field: trailing NUL padding (PS3.5 §9.1) and spaces are not significant.</summary>
    public static string ReadUid(ref SequenceReader<byte> r, int length) => ReadAscii(ref r, length).TrimEnd('\0', ' ');

    /// <summary>An AE title field: leading and trailing spaces are not significant (PS3.8 §9.3.2).</summary>
    public static string ReadAeTitle(ref SequenceReader<byte> r) => ReadAscii(ref r, 16).Trim(' ', '\0');

    public static byte[] ReadBytes(ref SequenceReader<byte> r, int length)
    {
        if (length < 0 || r.Remaining < length) throw Truncated();
        var bytes = r.UnreadSequence.Slice(0, length).ToArray();
        r.Advance(length);
        return bytes;
    }

    /// <summary>
    /// Reads one item header and returns a reader over its value, after checking the item length against the
    /// bytes that remain in the enclosing field.
    /// </summary>
    public static SequenceReader<byte> ReadItem(ref SequenceReader<byte> r, out byte itemType, out byte secondByte)
    {
        if (r.Remaining < ItemHeaderLength) throw Truncated();
        itemType = ReadByte(ref r);
        secondByte = ReadByte(ref r);
        var length = ReadUInt16(ref r);
        if (r.Remaining < length)
            throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"Item 0x{itemType:X2} claims {length} bytes but only {r.Remaining} remain.");
        var value = new SequenceReader<byte>(r.UnreadSequence.Slice(0, length));
        r.Advance(length);
        return value;
    }

    public static DicomProtocolException Truncated() =>
        new(AAbortReason.InvalidPduParameterValue, "A PDU field runs past the end of its PDU or item.");
}
