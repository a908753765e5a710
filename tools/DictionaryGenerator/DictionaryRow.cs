using System.Globalization;

namespace MedNode.CodeGeneration;

/// <summary>A data dictionary row ready to be written: tag and mask resolved, VRs split.</summary>
internal sealed record DictionaryRow(uint Tag, uint Mask, string Keyword, string Name, IReadOnlyList<string> VRs, string VM, bool Retired)
{
    public const uint FullMask = 0xFFFFFFFF;

    public bool IsMasked => Mask != FullMask;

    /// <summary>The 34 VRs of PS3.5 §6.2.</summary>
    public static readonly IReadOnlySet<string> KnownVRs = new HashSet<string>(StringComparer.Ordinal)
    {
        "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW",
        "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV",
    };

    public static DictionaryRow From(AttributeRow row)
    {
        var (tag, mask) = ParseTag(row.Tag);
        return new DictionaryRow(tag, mask, row.Keyword, row.Name, ParseVRs(row.VR, row.Tag), row.VM, row.Retired);
    }

    /// <summary>
    /// "(gggg,eeee)" where any digit may be x (PS3.6 §6: "xx" stands for any value). The tag is the lowest
    /// member (x → 0) and the mask has 0 bits at the x nibbles. Repeating groups (50xx, 60xx, 7Fxx) are even
    /// groups only (PS3.5 §7.6, Annex C), so there the group's lowest bit stays in the mask and odd (private)
    /// groups never match.
    /// </summary>
    public static (uint Tag, uint Mask) ParseTag(string text)
    {
        var t = text.Trim();
        if (t.Length != 11 || t[0] != '(' || t[5] != ',' || t[10] != ')')
            throw new InvalidDataException($"tag '{text}' is not (gggg,eeee)");
        string digits = string.Concat(t.AsSpan(1, 4), t.AsSpan(6, 4));
        uint tag = 0, mask = 0;
        foreach (char c in digits)
        {
            tag <<= 4; mask <<= 4;
            if (c is 'x' or 'X') continue;
            if (!char.IsAsciiHexDigit(c)) throw new InvalidDataException($"tag '{text}' has a bad digit '{c}'");
            tag |= uint.Parse(c.ToString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            mask |= 0xF;
        }
        bool repeatingGroup = (mask & 0xFFFF0000) == 0xFF000000;
        if (repeatingGroup) mask |= 0x00010000;
        return (tag, mask);
    }

    /// <summary>"US or SS or OW" → [US, SS, OW]; "" and "See Note 2" (the item delimiters of PS3.5 §7.5, which have no VR) → [].</summary>
    public static IReadOnlyList<string> ParseVRs(string text, string tagForErrors)
    {
        var t = text.Trim();
        if (t.Length == 0 || t.StartsWith("See Note", StringComparison.OrdinalIgnoreCase)) return [];
        var vrs = t.Split(" or ", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var vr in vrs)
        {
            if (!KnownVRs.Contains(vr)) throw new InvalidDataException($"{tagForErrors}: unknown VR '{vr}' in '{text}'");
        }
        return vrs;
    }
}
