namespace MedNode.Dicom.IO;

/// <summary>How a data set is read.</summary>
public sealed record DicomReadOptions
{
    public static readonly DicomReadOptions Default = new();

    /// <summary>Stop at the first top-level Pixel Data element ((7FE0,0008), (7FE0,0009) or (7FE0,0010)): for indexing.</summary>
    public bool StopAtPixelData { get; init; }

    /// <summary>Values longer than this, read from a file, stay in the file and are read on demand.</summary>
    public long LazyThreshold { get; init; } = 64 * 1024;

    /// <summary>Maximum sequence nesting depth; deeper data is rejected as malformed.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Maximum size of an inflated Deflated Explicit VR Little Endian data set.</summary>
    public long MaxInflatedLength { get; init; } = 1L << 30;
}
