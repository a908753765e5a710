using MedNode.Dicom.Buffers;

namespace MedNode.Dicom;

/// <summary>One entry of a data set: an element with a value, a sequence, or encapsulated pixel data (PS3.5 §7.1).</summary>
public abstract class DicomItem(DicomTag tag, DicomVR vr)
{
    public DicomTag Tag { get; } = tag;
    public DicomVR VR { get; internal set; } = vr;

    public override string ToString() => $"{Tag} {VR}";
}

/// <summary>A data element whose value is bytes (strings, numbers, OB/OW…), held little endian and as encoded (padding kept).</summary>
public sealed class DicomElement(DicomTag tag, DicomVR vr, IByteBuffer buffer) : DicomItem(tag, vr)
{
    public IByteBuffer Buffer { get; } = buffer;
    public long Length => Buffer.Length;
}

/// <summary>A sequence of items (PS3.5 §7.5).</summary>
public sealed class DicomSequence(DicomTag tag, IEnumerable<DicomDataset>? items = null) : DicomItem(tag, DicomVR.SQ)
{
    public List<DicomDataset> Items { get; } = items?.ToList() ?? [];

    /// <summary>Encoded with undefined length (FFFFFFFF and a sequence delimiter); true by default for new sequences.</summary>
    public bool UndefinedLength { get; set; } = true;
}

/// <summary>Encapsulated pixel data: the Basic Offset Table and the fragments (PS3.5 §A.4).</summary>
public sealed class DicomFragmentSequence(DicomTag tag, DicomVR vr) : DicomItem(tag, vr)
{
    /// <summary>The Basic Offset Table item's value (may be empty).</summary>
    public IByteBuffer OffsetTable { get; set; } = MemoryByteBuffer.Empty;

    public List<IByteBuffer> Fragments { get; } = [];

    /// <summary>The Basic Offset Table as offsets (little endian uint32s).</summary>
    public uint[] GetBasicOffsets()
    {
        var mem = OffsetTable.GetMemory().Span;
        var result = new uint[mem.Length / 4];
        for (int i = 0; i < result.Length; i++) result[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(mem[(i * 4)..]);
        return result;
    }
}
