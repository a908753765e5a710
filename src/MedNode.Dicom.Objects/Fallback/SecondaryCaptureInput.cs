using MedNode.Dicom.Objects.StructuredReport;

namespace MedNode.Dicom.Objects.Fallback;

/// <summary>What a burned-in Secondary Capture of one lesion's key slice is built from.</summary>
public sealed class SecondaryCaptureInput
{
    /// <summary>The source images, pixel data included (the key slice is rendered from it).</summary>
    public required IReadOnlyList<DicomDataset> SourceImages { get; init; }

    /// <summary>The lesion's key slice mask (Rows*Columns, non-zero inside) on the key frame.</summary>
    public required byte[] KeySliceMask { get; init; }

    public required int KeyFrameIndex { get; init; }

    /// <summary>Measurement lines drawn as text under the banner.</summary>
    public IReadOnlyList<string> Text { get; init; } = [];

    public RecistAxes? Recist { get; init; }

    /// <summary>Window centre and width; the source's first Window Center/Width when null.</summary>
    public (double Center, double Width)? Window { get; init; }

    public int SeriesNumber { get; init; } = 9003;

    public int InstanceNumber { get; init; } = 1;

    /// <summary>Series Instance UID to add the image to (one series for all lesions); a new one when null.</summary>
    public string? SeriesInstanceUid { get; init; }
}
