using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using MedNode.Dicom.Buffers;

namespace MedNode.Dicom;

/// <summary>
/// A data set (PS3.5 §7): items kept in ascending tag order. Values are raw bytes; strings are decoded on access with the
/// Specific Character Set in force (this data set's, else the parent's, PS3.5 §6.1.2.3 / PS3.3 C.12.1.1.2).
/// </summary>
public sealed partial class DicomDataset : IEnumerable<DicomItem>
{
    private readonly List<DicomItem> _items = [];

    public DicomDataset() { }

    public DicomDataset(IEnumerable<DicomItem> items)
    {
        foreach (var i in items) Add(i);
    }

    /// <summary>The data set containing the sequence this item belongs to, if any.</summary>
    public DicomDataset? Parent { get; internal set; }

    /// <summary>For a sequence item: encoded with undefined length (item delimiter); true by default.</summary>
    public bool UndefinedLength { get; set; } = true;

    public int Count => _items.Count;

    public IEnumerator<DicomItem> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    private int IndexOf(DicomTag tag)
    {
        int lo = 0, hi = _items.Count - 1;
        uint v = tag.Value;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            uint m = _items[mid].Tag.Value;
            if (m == v) return mid;
            if (m < v) lo = mid + 1; else hi = mid - 1;
        }
        return ~lo;
    }

    public bool Contains(DicomTag tag) => IndexOf(tag) >= 0;

    public DicomItem? this[DicomTag tag]
    {
        get { int i = IndexOf(tag); return i >= 0 ? _items[i] : null; }
    }

    /// <summary>Adds or replaces the item with the same tag.</summary>
    public DicomDataset Add(DicomItem item)
    {
        if (item is DicomSequence seq) foreach (var ds in seq.Items) ds.Parent = this;
        if (_items.Count == 0 || _items[^1].Tag.Value < item.Tag.Value) { _items.Add(item); return this; }
        int i = IndexOf(item.Tag);
        if (i >= 0) _items[i] = item; else _items.Insert(~i, item);
        if (item.Tag == DicomTags.SpecificCharacterSet) _charset = null;
        return this;
    }

    public bool Remove(DicomTag tag)
    {
        int i = IndexOf(tag);
        if (i < 0) return false;
        _items.RemoveAt(i);
        if (tag == DicomTags.SpecificCharacterSet) _charset = null;
        return true;
    }

    public void RemoveWhere(Func<DicomItem, bool> predicate) => _items.RemoveAll(i => predicate(i));

    public void Clear() => _items.Clear();

    /// <summary>A deep copy: new data sets and sequences; value buffers (immutable) are shared.</summary>
    public DicomDataset Clone()
    {
        var copy = new DicomDataset { UndefinedLength = UndefinedLength };
        foreach (var item in _items)
        {
            copy._items.Add(item switch
            {
                DicomSequence s => CloneSequence(s, copy),
                _ => item,
            });
        }
        return copy;

        static DicomSequence CloneSequence(DicomSequence s, DicomDataset parent)
        {
            var n = new DicomSequence(s.Tag) { UndefinedLength = s.UndefinedLength };
            foreach (var i in s.Items) { var c = i.Clone(); c.Parent = parent; n.Items.Add(c); }
            return n;
        }
    }

    // ---- character set -------------------------------------------------------------------------------------

    private DicomCharacterSet? _charset;

    /// <summary>The character set in force for this data set: its own (0008,0005), else its parent's, else the default repertoire.</summary>
    public DicomCharacterSet CharacterSet
    {
        get
        {
            if (_charset != null) return _charset;
            if (this[DicomTags.SpecificCharacterSet] is DicomElement e)
            {
                var raw = System.Text.Encoding.ASCII.GetString(e.Buffer.GetMemory().Span);
                var terms = raw.Split('\\').Select(t => t.Trim(' ', '\0')).ToArray();
                return _charset = DicomCharacterSet.FromTerms(terms);
            }
            return Parent?.CharacterSet ?? DicomCharacterSet.Default;
        }
    }

    // ---- reading values ------------------------------------------------------------------------------------

    /// <summary>The raw value bytes of an element (little endian), or empty.</summary>
    public ReadOnlyMemory<byte> GetBytes(DicomTag tag) => this[tag] is DicomElement e ? e.Buffer.GetMemory() : ReadOnlyMemory<byte>.Empty;

    /// <summary>The whole string value (all values, backslashes kept), decoded, with trailing padding removed; null when absent.</summary>
    public string? GetRawString(DicomTag tag)
    {
        if (this[tag] is not DicomElement e) return null;
        return DecodeString(e);
    }

    internal string DecodeString(DicomElement e)
    {
        var bytes = e.Buffer.GetMemory().Span;
        var s = CharacterSet.Decode(bytes, e.VR);
        return s.TrimEnd('\0', ' ');
    }

    /// <summary>The values of a string element, split on backslash (except LT/ST/UT/UR), each trimmed as PS3.5 §6.2 allows.</summary>
    public string[] GetStrings(DicomTag tag)
    {
        if (this[tag] is not DicomElement e || e.Length == 0) return [];
        if (!e.VR.IsString() && e.VR != DicomVR.UN) return [];
        return DicomValues.SplitStrings(DecodeString(e), e.VR);
    }

    /// <summary>The first value of a string element, or null.</summary>
    public string? GetString(DicomTag tag)
    {
        var v = GetStrings(tag);
        return v.Length > 0 ? v[0] : null;
    }

    public string GetString(DicomTag tag, string defaultValue) => GetString(tag) ?? defaultValue;

    /// <summary>Numeric values of a binary numeric element (US, SS, UL, SL, FL, FD, SV, UV, OW…) or a decimal/integer string (DS, IS).</summary>
    public double[] GetDoubles(DicomTag tag)
    {
        if (this[tag] is not DicomElement e) return [];
        return DicomValues.ToDoubles(e.VR, e.Buffer.GetMemory().Span, e.VR.IsString() ? DecodeString(e) : null);
    }

    public double? GetDouble(DicomTag tag)
    {
        var v = GetDoubles(tag);
        return v.Length > 0 ? v[0] : null;
    }

    public double GetDouble(DicomTag tag, double defaultValue) => GetDouble(tag) ?? defaultValue;

    public int? GetInt(DicomTag tag)
    {
        var d = GetDouble(tag);
        return d is { } v && !double.IsNaN(v) ? (int)Math.Clamp(Math.Round(v), int.MinValue, int.MaxValue) : null;
    }

    public int GetInt(DicomTag tag, int defaultValue) => GetInt(tag) ?? defaultValue;

    /// <summary>AT values as tags.</summary>
    public DicomTag[] GetTags(DicomTag tag)
    {
        var b = GetBytes(tag).Span;
        var r = new DicomTag[b.Length / 4];
        for (int i = 0; i < r.Length; i++)
            r[i] = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 4)..]), BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 4 + 2)..]));
        return r;
    }

    public DateOnly? GetDate(DicomTag tag) => GetString(tag) is { } s && DicomValues.TryParseDate(s, out var d) ? d : null;

    public TimeOnly? GetTime(DicomTag tag) => GetString(tag) is { } s && DicomValues.TryParseTime(s, out var t) ? t : null;

    public DateTimeOffset? GetDateTime(DicomTag tag) => GetString(tag) is { } s && DicomValues.TryParseDateTime(s, out var t) ? t : null;

    public DicomPersonName? GetPersonName(DicomTag tag) => GetString(tag) is { } s ? DicomPersonName.Parse(s) : null;

    /// <summary>The items of a sequence, or an empty list.</summary>
    public IReadOnlyList<DicomDataset> GetSequence(DicomTag tag) => this[tag] is DicomSequence s ? s.Items : [];

    // ---- writing values ------------------------------------------------------------------------------------

    /// <summary>Sets a string element after checking each value against its VR (PS3.5 §6.2); pads to even length.</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, DicomVR vr, params string[] values)
    {
        foreach (var v in values) DicomValues.Validate(vr, v, tag);
        var text = vr.IsSingleValuedText() ? (values.Length > 0 ? values[0] : "") : string.Join('\\', values);
        var cs = tag == DicomTags.SpecificCharacterSet ? DicomCharacterSet.Default : CharacterSet;
        var bytes = cs.Encode(text, vr);
        if (bytes.Length % 2 == 1)
        {
            Array.Resize(ref bytes, bytes.Length + 1);
            bytes[^1] = vr.PaddingByte();
        }
        return Add(new DicomElement(tag, vr, new MemoryByteBuffer(bytes)));
    }

    /// <summary>Sets a string element with the dictionary's VR.</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, params string[] values) => AddOrUpdate(tag, DicomDictionary.ImplicitVR(tag), values);

    /// <summary>Sets a binary numeric element (US, SS, UL, SL, FL, FD, SV, UV) or DS/IS from numbers.</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, DicomVR vr, params double[] values)
    {
        if (vr is DicomVR.DS) return AddOrUpdate(tag, vr, values.Select(DicomValues.FormatDecimalString).ToArray());
        if (vr is DicomVR.IS) return AddOrUpdate(tag, vr, values.Select(v => ((long)v).ToString(CultureInfo.InvariantCulture)).ToArray());
        return Add(new DicomElement(tag, vr, new MemoryByteBuffer(DicomValues.FromDoubles(vr, values, tag))));
    }

    /// <summary>Sets a US element.</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, params ushort[] values) =>
        AddOrUpdate(tag, DicomVR.US, values.Select(v => (double)v).ToArray());

    /// <summary>Sets an AT element.</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, params DicomTag[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(i * 4), values[i].Group);
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(i * 4 + 2), values[i].Element);
        }
        return Add(new DicomElement(tag, DicomVR.AT, new MemoryByteBuffer(b)));
    }

    /// <summary>Sets a bytes element (OB, OW, OF, OD, OL, OV, UN), padding OB/UN to even length.</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length % 2 == 1)
        {
            var padded = new byte[bytes.Length + 1];
            bytes.Span.CopyTo(padded);
            bytes = padded;
        }
        return Add(new DicomElement(tag, vr, new MemoryByteBuffer(bytes)));
    }

    /// <summary>Sets a sequence.</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, params DicomDataset[] items) => Add(new DicomSequence(tag, items));
}

