using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Assembly;

/// <summary>The source of one slice of an assembled volume: a SOP instance and a frame (0-based) within it.</summary>
public sealed record SliceSource(string SopInstanceUid, int FrameIndex);

/// <summary>
/// One 2D frame found in a series, with the Image Plane attributes of PS3.3 C.7.6.2 (or, for enhanced
/// multi-frame images, the Plane Position, Plane Orientation and Pixel Measures functional groups of
/// PS3.3 C.7.6.16.2) and a deferred loader for its modality values.
/// </summary>
internal sealed record SliceCandidate(
    SliceSource Source,
    Vec3 Position,
    Vec3 RowDirection,
    Vec3 ColumnDirection,
    double RowSpacing,
    double ColumnSpacing,
    int Rows,
    int Columns,
    string? FrameOfReferenceUid,
    string Modality,
    string? SeriesInstanceUid,
    double GantryTilt,
    Func<SliceFrame> Load);

/// <summary>The modality values (e.g. HU) of one frame, x fastest, and how many of them were Pixel Padding Value.</summary>
internal sealed record SliceFrame(float[] Values, int PaddingCount);
