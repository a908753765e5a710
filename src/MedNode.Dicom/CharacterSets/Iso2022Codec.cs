using System.Buffers;
using System.Text;

namespace MedNode.Dicom.CharacterSets;

/// <summary>Decodes and encodes the text of one data element value (all its values, delimiters included).</summary>
internal interface ITextCodec
{
    string Decode(ReadOnlySpan<byte> bytes, DicomVR vr);

    /// <summary>The encoded bytes, or null with the index of the first character that cannot be encoded.</summary>
    byte[]? TryEncode(string text, DicomVR vr, out int failedIndex);
}

/// <summary>
/// The single-byte sets and the ISO 2022 code extensions of PS3.5 §6.1.2.5: a state machine over the G0 and G1
/// code elements, driven by the escape sequences of PS3.3 Tables C.12-3 and C.12-4.
/// </summary>
/// <remarks>
/// PS3.5 §6.1.2.5.3: the set of value 1 of (0008,0005) (or the default repertoire) is active again before each
/// control character other than ESC (CR, LF, FF, TAB...), before the 05/12 that separates values, and, in PN,
/// before the "^" and "=" delimiters. The decoder therefore returns to the initial sets after each of those,
/// and the encoder writes the escape sequences that return to them before each one and at the end of the value.
/// Two-byte G0 codes (JIS X 0208/0212) are read in pairs, so a 05/12, 05/14 or 03/13 byte inside such a
/// character is never taken for a delimiter.
/// </remarks>
internal sealed class Iso2022Codec : ITextCodec
{
    private const byte Esc = 0x1B;

    private readonly CodedCharacterSet _initialG0;
    private readonly CodedCharacterSet? _initialG1;
    private readonly IReadOnlyList<CodedCharacterSet> _encodable;
    private readonly bool _codeExtensions;

    /// <param name="initialG0">The G0 set of value 1 (ISO-IR 6 when value 1 is empty).</param>
    /// <param name="initialG1">The G1 set of value 1, or null.</param>
    /// <param name="extensions">The sets that further values of (0008,0005) add, in order of preference.</param>
    /// <param name="codeExtensions">Whether escape sequences are interpreted and may be written.</param>
    public Iso2022Codec(CodedCharacterSet initialG0, CodedCharacterSet? initialG1, IEnumerable<CodedCharacterSet> extensions, bool codeExtensions)
    {
        _initialG0 = initialG0;
        _initialG1 = initialG1;
        _codeExtensions = codeExtensions;
        var encodable = new List<CodedCharacterSet> { initialG0 };
        if (initialG1 != null) encodable.Add(initialG1);
        if (codeExtensions)
        {
            encodable.AddRange(extensions);
            encodable.Add(DefinedTerms.IsoIr6);
        }
        _encodable = encodable.Distinct().ToList();
    }

    /// <summary>The default repertoire (ISO-IR 6): bytes 08/00–15/15 decode as ISO 8859-1, leniently; only ASCII encodes.</summary>
    public static Iso2022Codec DefaultRepertoire { get; } = new(DefinedTerms.IsoIr6, null, [], false);

    /// <summary>Whether <paramref name="b"/>, read while a single-byte G0 set is active, is a delimiter before which the initial sets return.</summary>
    private static bool IsDelimiter(int b, DicomVR vr) =>
        (b == '\\' && !vr.IsSingleValuedText()) || (vr == DicomVR.PN && b is '^' or '=');

    public string Decode(ReadOnlySpan<byte> bytes, DicomVR vr)
    {
        var text = new StringBuilder(bytes.Length);
        Span<char> chars = stackalloc char[2];
        CodedCharacterSet g0 = _initialG0;
        CodedCharacterSet? g1 = _initialG1;
        int i = 0;
        while (i < bytes.Length)
        {
            byte b = bytes[i];
            if (b == Esc && _codeExtensions && DefinedTerms.MatchEscape(bytes[i..]) is { } designated)
            {
                if (designated.Element == CodeElement.G0) g0 = designated;
                else g1 = designated;
                i += designated.Escape.Length;
                continue;
            }
            if (b < 0x20)
            {
                text.Append((char)b);
                (g0, g1) = (_initialG0, _initialG1);
                i++;
            }
            else if (b < 0x80)
            {
                if (g0.BytesPerCharacter == 2 && IsGraphic94(b) && i + 1 < bytes.Length && IsGraphic94(bytes[i + 1]))
                {
                    text.Append(chars[..g0.Decode(bytes.Slice(i, 2), chars)]);
                    i += 2;
                    continue;
                }
                // A lone byte in a two-byte G0 (space, or a truncated code) is read as ISO-IR 6.
                text.Append(g0.BytesPerCharacter == 1 ? chars[..g0.Decode(bytes.Slice(i, 1), chars)] : [(char)b]);
                if (IsDelimiter(b, vr)) (g0, g1) = (_initialG0, _initialG1);
                i++;
            }
            else if (g1 == null)
            {
                // No G1 set: lenient ISO 8859-1, as legacy files without (0008,0005) often hold Latin-1.
                text.Append((char)b);
                i++;
            }
            else if (g1.BytesPerCharacter == 1)
            {
                text.Append(chars[..g1.Decode(bytes.Slice(i, 1), chars)]);
                i++;
            }
            else if (b is >= 0xA1 and <= 0xFE && i + 1 < bytes.Length && bytes[i + 1] is >= 0xA1 and <= 0xFE)
            {
                text.Append(chars[..g1.Decode(bytes.Slice(i, 2), chars)]);
                i += 2;
            }
            else
            {
                text.Append('\uFFFD');
                i++;
            }
        }
        return text.ToString();
    }

    private static bool IsGraphic94(int b) => b is >= 0x21 and <= 0x7E;

    public byte[]? TryEncode(string text, DicomVR vr, out int failedIndex)
    {
        var output = new ArrayBufferWriter<byte>(text.Length + 8);
        Span<byte> code = stackalloc byte[4];
        CodedCharacterSet g0 = _initialG0;
        CodedCharacterSet? g1 = _initialG1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x20 || IsDelimiter(c, vr))
            {
                if (c == Esc && _codeExtensions)
                {
                    failedIndex = i;
                    return null;
                }
                ReturnToInitial(ref g0, ref g1, output);
                output.Write([(byte)c]);
                continue;
            }
            if (c < 0x80)
            {
                if (g0.BytesPerCharacter != 1)
                {
                    g0 = _initialG0.BytesPerCharacter == 1 ? _initialG0 : DefinedTerms.IsoIr6;
                    output.Write(g0.Escape);
                }
                output.Write([(byte)c]);
                continue;
            }
            if (!TryEncodeGraphic(c, ref g0, ref g1, code, output))
            {
                failedIndex = i;
                return null;
            }
        }
        ReturnToInitial(ref g0, ref g1, output);
        failedIndex = -1;
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Encodes a non-ASCII character with the active sets if they can, else designates the first set that can.</summary>
    private bool TryEncodeGraphic(char c, ref CodedCharacterSet g0, ref CodedCharacterSet? g1, Span<byte> code, ArrayBufferWriter<byte> output)
    {
        if (g0.BytesPerCharacter == 2 && g0.TryEncode(c, code) is int n0 and > 0)
        {
            output.Write(code[..n0]);
            return true;
        }
        if (g1 != null && g1.TryEncode(c, code) is int n1 and > 0)
        {
            output.Write(code[..n1]);
            return true;
        }
        foreach (var set in _encodable)
        {
            if (set == g0 || set == g1) continue;
            int n = set.TryEncode(c, code);
            if (n == 0) continue;
            output.Write(set.Escape);
            if (set.Element == CodeElement.G0) g0 = set;
            else g1 = set;
            output.Write(code[..n]);
            return true;
        }
        return false;
    }

    /// <summary>Writes the escape sequences that make the sets of value 1 active again (PS3.5 §6.1.2.5.3).</summary>
    private void ReturnToInitial(ref CodedCharacterSet g0, ref CodedCharacterSet? g1, ArrayBufferWriter<byte> output)
    {
        if (g0 != _initialG0)
        {
            output.Write(_initialG0.Escape);
            g0 = _initialG0;
        }
        if (g1 != _initialG1)
        {
            // With no G1 set in value 1 there is nothing to designate: G1 simply falls out of use.
            if (_initialG1 != null) output.Write(_initialG1.Escape);
            g1 = _initialG1;
        }
    }
}

/// <summary>ISO_IR 192, GB18030 and GBK (PS3.3 Table C.12-5): decoded over the whole value, then split by the caller.</summary>
/// <remarks>In GB18030 and GBK a trail byte may be 05/12, so splitting bytes at 05/12 before decoding would break characters.</remarks>
internal sealed class WholeValueCodec(int codePage) : ITextCodec
{
    private readonly Encoding _encoding = codePage == 65001
        ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false)
        : CodePageEncodings.Strict(codePage);

    private readonly Encoding _strictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string Decode(ReadOnlySpan<byte> bytes, DicomVR vr) => _encoding.GetString(bytes);

    public byte[]? TryEncode(string text, DicomVR vr, out int failedIndex)
    {
        try
        {
            failedIndex = -1;
            return (codePage == 65001 ? _strictUtf8 : _encoding).GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            failedIndex = Math.Max(0, e.Index);
            return null;
        }
    }
}
