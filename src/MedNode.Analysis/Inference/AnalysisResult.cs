using MedNode.Analysis.Assembly;
using MedNode.Analysis.Measurements;
using MedNode.Analysis.Models;
using MedNode.Analysis.Quality;
using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Inference;

/// <summary>How an analysis ended.</summary>
public enum AnalysisStatus
{
    /// <summary>The model ran; <see cref="AnalysisResult.Lesions"/> holds what it found (possibly nothing).</summary>
    Completed,

    /// <summary>The series is unsuitable for the model (assembly or quality gate); see <see cref="AnalysisResult.Reason"/>.</summary>
    Skipped,

    /// <summary>The model ran but its output cannot be trusted (e.g. NaN/Inf); see <see cref="AnalysisResult.Reason"/>.</summary>
    Failed,
}

/// <summary>Which model produced a result.</summary>
public sealed record ModelIdentity(string Id, string Version, string Sha256);

/// <summary>
/// The time one stage of the pipeline took, and the CPU time the whole process used meanwhile (every thread: the
/// stage's own and whatever else the process ran then), when measured. CPU well above wall time means parallel work;
/// wall time well above CPU means the stage waited (for the processor, the disk or a lock). <see cref="KernelCpu"/> is
/// the part spent in the kernel (page faults on memory newly taken from the system, file reads).
/// </summary>
public sealed record StageTiming(string Stage, TimeSpan Elapsed, TimeSpan? ProcessCpu = null, TimeSpan? KernelCpu = null);

/// <summary>
/// One lesion: a 26-connected component of the thresholded probability map, on the source grid.
/// <see cref="Mask"/> is cropped to <see cref="BoxInSource"/>: its voxel (x, y, z) is source voxel
/// (x + Box.MinX, y + Box.MinY, z + Box.MinZ), and its geometry is the source grid's, cropped.
/// </summary>
public sealed record DetectedLesion(
    int Number,
    ModelClass Class,
    Volume<byte> Mask,
    VoxelBox BoxInSource,
    double MeanProbability,
    LesionMeasurements Measurements);

/// <summary>The outcome of analysing one series with one model.</summary>
public sealed record AnalysisResult
{
    public required AnalysisStatus Status { get; init; }

    /// <summary>Why the series was skipped or the analysis failed; null when completed.</summary>
    public string? Reason { get; init; }

    public required ModelIdentity Model { get; init; }

    /// <summary>Execution provider used: "cuda" or "cpu".</summary>
    public required string Device { get; init; }

    /// <summary>Null when the series could not be assembled.</summary>
    public QualityReport? Quality { get; init; }

    /// <summary>The grid of the assembled series (null when it could not be assembled).</summary>
    public VolumeGeometry? SourceGeometry { get; init; }

    /// <summary>Source SOP instance and frame of each slice of <see cref="SourceGeometry"/>.</summary>
    public IReadOnlyList<SliceSource> Slices { get; init; } = [];

    public IReadOnlyList<DetectedLesion> Lesions { get; init; } = [];

    public IReadOnlyList<StageTiming> Timings { get; init; } = [];
}
