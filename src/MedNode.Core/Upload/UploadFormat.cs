namespace MedNode.Core.Upload;

public enum UploadFormat { Unknown, Dicom, Nifti, NiftiGzip, Jpeg, Png }

/// <summary>Detects an upload's format from its first bytes (magic numbers), never from its file name.</summary>
public static class UploadFormatDetector
{
    /// <summary>How many leading bytes <see cref="Detect"/> needs.</summary>
    public const int HeaderLength = 352;

    public static UploadFormat Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 132 && head.Slice(128, 4).SequenceEqual("DICM"u8)) return UploadFormat.Dicom;
        if (head.Length >= 8 && head[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A })) return UploadFormat.Png;
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return UploadFormat.Jpeg;
        if (head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B) return UploadFormat.NiftiGzip; // confirmed after inflating
        // NIfTI-1 single file: sizeof_hdr 348 (either byte order) and magic "n+1\0" at 344 (nifti1.h).
        if (head.Length >= 348 && head.Slice(344, 4).SequenceEqual("n+1\0"u8)) return UploadFormat.Nifti;
        return UploadFormat.Unknown;
    }

    /// <summary>True for a NIfTI-1 header (after inflating a .nii.gz).</summary>
    public static bool IsNifti(ReadOnlySpan<byte> head) => head.Length >= 348 && head.Slice(344, 4).SequenceEqual("n+1\0"u8);
}

/// <summary>An upload that cannot be accepted: the message says why (HTTP 400 or 415).</summary>
public sealed class UploadRejectedException(string message, bool unsupportedMediaType = false) : Exception(message)
{
    public bool UnsupportedMediaType { get; } = unsupportedMediaType;
}
