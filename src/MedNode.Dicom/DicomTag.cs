using System.Globalization;

namespace MedNode.Dicom;

/// <summary>A data element tag (group, element), PS3.5 §7.1.</summary>
public readonly record struct DicomTag(ushort Group, ushort Element) : IComparable<DicomTag>
{
    public DicomTag(uint value) : this((ushort)(value >> 16), (ushort)value) { }

    /// <summary>The tag as one 32-bit number, group in the high half.</summary>
    public uint Value => ((uint)Group << 16) | Element;

    /// <summary>Odd groups are private (PS3.5 §7.8.1), except the reserved groups 0001, 0003, 0005, 0007 and FFFF.</summary>
    public bool IsPrivate => (Group & 1) == 1 && Group > 0x0007 && Group != 0xFFFF;

    /// <summary>(gggg,0010-00FF) in a private group: a Private Creator element (PS3.5 §7.8.1).</summary>
    public bool IsPrivateCreator => IsPrivate && Element >= 0x0010 && Element <= 0x00FF;

    /// <summary>(gggg,0000): a group length element (PS3.5 §7.2).</summary>
    public bool IsGroupLength => Element == 0x0000;

    public int CompareTo(DicomTag other) => Value.CompareTo(other.Value);

    public static bool operator <(DicomTag a, DicomTag b) => a.Value < b.Value;
    public static bool operator >(DicomTag a, DicomTag b) => a.Value > b.Value;
    public static bool operator <=(DicomTag a, DicomTag b) => a.Value <= b.Value;
    public static bool operator >=(DicomTag a, DicomTag b) => a.Value >= b.Value;

    /// <summary>Item (FFFE,E000), PS3.5 §7.5.</summary>
    public static readonly DicomTag Item = new(0xFFFE, 0xE000);
    /// <summary>Item Delimitation Item (FFFE,E00D), PS3.5 §7.5.</summary>
    public static readonly DicomTag ItemDelimitationItem = new(0xFFFE, 0xE00D);
    /// <summary>Sequence Delimitation Item (FFFE,E0DD), PS3.5 §7.5.</summary>
    public static readonly DicomTag SequenceDelimitationItem = new(0xFFFE, 0xE0DD);

    /// <summary>"(gggg,eeee)" in upper-case hex, as DCMTK prints it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Group:X4},{Element:X4})");

    /// <summary>"ggggeeee", the form DICOM JSON and QIDO use.</summary>
    public string ToHexString() => Value.ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>Parses "ggggeeee", "(gggg,eeee)" or "gggg,eeee".</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DicomTag tag)
    {
        tag = default;
        text = text.Trim();
        if (text.Length > 1 && text[0] == '(' && text[^1] == ')') text = text[1..^1];
        Span<char> hex = stackalloc char[8];
        int n = 0;
        foreach (char c in text)
        {
            if (c == ',') continue;
            if (n == 8 || !char.IsAsciiHexDigit(c)) return false;
            hex[n++] = c;
        }
        if (n != 8) return false;
        tag = new DicomTag(uint.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        return true;
    }
}
