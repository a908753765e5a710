using MedNode.Dicom.Objects.Coding;

namespace MedNode.Dicom.Objects.Segmentation;

/// <summary>Segmentation Type (0062,0001), PS3.3 C.8.20.2.</summary>
public enum SegmentationType
{
    /// <summary>1 bit per pixel, frames packed bit-wise without byte alignment (PS3.5 §8.1.1).</summary>
    Binary,
    /// <summary>8 bits per pixel, 0..<see cref="SegmentationInput.MaximumFractionalValue"/>, as PROBABILITY.</summary>
    Fractional,
}

/// <summary>
/// What a SEG is built from: the source images' headers (one single-frame image per slice, or one multi-frame image
/// with functional groups), the segments, and one mask per segment on the source grid. Kept free of MedNode.Analysis
/// so that MedNode.Dicom.Objects depends on MedNode.Dicom only.
/// </summary>
public sealed class SegmentationInput
{
    /// <summary>The source images' data sets (pixel data not needed).</summary>
    public required IReadOnlyList<DicomDataset> SourceImages { get; init; }

    public required IReadOnlyList<SegmentDefinition> Segments { get; init; }

    public SegmentationType Type { get; init; } = SegmentationType.Binary;

    /// <summary>Maximum Fractional Value (0062,000E) for <see cref="SegmentationType.Fractional"/>.</summary>
    public byte MaximumFractionalValue { get; init; } = 255;

    /// <summary>When set, the frame of reference the result was computed in; it must be the source's.</summary>
    public string? ExpectedFrameOfReferenceUid { get; init; }

    /// <summary>When set, the Image Orientation (Patient) the result was computed in; it must be the source's.</summary>
    public IReadOnlyList<double>? ExpectedImageOrientation { get; init; }

    /// <summary>Content Label (0070,0080): CS, at most 16 characters.</summary>
    public string ContentLabel { get; init; } = "MEDNODE_AI";

    public string ContentDescription { get; init; } = "MedNode AI segmentation";

    public string ContentCreatorName { get; init; } = "MedNode^AI";

    public string SeriesDescription { get; init; } = "MedNode AI segmentation";

    public int SeriesNumber { get; init; } = 9001;

    public int InstanceNumber { get; init; } = 1;

    /// <summary>Device Serial Number (0018,1000), type 1 in the Enhanced General Equipment Module (PS3.3 C.7.5.2).</summary>
    public string DeviceSerialNumber { get; init; } = "MEDNODE-0001";
}

/// <summary>One segment (one lesion): an item of the Segment Sequence (PS3.3 C.8.20.2) and its mask.</summary>
public sealed class SegmentDefinition
{
    /// <summary>Segment Label (0062,0005).</summary>
    public required string Label { get; init; }

    /// <summary>Tracking ID (0062,0020), UT.</summary>
    public required string TrackingId { get; init; }

    /// <summary>Tracking UID (0062,0021).</summary>
    public required string TrackingUid { get; init; }

    public CodedConcept Category { get; init; } = Codes.MorphologicallyAbnormalStructure;

    public CodedConcept PropertyType { get; init; } = Codes.Neoplasm;

    public required string AlgorithmName { get; init; }

    public required string AlgorithmVersion { get; init; }

    /// <summary>CID 7162; Artificial Intelligence by default.</summary>
    public CodedConcept AlgorithmFamily { get; init; } = Codes.ArtificialIntelligence;

    /// <summary>Algorithm Source (0024,0202), e.g. the model's hash.</summary>
    public string? AlgorithmSource { get; init; }

    /// <summary>Recommended Display CIELab Value (0062,000D): three values scaled to 0..65535 as PS3.3 C.10.7.1.1 defines.</summary>
    public ushort[]? CieLab { get; init; }

    /// <summary>The mask: one array per source frame (in <see cref="SegmentationInput.SourceImages"/> order), Rows*Columns
    /// values in row-major order; for BINARY any non-zero value is inside, for FRACTIONAL the value is the fraction.</summary>
    public required IReadOnlyList<byte[]> Mask { get; init; }
}
