using System.Buffers.Binary;
using System.Text;

namespace MedNode.Dicom.Tests.CharacterSets;

/// <summary>One element met by <see cref="MiniDicomWalker"/>, with the character set of the dataset holding it.</summary>
/// <param name="Path">"ggggeeee" at top level, "ggggeeee[i]/ggggeeee" inside sequence items.</param>
internal sealed record WalkedElement(string Path, DicomTag Tag, DicomVR VR, byte[] Value, DicomCharacterSet CharacterSet);

/// <summary>
/// A minimal Part 10 element walker for the character set tests only (the toolkit's reader is separate): skips the
/// preamble and the File Meta Information, reads explicit or implicit VR little endian, and descends into defined
/// and undefined length sequences. A sequence item uses its own Specific Character Set (0008,0005) when it has one
/// and its parent's otherwise (PS3.5 §6.1.2.5 and PS3.3 C.12.1.1.2).
/// </summary>
internal static class MiniDicomWalker
{
    private const string ImplicitVRLittleEndian = "1.2.840.10008.1.2";

    public static List<WalkedElement> Walk(string file)
    {
        byte[] data = File.ReadAllBytes(file);
        if (data.Length < 132 || Encoding.ASCII.GetString(data, 128, 4) != "DICM") throw new InvalidDataException("not a Part 10 file");
        int pos = 132;
        string transferSyntax = "";
        while (pos + 8 <= data.Length && BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos)) == 0x0002)
        {
            var meta = ReadHeader(data, ref pos, explicitVR: true);
            byte[] value = Take(data, ref pos, meta.Length);
            if (meta.Tag.Element == 0x0010) transferSyntax = Encoding.ASCII.GetString(value).TrimEnd('\0', ' ');
        }
        var result = new List<WalkedElement>();
        ReadDataset(data, ref pos, data.Length, transferSyntax != ImplicitVRLittleEndian, DicomCharacterSet.Default, "", result, 0);
        return result;
    }

    private readonly record struct Header(DicomTag Tag, DicomVR VR, uint Length);

    private static Header ReadHeader(byte[] data, ref int pos, bool explicitVR)
    {
        Need(data, pos, 8);
        var tag = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos)), BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos + 2)));
        if (tag.Group == 0xFFFE || !explicitVR)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 4));
            pos += 8;
            return new Header(tag, tag.Group == 0xFFFE ? DicomVR.None : DicomDictionary.ImplicitVR(tag), length);
        }
        var vr = DicomVRInfo.FromBytes(data[pos + 4], data[pos + 5]);
        if (vr == DicomVR.None) throw new InvalidDataException($"unknown VR at {pos}");
        if (vr.Has32BitLength())
        {
            Need(data, pos, 12);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 8));
            pos += 12;
            return new Header(tag, vr, length);
        }
        uint shortLength = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(pos + 6));
        pos += 8;
        return new Header(tag, vr, shortLength);
    }

    private static void ReadDataset(byte[] data, ref int pos, int end, bool explicitVR, DicomCharacterSet inherited, string prefix, List<WalkedElement> result, int depth)
    {
        if (depth > 16) throw new InvalidDataException("sequences nested too deep");
        var charset = inherited;
        while (pos < end)
        {
            var h = ReadHeader(data, ref pos, explicitVR);
            if (h.Tag == DicomTag.ItemDelimitationItem) return;
            string path = prefix + h.Tag.ToHexString();
            bool sequence = h.VR == DicomVR.SQ || (h.Length == uint.MaxValue && h.VR == DicomVR.UN);
            if (sequence)
            {
                ReadSequence(data, ref pos, h.Length, explicitVR && h.VR == DicomVR.SQ, charset, path, result, depth);
                continue;
            }
            if (h.Length == uint.MaxValue)
            {
                SkipFragments(data, ref pos);
                continue;
            }
            byte[] value = Take(data, ref pos, h.Length);
            if (h.Tag == new DicomTag(0x0008, 0x0005))
                charset = DicomCharacterSet.FromTerms(Encoding.ASCII.GetString(value).Split('\\').Select(t => t.Trim(' ', '\0')).ToList());
            result.Add(new WalkedElement(path, h.Tag, h.VR, value, charset));
        }
    }

    private static void ReadSequence(byte[] data, ref int pos, uint length, bool explicitVR, DicomCharacterSet charset, string path, List<WalkedElement> result, int depth)
    {
        int end = length == uint.MaxValue ? data.Length : checked(pos + (int)Math.Min(length, (uint)(data.Length - pos)));
        if (length != uint.MaxValue && length > data.Length - pos) throw new InvalidDataException("sequence longer than the file");
        int index = 0;
        while (pos < end)
        {
            var item = ReadHeader(data, ref pos, explicitVR: false);
            if (item.Tag == DicomTag.SequenceDelimitationItem) return;
            if (item.Tag != DicomTag.Item) throw new InvalidDataException($"expected an item at {pos - 8}");
            int itemEnd = item.Length == uint.MaxValue ? data.Length : checked(pos + (int)item.Length);
            if (itemEnd > data.Length) throw new InvalidDataException("item longer than the file");
            ReadDataset(data, ref pos, itemEnd, explicitVR, charset, $"{path}[{index++}]/", result, depth + 1);
        }
    }

    private static void SkipFragments(byte[] data, ref int pos)
    {
        while (true)
        {
            var item = ReadHeader(data, ref pos, explicitVR: false);
            if (item.Tag == DicomTag.SequenceDelimitationItem) return;
            Take(data, ref pos, item.Length);
        }
    }

    private static byte[] Take(byte[] data, ref int pos, uint length)
    {
        if (length > data.Length - pos) throw new InvalidDataException($"value of {length} bytes at {pos} runs past the end of the file");
        byte[] value = data.AsSpan(pos, (int)length).ToArray();
        pos += (int)length;
        return value;
    }

    private static void Need(byte[] data, int pos, int count)
    {
        if (count > data.Length - pos) throw new InvalidDataException($"truncated header at {pos}");
    }
}
