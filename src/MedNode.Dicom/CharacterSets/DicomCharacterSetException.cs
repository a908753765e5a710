using System.Globalization;

namespace MedNode.Dicom;

/// <summary>
/// Text holds a character that the Specific Character Set (0008,0005) cannot encode (PS3.5 §6.1). The message
/// names the code point and its position only, never the text, which may be patient data.
/// </summary>
public sealed class DicomCharacterSetException : ArgumentException
{
    public DicomCharacterSetException(string message) : base(message)
    {
        Terms = [];
    }

    public DicomCharacterSetException(string message, Exception innerException) : base(message, innerException)
    {
        Terms = [];
    }

    public DicomCharacterSetException(IReadOnlyList<string> terms, DicomVR vr, int codePoint, int index)
        : base(string.Format(
            CultureInfo.InvariantCulture,
            "U+{0:X4} at index {1} cannot be encoded in a {2} value with Specific Character Set (0008,0005) '{3}'",
            codePoint, index, vr, terms.Count == 0 ? "(default repertoire)" : string.Join('\\', terms)))
    {
        Terms = terms;
        VR = vr;
        CodePoint = codePoint;
        Index = index;
    }

    /// <summary>The defined terms of (0008,0005) in use.</summary>
    public IReadOnlyList<string> Terms { get; }

    public DicomVR VR { get; }

    /// <summary>The Unicode code point that could not be encoded.</summary>
    public int CodePoint { get; }

    /// <summary>Its index (in UTF-16 code units) in the text.</summary>
    public int Index { get; }
}
