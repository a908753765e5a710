using System.Buffers.Binary;
using MedNode.Dicom.Buffers;

namespace MedNode.Dicom.IO;

/// <summary>
/// Writes data sets in the uncompressed encodings (PS3.5 §7, §A.1–A.3, A.5). Values are held little endian and are
/// byte-swapped per VR for big endian (OW/OF/OL/OD/OV, AT, and the binary numeric VRs).
/// Group length elements (gggg,0000) that the data set holds are written with their value recomputed for the
/// encoding (PS3.5 §7.2), so transcoding never leaves a stale group length.
/// </summary>
public sealed class DicomWriter
{
    private readonly Stream _out;
    private readonly bool _explicit;
    private readonly bool _bigEndian;
    private readonly byte[] _hdr = new byte[12];

    public DicomWriter(Stream output, bool explicitVR, bool bigEndian)
    {
        _out = output; _explicit = explicitVR; _bigEndian = bigEndian;
    }

    public DicomWriter(Stream output, DicomTransferSyntax ts) : this(output, ts.IsExplicitVR, ts.IsBigEndian) { }

    public void WriteDataset(DicomDataset ds)
    {
        int index = 0;
        foreach (var item in ds)
        {
            index++;
            if (item.Tag.IsGroupLength)
            {
                uint len = (uint)ds.Skip(index).TakeWhile(i => i.Tag.Group == item.Tag.Group).Sum(ItemLength);
                WriteHeader(item.Tag, DicomVR.UL, 4);
                WriteU32(len, _hdr);
                _out.Write(_hdr, 0, 4);
                continue;
            }
            WriteItem(item);
        }
    }

    private void WriteTag(DicomTag tag, Span<byte> h)
    {
        if (_bigEndian) { BinaryPrimitives.WriteUInt16BigEndian(h, tag.Group); BinaryPrimitives.WriteUInt16BigEndian(h[2..], tag.Element); }
        else { BinaryPrimitives.WriteUInt16LittleEndian(h, tag.Group); BinaryPrimitives.WriteUInt16LittleEndian(h[2..], tag.Element); }
    }

    private void WriteU32(uint v, Span<byte> h)
    {
        if (_bigEndian) BinaryPrimitives.WriteUInt32BigEndian(h, v); else BinaryPrimitives.WriteUInt32LittleEndian(h, v);
    }

    /// <summary>Writes an element header: tag, VR (explicit) and length.</summary>
    private void WriteHeader(DicomTag tag, DicomVR vr, uint length)
    {
        var h = _hdr.AsSpan();
        WriteTag(tag, h);
        if (!_explicit)
        {
            WriteU32(length, h[4..]);
            _out.Write(_hdr, 0, 8);
            return;
        }
        var code = vr.ToString();
        h[4] = (byte)code[0]; h[5] = (byte)code[1];
        if (vr.Has32BitLength())
        {
            h[6] = 0; h[7] = 0;
            WriteU32(length, h[8..]);
            _out.Write(_hdr, 0, 12);
        }
        else
        {
            if (_bigEndian) BinaryPrimitives.WriteUInt16BigEndian(h[6..], (ushort)length); else BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)length);
            _out.Write(_hdr, 0, 8);
        }
    }

    private void WriteItemHeader(DicomTag tag, uint length)
    {
        var h = _hdr.AsSpan();
        WriteTag(tag, h);
        WriteU32(length, h[4..]);
        _out.Write(_hdr, 0, 8);
    }

    private void WriteItem(DicomItem item)
    {
        switch (item)
        {
            case DicomElement e:
                {
                    var vr = e.VR;
                    if (_explicit && !vr.Has32BitLength() && e.Length > 0xFFFF) vr = DicomVR.UN; // PS3.5 §6.2.2
                    if (e.Length > uint.MaxValue - 1) throw new DicomValueException($"{e.Tag}: value too long to encode");
                    WriteHeader(e.Tag, vr, (uint)e.Length);
                    WriteValue(e.Buffer, _bigEndian ? e.VR.SwapUnit() : 1);
                    break;
                }
            case DicomSequence s:
                if (s.UndefinedLength)
                {
                    WriteHeader(s.Tag, DicomVR.SQ, 0xFFFFFFFF);
                    foreach (var ds in s.Items) WriteSequenceItem(ds);
                    WriteItemHeader(DicomTag.SequenceDelimitationItem, 0);
                }
                else
                {
                    WriteHeader(s.Tag, DicomVR.SQ, checked((uint)SequenceValueLength(s)));
                    foreach (var ds in s.Items) WriteSequenceItem(ds);
                }
                break;
            case DicomFragmentSequence f:
                WriteHeader(f.Tag, f.VR, 0xFFFFFFFF);
                WriteItemHeader(DicomTag.Item, (uint)f.OffsetTable.Length);
                WriteValue(f.OffsetTable, _bigEndian ? 4 : 1);
                foreach (var frag in f.Fragments)
                {
                    WriteItemHeader(DicomTag.Item, (uint)frag.Length);
                    WriteValue(frag, 1);
                }
                WriteItemHeader(DicomTag.SequenceDelimitationItem, 0);
                break;
        }
    }

    private void WriteSequenceItem(DicomDataset ds)
    {
        if (ds.UndefinedLength)
        {
            WriteItemHeader(DicomTag.Item, 0xFFFFFFFF);
            WriteDataset(ds);
            WriteItemHeader(DicomTag.ItemDelimitationItem, 0);
        }
        else
        {
            WriteItemHeader(DicomTag.Item, checked((uint)DatasetLength(ds)));
            WriteDataset(ds);
        }
    }

    private void WriteValue(IByteBuffer buffer, int swapUnit)
    {
        if (buffer.Length == 0) return;
        if (swapUnit <= 1) { buffer.WriteTo(_out); return; }
        if (buffer.IsMemory)
        {
            var copy = buffer.GetMemory().ToArray();
            ByteSwap.InPlace(copy, swapUnit);
            _out.Write(copy);
            return;
        }
        var chunk = new byte[1 << 20];
        long done = 0;
        while (done < buffer.Length)
        {
            int n = (int)Math.Min(chunk.Length, buffer.Length - done);
            buffer.CopyTo(done, chunk.AsSpan(0, n));
            ByteSwap.InPlace(chunk.AsSpan(0, n), swapUnit);
            _out.Write(chunk, 0, n);
            done += n;
        }
    }

    /// <summary>The encoded length of a data set's elements, for defined-length items and group lengths.</summary>
    public long DatasetLength(DicomDataset ds)
    {
        long n = 0;
        foreach (var item in ds)
            n += item.Tag.IsGroupLength ? HeaderLength(DicomVR.UL) + 4 : ItemLength(item);
        return n;
    }

    private long HeaderLength(DicomVR vr) => !_explicit ? 8 : vr.Has32BitLength() ? 12 : 8;

    private long ItemLength(DicomItem item) => item switch
    {
        DicomElement e => HeaderLength(_explicit && !e.VR.Has32BitLength() && e.Length > 0xFFFF ? DicomVR.UN : e.VR) + e.Length,
        DicomSequence s => HeaderLength(DicomVR.SQ) + SequenceValueLength(s) + (s.UndefinedLength ? 8 : 0),
        DicomFragmentSequence f => HeaderLength(f.VR) + 8 + f.OffsetTable.Length + f.Fragments.Sum(x => 8 + x.Length) + 8,
        _ => 0,
    };

    private long SequenceValueLength(DicomSequence s) =>
        s.Items.Sum(ds => 8 + DatasetLength(ds) + (ds.UndefinedLength ? 8 : 0));
}
