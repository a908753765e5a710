namespace MedNode.Dicom;

/// <summary>
/// A file or stream that cannot be parsed. The one exception type the reader throws for bad bytes; it carries the byte
/// offset and the tag being read.
/// </summary>
public sealed class DicomParseException : Exception
{
    public DicomParseException(string message, long offset, DicomTag? tag = null, Exception? inner = null)
        : base(Format(message, offset, tag), inner)
    {
        Offset = offset;
        Tag = tag;
        Reason = message;
    }

    public long Offset { get; }
    public DicomTag? Tag { get; }
    public string Reason { get; }

    private static string Format(string message, long offset, DicomTag? tag) =>
        tag is { } t ? $"{message} (at byte {offset}, reading {t})" : $"{message} (at byte {offset})";
}

/// <summary>A value that does not conform to its VR (PS3.5 §6.2) when written.</summary>
public sealed class DicomValueException(string message) : Exception(message);
