using System.Text;
using MedNode.Dicom.CharacterSets;

namespace MedNode.Dicom;

/// <summary>
/// The character set that Specific Character Set (0008,0005) selects (PS3.3 C.12.1.1.2), applied as PS3.5 §6.1
/// says: the single-byte sets of ISO 8859, TIS 620 and JIS X 0201; ISO 2022 code extensions with escape
/// sequences (JIS X 0208/0212, KS X 1001, GB 2312 and the single-byte sets); and ISO_IR 192 (UTF-8), GB18030 and
/// GBK. Only SH, LO, ST, LT, PN, UC and UT use it (PS3.5 §6.1.2.3); other string VRs are the default repertoire.
/// </summary>
/// <remarks>
/// Always decode a whole element value, then split it at "\" (<see cref="DecodeValues"/>): in GB18030, GBK and
/// the two-byte ISO 2022 sets a byte 05/12 can be part of a character.
/// Unknown or unsupported defined terms do not fail decoding: the default repertoire is used in their place
/// (as DCMTK does) and <see cref="UnsupportedTerms"/> lists them so that callers can warn.
/// </remarks>
public sealed class DicomCharacterSet
{
    private readonly ITextCodec _codec;

    private DicomCharacterSet(IReadOnlyList<string> terms, ITextCodec codec, IReadOnlyList<string> unsupported, bool codeExtensions)
    {
        Terms = terms;
        _codec = codec;
        UnsupportedTerms = unsupported;
        UsesCodeExtensions = codeExtensions;
    }

    /// <summary>The defined terms of Specific Character Set (0008,0005) this was built from.</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>
    /// The terms that are unknown or cannot be used where they stand (such as a second value after ISO_IR 192);
    /// the default repertoire stands in for them. Empty when every term is understood.
    /// </summary>
    public IReadOnlyList<string> UnsupportedTerms { get; }

    /// <summary>Whether every term of (0008,0005) is understood.</summary>
    public bool IsFullySupported => UnsupportedTerms.Count == 0;

    /// <summary>Whether ISO 2022 escape sequences are interpreted and written (PS3.5 §6.1.2.5).</summary>
    public bool UsesCodeExtensions { get; }

    /// <summary>The default repertoire (ISO-IR 6), used when (0008,0005) is absent or empty.</summary>
    public static DicomCharacterSet Default { get; } = new([], Iso2022Codec.DefaultRepertoire, [], false);

    /// <summary>The defined terms this toolkit supports (PS3.3 Tables C.12-2 to C.12-5).</summary>
    public static IEnumerable<string> SupportedTerms => DefinedTerms.SupportedTerms;

    /// <summary>Builds the character set for the values of Specific Character Set (0008,0005).</summary>
    /// <remarks>
    /// PS3.3 C.12.1.1.2: with more than one value, code extensions are in use and an empty value 1 means
    /// ISO 2022 IR 6. A single-byte term in ISO_IR form among several values is read as its ISO 2022 form.
    /// </remarks>
    public static DicomCharacterSet FromTerms(IReadOnlyList<string> terms)
    {
        if (terms.Count == 0 || terms.All(t => t.Trim().Length == 0)) return Default;

        var unsupported = new List<string>();
        string first = terms[0].Trim();
        DefinedTerm? value1 = first.Length == 0 ? null : DefinedTerms.Find(first);
        if (first.Length > 0 && value1 == null) unsupported.Add(first);

        if (value1 is { Kind: TermKind.WholeValue })
        {
            // PS3.3 C.12.1.1.2: these terms have no code extensions, so they stand alone.
            unsupported.AddRange(terms.Skip(1).Select(t => t.Trim()).Where(t => t.Length > 0));
            return new DicomCharacterSet(terms, new WholeValueCodec(value1.CodePage), unsupported, false);
        }

        bool codeExtensions = terms.Count > 1 || value1 is { Kind: TermKind.Iso2022 };
        var extensions = new List<CodedCharacterSet>();
        foreach (string raw in terms.Skip(1))
        {
            string term = raw.Trim();
            if (term.Length == 0) continue;
            DefinedTerm? extension = DefinedTerms.Find(term);
            if (extension == null || extension.Kind == TermKind.WholeValue)
            {
                unsupported.Add(term);
                continue;
            }
            if (extension.G0 != null) extensions.Add(extension.G0);
            if (extension.G1 != null) extensions.Add(extension.G1);
        }

        // A two-byte G0 set (ISO 2022 IR 87 or 159) cannot be value 1: text starts in ASCII and reaches it by escape.
        CodedCharacterSet initialG0 = value1?.G0 ?? DefinedTerms.IsoIr6;
        if (initialG0.BytesPerCharacter == 2)
        {
            extensions.Insert(0, initialG0);
            initialG0 = DefinedTerms.IsoIr6;
        }
        var codec = new Iso2022Codec(initialG0, value1?.G1, extensions, codeExtensions);
        return new DicomCharacterSet(terms, codec, unsupported, codeExtensions);
    }

    /// <summary>Builds the character set from the raw value of (0008,0005), values separated by "\".</summary>
    public static DicomCharacterSet FromValue(string value) => FromTerms(value.Split('\\'));

    /// <summary>Decodes a value of a string VR (all values, backslashes kept, padding kept).</summary>
    public string Decode(ReadOnlySpan<byte> bytes, DicomVR vr) =>
        (vr.UsesSpecificCharacterSet() ? _codec : Iso2022Codec.DefaultRepertoire).Decode(bytes, vr);

    /// <summary>
    /// Decodes a value of a string VR and splits it into its values at "\" (not for LT, ST, UT and UR, which have
    /// one value). Padding is kept.
    /// </summary>
    public string[] DecodeValues(ReadOnlySpan<byte> bytes, DicomVR vr)
    {
        string text = Decode(bytes, vr);
        return vr.IsSingleValuedText() ? [text] : text.Split('\\');
    }

    /// <summary>Encodes a value of a string VR (all values, backslashes kept), without padding.</summary>
    /// <exception cref="DicomCharacterSetException">A character cannot be encoded with this character set.</exception>
    public byte[] Encode(string text, DicomVR vr)
    {
        var codec = vr.UsesSpecificCharacterSet() ? _codec : Iso2022Codec.DefaultRepertoire;
        byte[]? bytes = codec.TryEncode(text, vr, out int failed);
        if (bytes != null) return bytes;
        int codePoint = Rune.TryGetRuneAt(text, failed, out Rune rune) ? rune.Value : text[failed];
        throw new DicomCharacterSetException(vr.UsesSpecificCharacterSet() ? Terms : [], vr, codePoint, failed);
    }

    /// <summary>Whether <see cref="Encode"/> would succeed for this text.</summary>
    public bool CanEncode(string text, DicomVR vr) =>
        (vr.UsesSpecificCharacterSet() ? _codec : Iso2022Codec.DefaultRepertoire).TryEncode(text, vr, out _) != null;

    public override string ToString() => Terms.Count == 0 ? "ISO_IR 6 (default)" : string.Join('\\', Terms);
}
