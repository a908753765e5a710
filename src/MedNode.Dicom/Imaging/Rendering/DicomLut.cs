using System.Buffers.Binary;

namespace MedNode.Dicom.Imaging.Rendering;

/// <summary>
/// A lookup table given as LUT Descriptor and LUT Data (PS3.3 C.11.1.1, C.11.2.1.1, C.7.6.3.1.5): the number of entries (0 means
/// 65536), the first input value mapped, and the bits per entry. Inputs below the first mapped value take the first entry, inputs
/// past the last take the last one.
/// </summary>
public sealed class DicomLut
{
    private readonly ushort[] _entries;

    private DicomLut(int firstMapped, int bitsPerEntry, ushort[] entries)
    {
        FirstMapped = firstMapped;
        BitsPerEntry = bitsPerEntry;
        _entries = entries;
    }

    public int FirstMapped { get; }

    public int BitsPerEntry { get; }

    public int Count => _entries.Length;

    /// <summary>The largest value an entry can hold: 2^bits − 1.</summary>
    public int MaxOutput => (1 << BitsPerEntry) - 1;

    public int this[int input] => _entries[Math.Clamp(input - FirstMapped, 0, _entries.Length - 1)];

    /// <summary>
    /// Reads a LUT from its descriptor and data elements. The second descriptor value is signed when the input is
    /// (<paramref name="signedInput"/>: Pixel Representation 1 for a Modality LUT or palette, PS3.3 C.11.1.1); whatever VR the
    /// descriptor was read with, its three values are taken as 16-bit words. LUT Data holds one 16-bit word per entry, or, for
    /// 8-bit entries, one byte per entry when the element is exactly as long as the entry count.
    /// </summary>
    public static DicomLut? Read(DicomDataset item, DicomTag descriptorTag, DicomTag dataTag, bool signedInput)
    {
        var descriptor = item.GetBytes(descriptorTag).Span;
        var data = item.GetBytes(dataTag).Span;
        if (descriptor.Length < 6 || data.IsEmpty) return null;
        ushort n = BinaryPrimitives.ReadUInt16LittleEndian(descriptor);
        ushort first = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[2..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[4..]);
        int count = n == 0 ? 65536 : n;
        if (bits is < 1 or > 16) throw new DicomValueException($"LUT Descriptor gives {bits} bits per entry; 8 to 16 are rendered");
        var entries = new ushort[count];
        if (data.Length >= 2 * count)
        {
            for (int i = 0; i < count; i++) entries[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(2 * i)..]);
        }
        else if (bits <= 8 && data.Length >= count)
        {
            for (int i = 0; i < count; i++) entries[i] = data[i];
        }
        else
        {
            throw new DicomValueException($"LUT Data holds {data.Length} bytes, too few for {count} entries");
        }
        bool signed = signedInput || (item[descriptorTag] is DicomElement e && e.VR == DicomVR.SS);
        return new DicomLut(signed ? (short)first : first, bits, entries);
    }

    /// <summary>The first item of a LUT sequence (Modality LUT Sequence, VOI LUT Sequence) as a LUT, or null.</summary>
    public static DicomLut? FromSequence(DicomDataset ds, DicomTag sequence, bool signedInput) =>
        ds.GetSequence(sequence) is [var item, ..] ? Read(item, DicomTags.LUTDescriptor, DicomTags.LUTData, signedInput) : null;
}
