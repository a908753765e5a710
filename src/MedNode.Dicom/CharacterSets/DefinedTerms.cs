namespace MedNode.Dicom.CharacterSets;

/// <summary>How a defined term of Specific Character Set (0008,0005) encodes text.</summary>
internal enum TermKind
{
    /// <summary>A single-byte set without code extensions (PS3.3 Table C.12-2).</summary>
    SingleByte,

    /// <summary>A set usable with ISO 2022 code extensions (PS3.3 Tables C.12-3 and C.12-4).</summary>
    Iso2022,

    /// <summary>ISO_IR 192, GB18030, GBK: multi-byte without code extensions (PS3.3 Table C.12-5); value 1 only.</summary>
    WholeValue,
}

/// <summary>A defined term and the graphic sets it designates (G0 and/or G1), or the code page of a whole-value set.</summary>
internal sealed record DefinedTerm(string Term, TermKind Kind, CodedCharacterSet? G0, CodedCharacterSet? G1, int CodePage = 0);

/// <summary>
/// The defined terms of PS3.3 C.12.1.1.2 (Tables C.12-2 to C.12-5) and the graphic sets with their escape
/// sequences (PS3.5 §6.1.2.5).
/// </summary>
internal static class DefinedTerms
{
    private const byte Esc = 0x1B;

    public static readonly SingleByteG0Set IsoIr6 = new("ISO-IR 6", [Esc, 0x28, 0x42]);       // ESC ( B
    public static readonly SingleByteG0Set IsoIr14 = new("ISO-IR 14", [Esc, 0x28, 0x4A]);     // ESC ( J

    private static readonly CodedCharacterSet IsoIr13 = SingleByteG1Set.Katakana([Esc, 0x29, 0x49]);  // ESC ) I
    private static readonly CodedCharacterSet IsoIr87 = DoubleByteSet.JisX0208([Esc, 0x24, 0x42]);    // ESC $ B
    private static readonly CodedCharacterSet IsoIr159 = DoubleByteSet.JisX0212([Esc, 0x24, 0x28, 0x44]); // ESC $ ( D
    private static readonly CodedCharacterSet IsoIr149 = DoubleByteSet.KsX1001([Esc, 0x24, 0x29, 0x43]);  // ESC $ ) C
    private static readonly CodedCharacterSet IsoIr58 = DoubleByteSet.Gb2312([Esc, 0x24, 0x29, 0x41]);    // ESC $ ) A

    /// <summary>Every graphic set this toolkit knows, for recognising escape sequences while decoding.</summary>
    public static IReadOnlyList<CodedCharacterSet> AllSets { get; }

    private static readonly Dictionary<string, DefinedTerm> ByTerm = new(StringComparer.OrdinalIgnoreCase);

    static DefinedTerms()
    {
        var sets = new List<CodedCharacterSet> { IsoIr6, IsoIr14, IsoIr13, IsoIr87, IsoIr159, IsoIr149, IsoIr58 };

        // ISO 8859 and TIS 620 right-hand halves: (IR number, final byte of ESC - F, .NET code page, last byte).
        (int Ir, byte Final, int CodePage, int Last)[] latin =
        [
            (100, 0x41, 28591, 0xFF), (101, 0x42, 28592, 0xFF), (109, 0x43, 28593, 0xFF), (110, 0x44, 28594, 0xFF),
            (144, 0x4C, 28595, 0xFF), (127, 0x47, 28596, 0xFF), (126, 0x46, 28597, 0xFF), (138, 0x48, 28598, 0xFF),
            (148, 0x4D, 28599, 0xFF), (203, 0x62, 28605, 0xFF), (166, 0x54, 874, 0xFB),
        ];
        foreach (var (ir, final, codePage, last) in latin)
        {
            var g1 = SingleByteG1Set.FromCodePage($"ISO-IR {ir}", [Esc, 0x2D, final], codePage, last);
            sets.Add(g1);
            Add(new($"ISO_IR {ir}", TermKind.SingleByte, IsoIr6, g1));
            Add(new($"ISO 2022 IR {ir}", TermKind.Iso2022, IsoIr6, g1));
        }

        Add(new("ISO_IR 6", TermKind.SingleByte, IsoIr6, null));
        Add(new("ISO 2022 IR 6", TermKind.Iso2022, IsoIr6, null));
        Add(new("ISO_IR 13", TermKind.SingleByte, IsoIr14, IsoIr13));
        Add(new("ISO 2022 IR 13", TermKind.Iso2022, IsoIr14, IsoIr13));
        Add(new("ISO 2022 IR 87", TermKind.Iso2022, IsoIr87, null));
        Add(new("ISO 2022 IR 159", TermKind.Iso2022, IsoIr159, null));
        Add(new("ISO 2022 IR 149", TermKind.Iso2022, null, IsoIr149));
        Add(new("ISO 2022 IR 58", TermKind.Iso2022, null, IsoIr58));
        Add(new("ISO_IR 192", TermKind.WholeValue, null, null, 65001));
        Add(new("GB18030", TermKind.WholeValue, null, null, 54936));
        Add(new("GBK", TermKind.WholeValue, null, null, 936));
        AllSets = sets;
    }

    private static void Add(DefinedTerm term) => ByTerm.Add(term.Term, term);

    /// <summary>The defined term for a value of (0008,0005), leading and trailing spaces ignored; null if unknown.</summary>
    public static DefinedTerm? Find(string term) => ByTerm.GetValueOrDefault(term.Trim());

    /// <summary>All defined terms this toolkit supports, in table order.</summary>
    public static IEnumerable<string> SupportedTerms => ByTerm.Keys;

    /// <summary>The graphic set whose escape sequence starts <paramref name="bytes"/> (which starts with ESC), or null.</summary>
    public static CodedCharacterSet? MatchEscape(ReadOnlySpan<byte> bytes)
    {
        foreach (var set in AllSets)
        {
            if (bytes.StartsWith(set.Escape)) return set;
        }
        return null;
    }
}
