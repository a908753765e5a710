using System.Text;

namespace MedNode.Dicom.CharacterSets;

/// <summary>Which code element an ISO 2022 graphic set is designated to (PS3.5 §6.1.2.5.1).</summary>
internal enum CodeElement
{
    /// <summary>G0, invoked to GL (bytes 02/01–07/14).</summary>
    G0,

    /// <summary>G1, invoked to GR (bytes 10/00–15/15).</summary>
    G1,
}

/// <summary>
/// One graphic character set of PS3.3 Tables C.12-3 and C.12-4 with its ISO 2022 designation escape sequence:
/// the unit the code-extension state machine (<see cref="Iso2022Codec"/>) switches between.
/// </summary>
internal abstract class CodedCharacterSet
{
    protected CodedCharacterSet(string isoIr, CodeElement element, int bytesPerCharacter, byte[] escape)
    {
        IsoIr = isoIr;
        Element = element;
        BytesPerCharacter = bytesPerCharacter;
        Escape = escape;
    }

    /// <summary>The ISO registration, such as "ISO-IR 87".</summary>
    public string IsoIr { get; }

    public CodeElement Element { get; }

    public int BytesPerCharacter { get; }

    /// <summary>The designation escape sequence including the leading ESC (PS3.3 Tables C.12-3/C.12-4).</summary>
    public byte[] Escape { get; }

    /// <summary>
    /// Decodes one character from <paramref name="code"/>, which holds exactly <see cref="BytesPerCharacter"/> bytes,
    /// into <paramref name="destination"/> (room for 2 chars); returns the number of chars written.
    /// </summary>
    public abstract int Decode(ReadOnlySpan<byte> code, Span<char> destination);

    /// <summary>Writes the code of <paramref name="c"/> to <paramref name="destination"/>; 0 when the set has no such character.</summary>
    public abstract int TryEncode(char c, Span<byte> destination);

    public override string ToString() => IsoIr;
}

/// <summary>A single-byte G0 set: ISO-IR 6 (ASCII) or ISO-IR 14 (JIS X 0201 Romaji).</summary>
/// <remarks>
/// ISO-IR 14 differs from ASCII only at 05/12 (YEN SIGN) and 07/14 (OVERLINE). 05/12 is still the value
/// delimiter (PS3.5 §6.1.2.5.3), so it is decoded as REVERSE SOLIDUS, as DCMTK and pydicom do.
/// </remarks>
internal sealed class SingleByteG0Set(string isoIr, byte[] escape) : CodedCharacterSet(isoIr, CodeElement.G0, 1, escape)
{
    public override int Decode(ReadOnlySpan<byte> code, Span<char> destination)
    {
        destination[0] = (char)code[0];
        return 1;
    }

    public override int TryEncode(char c, Span<byte> destination)
    {
        if (c >= 0x80) return 0;
        destination[0] = (byte)c;
        return 1;
    }
}

/// <summary>
/// A single-byte G1 set (the right-hand part of ISO 8859, TIS 620 or JIS X 0201 Katakana), as a table for
/// bytes 10/00–15/15; bytes 08/00–09/15 are C1 controls and map to U+0080–U+009F.
/// </summary>
internal sealed class SingleByteG1Set : CodedCharacterSet
{
    // Tables are built on first use: start-up must not pay for code pages a file never names.
    private readonly Lazy<(char[] Decode, Dictionary<char, byte> Encode)> _tables;

    private SingleByteG1Set(string isoIr, byte[] escape, Func<byte, char> map) : base(isoIr, CodeElement.G1, 1, escape)
    {
        _tables = new(() =>
        {
            var decode = new char[128];
            var encode = new Dictionary<char, byte>();
            for (int b = 0x80; b <= 0xFF; b++)
            {
                char c = b < 0xA0 ? (char)b : map((byte)b);
                decode[b - 0x80] = c;
                if (c != '\uFFFD' && b >= 0xA0) encode.TryAdd(c, (byte)b);
            }
            return (decode, encode);
        });
    }

    /// <summary>The right-hand half of a .NET single-byte code page (ISO 8859-n, or 874 for TIS 620).</summary>
    public static SingleByteG1Set FromCodePage(string isoIr, byte[] escape, int codePage, int lastByte = 0xFF)
    {
        Encoding? encoding = null;
        return new SingleByteG1Set(isoIr, escape, b =>
        {
            encoding ??= codePage == 28591 ? Encoding.Latin1 : CodePageEncodings.Probing(codePage);
            if (b > lastByte) return '\uFFFD';
            string s = encoding.GetString([b]);
            return s.Length == 1 ? s[0] : '\uFFFD';
        });
    }

    /// <summary>ISO-IR 13, JIS X 0201 Katakana: 10/01–13/15 are U+FF61–U+FF9F (half-width katakana).</summary>
    public static SingleByteG1Set Katakana(byte[] escape) =>
        new("ISO-IR 13", escape, b => b is >= 0xA1 and <= 0xDF ? (char)(0xFF61 + (b - 0xA1)) : '\uFFFD');

    public override int Decode(ReadOnlySpan<byte> code, Span<char> destination)
    {
        destination[0] = _tables.Value.Decode[code[0] - 0x80];
        return 1;
    }

    public override int TryEncode(char c, Span<byte> destination)
    {
        if (!_tables.Value.Encode.TryGetValue(c, out byte b)) return 0;
        destination[0] = b;
        return 1;
    }
}

/// <summary>
/// A two-byte 94×94 set reached through an EUC-style .NET code page: JIS X 0208 and JIS X 0212 in G0
/// (7-bit codes), KS X 1001 and GB 2312 in G1 (codes with the high bit set).
/// </summary>
internal sealed class DoubleByteSet : CodedCharacterSet
{
    private readonly Lazy<Encoding> _lazyEncoding;
    private readonly bool _jisX0212;

    private DoubleByteSet(string isoIr, CodeElement element, byte[] escape, int codePage, bool jisX0212)
        : base(isoIr, element, 2, escape)
    {
        _lazyEncoding = new(() => CodePageEncodings.Probing(codePage));
        _jisX0212 = jisX0212;
    }

    private Encoding _encoding => _lazyEncoding.Value;

    /// <summary>ISO-IR 87, JIS X 0208, through code page 20932 (EUC-JP): GL code 0xXXYY is EUC 0x(XX|80)(YY|80).</summary>
    public static DoubleByteSet JisX0208(byte[] escape) => new("ISO-IR 87", CodeElement.G0, escape, 20932, false);

    /// <summary>ISO-IR 159, JIS X 0212: code page 20932 holds it as lead byte with the high bit set and a 7-bit trail byte.</summary>
    public static DoubleByteSet JisX0212(byte[] escape) => new("ISO-IR 159", CodeElement.G0, escape, 20932, true);

    /// <summary>ISO-IR 149, KS X 1001, through code page 51949 (EUC-KR).</summary>
    public static DoubleByteSet KsX1001(byte[] escape) => new("ISO-IR 149", CodeElement.G1, escape, 51949, false);

    /// <summary>ISO-IR 58, GB 2312, through code page 936 restricted to its EUC-CN range.</summary>
    public static DoubleByteSet Gb2312(byte[] escape) => new("ISO-IR 58", CodeElement.G1, escape, 936, false);

    public override int Decode(ReadOnlySpan<byte> code, Span<char> destination)
    {
        Span<byte> euc = [(byte)(code[0] | 0x80), _jisX0212 ? (byte)(code[1] & 0x7F) : (byte)(code[1] | 0x80)];
        return _encoding.GetChars(euc, destination);
    }

    public override int TryEncode(char c, Span<byte> destination)
    {
        if (char.IsSurrogate(c)) return 0;
        Span<byte> euc = stackalloc byte[8];
        int n = _encoding.GetBytes([c], euc);
        if (n != 2 || euc[0] is < 0xA1 or > 0xFE) return 0;
        bool trailHigh = euc[1] is >= 0xA1 and <= 0xFE;
        bool trailLow = euc[1] is >= 0x21 and <= 0x7E;
        if (_jisX0212 ? !trailLow : !trailHigh) return 0;
        bool sevenBit = Element == CodeElement.G0;
        destination[0] = sevenBit ? (byte)(euc[0] & 0x7F) : euc[0];
        destination[1] = sevenBit ? (byte)(euc[1] & 0x7F) : euc[1];
        return 2;
    }
}
