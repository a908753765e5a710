using MedNode.Dicom.Buffers;

namespace MedNode.Dicom.IO;

/// <summary>
/// Parses data sets in any uncompressed transfer syntax encoding (PS3.5 §7, §A): explicit/implicit VR, little/big
/// endian, defined and undefined lengths, UN with undefined length (parsed as implicit VR LE, PS3.5 §6.2.2) and
/// encapsulated pixel data (PS3.5 §A.4). Every length is checked against the bytes that remain before anything is
/// allocated; bad bytes raise <see cref="DicomParseException"/>.
/// </summary>
internal sealed class DicomReader
{
    private const uint UndefinedLength = 0xFFFFFFFF;
    private readonly ByteSource _src;
    private readonly DicomReadOptions _options;
    private readonly bool _lazyCapable;
    private readonly List<string> _warnings;
    private DicomTag _current;

    public DicomReader(ByteSource src, DicomReadOptions options, List<string> warnings)
    {
        _src = src; _options = options; _warnings = warnings;
        _lazyCapable = src is FileSource;
    }

    /// <summary>True when reading stopped at the top-level Pixel Data because of <see cref="DicomReadOptions.StopAtPixelData"/>.</summary>
    public bool StoppedAtPixelData { get; private set; }

    private DicomParseException Error(string message, Exception? inner = null) => new(message, _src.Position, _current, inner);

    /// <summary>Reads elements into <paramref name="ds"/> until <paramref name="end"/>, or until an Item Delimitation Item when <paramref name="end"/> is null.</summary>
    public void ReadDataset(DicomDataset ds, bool explicitVR, bool bigEndian, long? end, int depth, Func<DicomTag, bool>? stopBefore = null)
    {
        if (depth > _options.MaxDepth) throw Error($"sequences nested deeper than {_options.MaxDepth}");
        long limit = end ?? _src.Length;
        while (_src.Position < limit)
        {
            if (limit - _src.Position < 4) throw Error($"{limit - _src.Position} stray bytes where an element header was expected");
            long start = _src.Position;
            var tag = new DicomTag(_src.ReadUInt16(bigEndian), _src.ReadUInt16(bigEndian));
            _current = tag;
            if (stopBefore != null && stopBefore(tag)) { _src.Position = start; return; }
            if (tag == DicomTag.ItemDelimitationItem)
            {
                Need(4, limit);
                _src.ReadUInt32(bigEndian);
                if (end == null) return;
                _warnings.Add($"item delimiter inside a defined-length item at byte {start}");
                continue;
            }
            if (tag == DicomTag.SequenceDelimitationItem)
            {
                // A stray sequence delimiter in a data set: DCMTK skips it with a warning, and so do we.
                Need(4, limit);
                _src.ReadUInt32(bigEndian);
                _warnings.Add($"stray sequence delimitation item at byte {start}");
                if (end == null && depth > 0) return;
                continue;
            }
            if (depth == 0 && _options.StopAtPixelData && tag.Group == 0x7FE0 && tag.Element is 0x0008 or 0x0009 or 0x0010)
            {
                _src.Position = start;
                StoppedAtPixelData = true;
                return;
            }

            DicomVR vr;
            uint length;
            if (explicitVR)
            {
                Need(2, limit);
                var vrBytes = _src.Read(2);
                vr = DicomVRInfo.FromBytes(vrBytes[0], vrBytes[1]);
                bool nonStandard = false;
                if (vr == DicomVR.None)
                {
                    // A non-standard VR: like DCMTK, assume a 2-byte length field and take the dictionary's VR (or UN).
                    if (vrBytes[0] < 0x20 || vrBytes[0] > 0x7E || vrBytes[1] < 0x20 || vrBytes[1] > 0x7E)
                        throw Error($"invalid VR bytes 0x{vrBytes[0]:X2}{vrBytes[1]:X2}");
                    _warnings.Add($"non-standard VR 0x{vrBytes[0]:X2}{vrBytes[1]:X2} for {tag} at byte {start}, assuming a 2-byte length");
                    var guess = ImplicitVR(tag);
                    vr = guess.Has32BitLength() ? DicomVR.UN : guess;
                    nonStandard = true;
                }
                if (nonStandard)
                {
                    Need(2, limit);
                    length = _src.ReadUInt16(bigEndian);
                }
                else if (vr.Has32BitLength())
                {
                    Need(6, limit);
                    _src.Skip(2);
                    length = _src.ReadUInt32(bigEndian);
                }
                else
                {
                    Need(2, limit);
                    length = _src.ReadUInt16(bigEndian);
                }
            }
            else
            {
                Need(4, limit);
                length = _src.ReadUInt32(bigEndian);
                vr = ImplicitVR(tag);
            }

            ds.Add(ReadValue(tag, vr, length, explicitVR, bigEndian, limit, depth));
        }
        if (end == null && depth > 0) throw Error("data ended inside an undefined-length item (no item delimiter)");
    }

    private static DicomVR ImplicitVR(DicomTag tag)
    {
        if (tag.Group == 0x7FE0 && tag.Element == 0x0010) return DicomVR.OW;
        if (tag.Group >= 0x6000 && tag.Group <= 0x60FF && (tag.Group & 1) == 0 && tag.Element == 0x3000) return DicomVR.OW;
        if (tag.IsPrivate && !tag.IsPrivateCreator) return DicomVR.UN;
        var e = DicomDictionary.Find(tag);
        if (e == null || e.VRs.Count == 0) return DicomVR.UN;
        // "OB or OW" and "US or OW" lookup tables: implicit VR encodes them as OW (PS3.5 §A.1 c).
        if (e.VRs.Contains(DicomVR.OW)) return DicomVR.OW;
        return e.VRs[0];
    }

    private void Need(long n, long limit)
    {
        if (limit - _src.Position < n) throw Error($"needed {n} bytes but only {limit - _src.Position} remain");
    }

    private DicomItem ReadValue(DicomTag tag, DicomVR vr, uint length, bool explicitVR, bool bigEndian, long limit, int depth)
    {
        if (length == UndefinedLength)
        {
            if (tag.Group == 0x7FE0 && tag.Element == 0x0010 || (vr is DicomVR.OB or DicomVR.OW && depth == 0 && tag.Group == 0x7FE0))
                return ReadFragments(tag, vr, bigEndian, limit);
            if (vr == DicomVR.SQ) return ReadSequence(tag, explicitVR, bigEndian, null, limit, depth);
            if (vr == DicomVR.UN || !explicitVR)
            {
                // PS3.5 §6.2.2: UN with undefined length holds an implicit VR little endian sequence.
                var seq = ReadSequence(tag, false, false, null, limit, depth);
                return seq;
            }
            if (vr is DicomVR.OB or DicomVR.OW)
                return ReadFragments(tag, vr, bigEndian, limit);
            throw Error($"undefined length on a {vr} element");
        }

        if (length > limit - _src.Position)
            throw Error($"value length {length} exceeds the {limit - _src.Position} bytes that remain");

        if (vr == DicomVR.SQ)
            return ReadSequence(tag, explicitVR, bigEndian, _src.Position + length, limit, depth, length);

        bool lazy = _lazyCapable && length > _options.LazyThreshold;
        int swap = bigEndian ? vr.SwapUnit() : 1;
        var buffer = length == 0 ? MemoryByteBuffer.Empty : _src.ReadBuffer(length, lazy, swap);
        return new DicomElement(tag, vr, buffer);
    }

    private DicomSequence ReadSequence(DicomTag tag, bool explicitVR, bool bigEndian, long? end, long limit, int depth, uint definedLength = 0)
    {
        var seq = new DicomSequence(tag) { UndefinedLength = end == null };
        long seqLimit = end ?? limit;
        while (_src.Position < seqLimit)
        {
            Need(8, seqLimit);
            long itemStart = _src.Position;
            var itemTag = new DicomTag(_src.ReadUInt16(bigEndian), _src.ReadUInt16(bigEndian));
            uint itemLength = _src.ReadUInt32(bigEndian);
            _current = itemTag;
            if (itemTag == DicomTag.SequenceDelimitationItem)
            {
                if (end != null) _warnings.Add($"sequence delimiter inside defined-length sequence {tag} at byte {itemStart}");
                _current = tag;
                return seq;
            }
            if (itemTag != DicomTag.Item)
                throw new DicomParseException($"expected an item tag (FFFE,E000) in sequence {tag}, found {itemTag}", itemStart, tag);
            var item = new DicomDataset { UndefinedLength = itemLength == UndefinedLength };
            if (itemLength == UndefinedLength)
            {
                ReadDataset(item, explicitVR, bigEndian, null, depth + 1);
            }
            else
            {
                if (itemLength > seqLimit - _src.Position)
                {
                    // DCMTK reads such an item up to the end of its sequence or file; so do we, with a warning.
                    if (seqLimit - _src.Position < 8)
                        throw new DicomParseException($"item length {itemLength} exceeds the {seqLimit - _src.Position} bytes that remain", _src.Position, tag);
                    _warnings.Add($"item at byte {itemStart} claims {itemLength} bytes but only {seqLimit - _src.Position} remain");
                    itemLength = (uint)(seqLimit - _src.Position);
                }
                ReadDataset(item, explicitVR, bigEndian, _src.Position + itemLength, depth + 1);
            }
            seq.Items.Add(item);
        }
        if (end == null) throw Error($"data ended inside undefined-length sequence {tag} (no sequence delimiter)");
        _ = definedLength;
        return seq;
    }

    private DicomFragmentSequence ReadFragments(DicomTag tag, DicomVR vr, bool bigEndian, long limit)
    {
        var frag = new DicomFragmentSequence(tag, vr);
        bool first = true;
        while (true)
        {
            Need(8, limit);
            long at = _src.Position;
            var itemTag = new DicomTag(_src.ReadUInt16(bigEndian), _src.ReadUInt16(bigEndian));
            uint len = _src.ReadUInt32(bigEndian);
            if (itemTag == DicomTag.SequenceDelimitationItem) break;
            if (itemTag != DicomTag.Item)
                throw new DicomParseException($"expected a fragment item in encapsulated {tag}, found {itemTag}", at, tag);
            if (len == UndefinedLength || len > limit - _src.Position)
                throw new DicomParseException($"fragment length {len} exceeds the {limit - _src.Position} bytes that remain", _src.Position, tag);
            bool lazy = _lazyCapable && len > _options.LazyThreshold;
            var buf = len == 0 ? MemoryByteBuffer.Empty : _src.ReadBuffer(len, lazy, 1);
            if (first) frag.OffsetTable = buf; else frag.Fragments.Add(buf);
            first = false;
        }
        return frag;
    }
}
