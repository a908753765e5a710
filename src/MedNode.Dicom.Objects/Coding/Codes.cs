namespace MedNode.Dicom.Objects.Coding;

/// <summary>
/// The coded concepts MedNode writes into SEG and SR objects, each with the context group or template row it comes
/// from (PS3.16). Units are UCUM (PS3.16 CID 7181 / CID 82).
/// </summary>
public static class Codes
{
    // ---- Segmentation (PS3.3 C.8.20, C.7.6.16.2.6) ----
    /// <summary>PS3.16 CID 7202: purpose of reference for a segmentation's source image.</summary>
    public static readonly CodedConcept SourceImageForImageProcessingOperation = new("121322", "DCM", "Source image for image processing operation");
    /// <summary>PS3.16 CID 7203: derivation code of a segmentation frame.</summary>
    public static readonly CodedConcept Segmentation = new("113076", "DCM", "Segmentation");
    /// <summary>PS3.16 CID 7162 "Surface Processing Algorithm Families" (also dcm4che2's org.dcm4che2.code.SurfaceProcessingAlgorithmFamilies).</summary>
    public static readonly CodedConcept ArtificialIntelligence = new("123110", "DCM", "Artificial Intelligence");
    /// <summary>PS3.16 CID 7150: segmentation property category.</summary>
    public static readonly CodedConcept MorphologicallyAbnormalStructure = new("49755003", "SCT", "Morphologically abnormal structure");
    /// <summary>PS3.16 CID 7151-series: segmentation property type.</summary>
    public static readonly CodedConcept Neoplasm = new("108369006", "SCT", "Neoplasm");

    // ---- TID 1500 Measurement Report and its sub-templates ----
    public static readonly CodedConcept ImagingMeasurementReport = new("126000", "DCM", "Imaging Measurement Report");
    public static readonly CodedConcept LanguageOfContentItemAndDescendants = new("121049", "DCM", "Language of Content Item and Descendants");
    public static readonly CodedConcept EnglishUnitedStates = new("en-US", "RFC5646", "English (United States)");
    public static readonly CodedConcept ObserverType = new("121005", "DCM", "Observer Type");
    public static readonly CodedConcept Device = new("121007", "DCM", "Device");
    public static readonly CodedConcept DeviceObserverUid = new("121012", "DCM", "Device Observer UID");
    public static readonly CodedConcept DeviceObserverName = new("121013", "DCM", "Device Observer Name");
    public static readonly CodedConcept DeviceObserverManufacturer = new("121014", "DCM", "Device Observer Manufacturer");
    public static readonly CodedConcept DeviceObserverModelName = new("121015", "DCM", "Device Observer Model Name");
    public static readonly CodedConcept ProcedureReported = new("121058", "DCM", "Procedure reported");
    /// <summary>PS3.16 CID 100 example: CT of the body.</summary>
    public static readonly CodedConcept ComputedTomography = new("77477000", "SCT", "CT");
    public static readonly CodedConcept ImageLibrary = new("111028", "DCM", "Image Library");
    public static readonly CodedConcept ImageLibraryGroup = new("126200", "DCM", "Image Library Group");
    public static readonly CodedConcept ImagingMeasurements = new("126010", "DCM", "Imaging Measurements");
    public static readonly CodedConcept MeasurementGroup = new("125007", "DCM", "Measurement Group");
    public static readonly CodedConcept TrackingIdentifier = new("112039", "DCM", "Tracking Identifier");
    public static readonly CodedConcept TrackingUniqueIdentifier = new("112040", "DCM", "Tracking Unique Identifier");
    public static readonly CodedConcept Finding = new("121071", "DCM", "Finding");
    /// <summary>TID 1411 row 7.</summary>
    public static readonly CodedConcept ReferencedSegment = new("121191", "DCM", "Referenced Segment");
    /// <summary>TID 1411 row 9.</summary>
    public static readonly CodedConcept SourceSeriesForSegmentation = new("121232", "DCM", "Source series for segmentation");
    /// <summary>TID 1410 row 7.</summary>
    public static readonly CodedConcept ImageRegion = new("111030", "DCM", "Image Region");
    /// <summary>TID 1410: the ROI as a frame of a segment of a Segmentation (the alternative to an Image Region).</summary>
    public static readonly CodedConcept ReferencedSegmentationFrame = new("121214", "DCM", "Referenced Segmentation Frame");
    /// <summary>TID 1410: the source image of a <see cref="ReferencedSegmentationFrame"/>.</summary>
    public static readonly CodedConcept SourceImageForSegmentation = new("121233", "DCM", "Source image for segmentation");
    /// <summary>TID 4019 Algorithm Identification.</summary>
    public static readonly CodedConcept AlgorithmName = new("111001", "DCM", "Algorithm Name");
    public static readonly CodedConcept AlgorithmVersion = new("111003", "DCM", "Algorithm Version");

    // ---- Measurements (TID 1419; PS3.16 CID 7470-series) ----
    /// <summary>PS3.16 CID 7469/7472: volume.</summary>
    public static readonly CodedConcept Volume = new("118565006", "SCT", "Volume");
    /// <summary>PS3.16 CID 7472 "Volume" (IBSI feature RNU0): the volume enclosed by the marching-cubes mesh.</summary>
    public static readonly CodedConcept VolumeOfMesh = new("RNU0", "IBSI", "Volume of Mesh");
    /// <summary>PS3.16 CID 7472 "Volume" (IBSI feature YEKZ): voxel count times voxel volume.</summary>
    public static readonly CodedConcept VolumeFromVoxelSummation = new("YEKZ", "IBSI", "Volume from Voxel Summation");
    /// <summary>PS3.16 CID 7477 "Global Shape Descriptor" (IBSI feature C0JK).</summary>
    public static readonly CodedConcept SurfaceAreaOfMesh = new("C0JK", "IBSI", "Surface Area of Mesh");
    /// <summary>PS3.16 CID 7477 (IBSI feature QCFX).</summary>
    public static readonly CodedConcept Sphericity = new("QCFX", "IBSI", "Sphericity");
    /// <summary>PS3.16 CID 7477 (IBSI feature L0JK).</summary>
    public static readonly CodedConcept Maximum3DDiameterOfAMesh = new("L0JK", "IBSI", "Maximum 3D Diameter of a Mesh");
    /// <summary>PS3.16 CID 7477 (IBSI feature Q3CK).</summary>
    public static readonly CodedConcept Elongation = new("Q3CK", "IBSI", "Elongation");
    /// <summary>PS3.16 CID 7477 (IBSI feature N17B).</summary>
    public static readonly CodedConcept Flatness = new("N17B", "IBSI", "Flatness");
    /// <summary>PS3.16 CID 7470 "Linear Measurements": RECIST long axis.</summary>
    public static readonly CodedConcept LongAxis = new("103339001", "SCT", "Long Axis");
    /// <summary>PS3.16 CID 7470: RECIST short axis.</summary>
    public static readonly CodedConcept ShortAxis = new("103340004", "SCT", "Short Axis");

    // ---- UCUM units ----
    public static readonly CodedConcept CubicMillimeter = new("mm3", "UCUM", "cubic millimeter");
    public static readonly CodedConcept SquareMillimeter = new("mm2", "UCUM", "square millimeter");
    public static readonly CodedConcept Millimeter = new("mm", "UCUM", "millimeter");
    public static readonly CodedConcept NoUnits = new("1", "UCUM", "no units");

    // ---- Key Object Selection (TID 2010) ----
    /// <summary>PS3.16 CID 7010 "Key Object Selection Document Title".</summary>
    public static readonly CodedConcept OfInterest = new("113000", "DCM", "Of Interest");
    /// <summary>TID 2010 row 3.</summary>
    public static readonly CodedConcept KeyObjectDescription = new("113012", "DCM", "Key Object Description");
}
