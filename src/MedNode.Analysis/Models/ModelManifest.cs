namespace MedNode.Analysis.Models;

/// <summary>
/// The manifest of a segmentation model, <c>models/&lt;id&gt;/model.json</c>: identity, provenance, and every
/// pre- and post-processing choice the network was trained with, so that it never runs silently transposed,
/// mis-scaled or mis-normalised. The fields map onto a MONAI bundle's metadata.json (network_data_format) and
/// inference.json (Spacingd, ScaleIntensityRanged, SlidingWindowInferer, Activationsd).
/// </summary>
public sealed record ModelManifest
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>SHA-256 of <see cref="ModelFile"/>, lowercase hex.</summary>
    public required string Sha256 { get; init; }

    /// <summary>File name of the ONNX graph, relative to the manifest.</summary>
    public string ModelFile { get; init; } = "model.onnx";

    public required string Licence { get; init; }

    public required string IntendedUse { get; init; }

    /// <summary>Modality (0008,0060) of the series the model takes, e.g. "CT".</summary>
    public required string Modality { get; init; }

    public required ModelInput Input { get; init; }

    public required IntensityNormalisation Normalisation { get; init; }

    /// <summary>Voxel spacing in mm the network runs at: (column, row, slice) = (x, y, z).</summary>
    public required double[] TargetSpacing { get; init; }

    /// <summary>Sliding-window tile in voxels, (x, y, z).</summary>
    public required int[] PatchSize { get; init; }

    /// <summary>Fraction of a tile shared with its neighbour, 0 ≤ overlap &lt; 1.</summary>
    public double Overlap { get; init; } = 0.25;

    /// <summary>Each spatial tile size must be a multiple of this (2^levels of down-sampling).</summary>
    public int SpatialDivisor { get; init; } = 1;

    public required ModelOutput Output { get; init; }

    public required IReadOnlyList<ModelClass> Classes { get; init; }

    /// <summary>Probability at or above which a voxel is foreground.</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Connected components smaller than this (mm³) are dropped.</summary>
    public double MinLesionVolumeMm3 { get; init; }

    /// <summary>Optional second pass around each lesion found by the first, on a finer grid; none when absent.</summary>
    public LesionRefinement? Refinement { get; init; }
}

/// <summary>
/// A second inference pass around each lesion candidate: the source is cropped around the candidate, resampled at
/// <see cref="ModelManifest.TargetSpacing"/> / <see cref="Zoom"/> and predicted again, and those probabilities replace
/// the first pass's inside the crop. A lesion a few model voxels across then spans <see cref="Zoom"/> times as many,
/// and its boundary is placed more accurately; what a model gains from it is measured in its model card.
/// </summary>
public sealed record LesionRefinement
{
    /// <summary>How much finer than the model spacing the second pass samples (above 1, at most 4).</summary>
    public double Zoom { get; init; } = 2;

    /// <summary>Context kept around each candidate's bounding box, in mm; the crop is also at least one patch wide.</summary>
    public double MarginMm { get; init; } = 12;

    /// <summary>
    /// Only candidates smaller than this (mm³, as the first pass measured them) are refined; larger lesions keep the
    /// first pass, which already segments them well. No limit when absent.
    /// </summary>
    public double? MaxCandidateVolumeMm3 { get; init; }

    /// <summary>A crop whose fine grid would exceed this many voxels keeps the first pass's probabilities.</summary>
    public int MaxVoxels { get; init; } = 8_000_000;
}

/// <summary>The network input: tensor name, axis layout and patient orientation of the grid.</summary>
public sealed record ModelInput
{
    public required string TensorName { get; init; }

    /// <summary>"NCDHW": D = slices, H = rows, W = columns of the DICOM grid (the only layout this runtime feeds).</summary>
    public string Layout { get; init; } = "NCDHW";

    /// <summary>"LPS": the grid as the DICOM series stores it.</summary>
    public string Orientation { get; init; } = "LPS";

    public int Channels { get; init; } = 1;
}

/// <summary>
/// Intensity normalisation. "window": clip to [AMin, AMax] when <see cref="Clip"/>, then map linearly onto
/// [BMin, BMax] (MONAI ScaleIntensityRanged). "zscore": (v − Mean) / Std, then clip to [BMin, BMax] when Clip.
/// </summary>
public sealed record IntensityNormalisation
{
    public required string Kind { get; init; }

    public double AMin { get; init; }

    public double AMax { get; init; }

    public double BMin { get; init; }

    public double BMax { get; init; } = 1;

    public bool Clip { get; init; } = true;

    public double Mean { get; init; }

    public double Std { get; init; } = 1;
}

/// <summary>The network output: tensor name, whether it is logits or probabilities, and the activation to apply.</summary>
public sealed record ModelOutput
{
    public required string TensorName { get; init; }

    /// <summary>"logits" or "probabilities".</summary>
    public required string Kind { get; init; }

    /// <summary>"sigmoid", "softmax" or "none".</summary>
    public required string Activation { get; init; }
}

/// <summary>A coded concept (PS3.3 §8.8): code value, coding scheme designator, code meaning.</summary>
public sealed record CodedConcept(string Value, string Scheme, string Meaning);

/// <summary>One output class: its channel, label, SNOMED CT category and type (as SEG wants them) and display colour.</summary>
public sealed record ModelClass
{
    public required int Channel { get; init; }

    public required string Label { get; init; }

    public required CodedConcept Category { get; init; }

    public required CodedConcept Type { get; init; }

    /// <summary>Display colour as sRGB "#RRGGBB".</summary>
    public required string Colour { get; init; }
}
