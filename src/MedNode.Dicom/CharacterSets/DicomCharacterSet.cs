using System.Text;

namespace MedNode.Dicom;

/// <summary>
/// PLACEHOLDER (Latin-1/UTF-8 only): the full implementation of PS3.5 §6.1 (single-byte sets, ISO 2022 code
/// extensions, GB18030/GBK, UTF-8) replaces this file.
/// </summary>
public sealed class DicomCharacterSet
{
    private readonly Encoding _encoding;

    private DicomCharacterSet(IReadOnlyList<string> terms, Encoding encoding)
    {
        Terms = terms;
        _encoding = encoding;
    }

    /// <summary>The defined terms of Specific Character Set (0008,0005) this was built from.</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>The default repertoire (ISO-IR 6), used when (0008,0005) is absent.</summary>
    public static DicomCharacterSet Default { get; } = new([], Encoding.Latin1);

    /// <summary>Builds the character set for the values of Specific Character Set (0008,0005).</summary>
    public static DicomCharacterSet FromTerms(IReadOnlyList<string> terms)
    {
        if (terms.Count == 0 || terms.All(t => t.Trim().Length == 0)) return Default;
        return terms[0].Trim() == "ISO_IR 192" ? new DicomCharacterSet(terms, Encoding.UTF8) : new DicomCharacterSet(terms, Encoding.Latin1);
    }

    /// <summary>Decodes a value of a string VR (all values, backslashes kept).</summary>
    public string Decode(ReadOnlySpan<byte> bytes, DicomVR vr) =>
        vr.UsesSpecificCharacterSet() ? _encoding.GetString(bytes) : Encoding.Latin1.GetString(bytes);

    /// <summary>Encodes a value of a string VR (all values, backslashes kept), without padding.</summary>
    public byte[] Encode(string text, DicomVR vr) =>
        vr.UsesSpecificCharacterSet() ? _encoding.GetBytes(text) : Encoding.Latin1.GetBytes(text);
}
