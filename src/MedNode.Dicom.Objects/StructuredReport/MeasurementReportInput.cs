using MedNode.Dicom.Objects.Coding;

namespace MedNode.Dicom.Objects.StructuredReport;

/// <summary>A point in the patient coordinate system (mm), PS3.3 C.7.6.2.1.1.</summary>
public readonly record struct PatientPoint(double X, double Y, double Z);

/// <summary>RECIST long and short axes of a lesion on its key slice, in patient coordinates.</summary>
/// <param name="KeyFrameIndex">Index of the key frame among the source frames (the order of <see cref="Segmentation.SourceGeometry.Frames"/>).</param>
public sealed record RecistAxes(int KeyFrameIndex, double LongAxisMm, PatientPoint LongAxisFrom, PatientPoint LongAxisTo,
    double ShortAxisMm, PatientPoint ShortAxisFrom, PatientPoint ShortAxisTo);

/// <summary>
/// An SR document this one replaces, by its study, series and SOP (the Hierarchical SOP Instance Reference Macro, PS3.3
/// Table C.17-3), for the Predecessor Documents Sequence (0040,A360) of the SR Document General Module (PS3.3 C.17.2).
/// </summary>
public sealed record SrDocumentReference(string StudyInstanceUid, string SeriesInstanceUid, string SopClassUid, string SopInstanceUid);

/// <summary>An in-plane bounding box on the key frame, in pixel indices (inclusive).</summary>
public readonly record struct PixelBox(int MinColumn, int MinRow, int MaxColumn, int MaxRow);

/// <summary>One lesion's measurements: a TID 1411 volumetric group and, with <see cref="Recist"/>, a TID 1410 planar group.</summary>
public sealed record LesionReport
{
    public required string TrackingId { get; init; }
    public required string TrackingUid { get; init; }
    public CodedConcept Finding { get; init; } = Codes.Neoplasm;
    /// <summary>The segment of the referenced SEG that delineates this lesion.</summary>
    public required int SegmentNumber { get; init; }
    /// <summary>The lesion's volume, (118565006, SCT, "Volume"): the producer's best estimate. MedNode writes its
    /// partial-volume estimate here when the model gives one, otherwise the mesh volume.</summary>
    public required double VolumeMm3 { get; init; }
    /// <summary>IBSI "Volume of Mesh" (RNU0), when given.</summary>
    public double? VolumeOfMeshMm3 { get; init; }
    /// <summary>IBSI "Volume from Voxel Summation" (YEKZ), when given.</summary>
    public double? VolumeFromVoxelSummationMm3 { get; init; }
    public required double SurfaceAreaMm2 { get; init; }
    public required double Sphericity { get; init; }
    public required double Maximum3DDiameterMm { get; init; }
    public required double Elongation { get; init; }
    public required double Flatness { get; init; }
    public RecistAxes? Recist { get; init; }
    /// <summary>Bounding box on the key frame of <see cref="Recist"/>; written as a closed POLYLINE Image Region.</summary>
    public PixelBox? BoundingBox { get; init; }
}

/// <summary>What a TID 1500 Measurement Report is built from.</summary>
public sealed class MeasurementReportInput
{
    /// <summary>The source images' data sets (the image library and the evidence).</summary>
    public required IReadOnlyList<DicomDataset> SourceImages { get; init; }

    /// <summary>The SEG whose segments the volumetric groups reference.</summary>
    public required DicomDataset Segmentation { get; init; }

    public required IReadOnlyList<LesionReport> Lesions { get; init; }

    public CodedConcept ProcedureReported { get; init; } = Codes.ComputedTomography;

    public required string AlgorithmName { get; init; }

    public required string AlgorithmVersion { get; init; }

    /// <summary>Device Observer UID (TID 1004); MedNode's implementation class UID by default.</summary>
    public string DeviceObserverUid { get; init; } = DicomImplementation.ClassUid;

    public string DeviceObserverName { get; init; } = "MedNode";

    public string SeriesDescription { get; init; } = "MedNode AI measurements";

    public int SeriesNumber { get; init; } = 9002;

    public int InstanceNumber { get; init; } = 1;

    public string DeviceSerialNumber { get; init; } = "MEDNODE-0001";

    /// <summary>
    /// The earlier reports this one replaces (a new analysis version of the same input): written as the Predecessor
    /// Documents Sequence (0040,A360, PS3.3 C.17.2), so a viewer or PACS can tell this report supersedes them. Empty: none.
    /// </summary>
    public IReadOnlyList<SrDocumentReference> PredecessorDocuments { get; init; } = [];
}
