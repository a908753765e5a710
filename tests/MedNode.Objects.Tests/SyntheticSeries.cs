using System.Globalization;
using MedNode.Dicom;
using MedNode.Dicom.Objects.Segmentation;

namespace MedNode.Objects.Tests;

/// <summary>Builds small CT series in memory: single-frame CT Image IOD instances (PS3.3 A.3) or one multi-frame
/// Enhanced CT-like header with functional groups, on a known grid, and masks from analytic shapes.</summary>
internal static class SyntheticSeries
{
    public static readonly double[] AxialOrientation = [1, 0, 0, 0, 1, 0];

    public static List<DicomDataset> CtSlices(int slices, int rows, int columns, double rowSpacing, double columnSpacing, double sliceSpacing,
        double[]? orientation = null, string? frameOfReference = null)
    {
        orientation ??= AxialOrientation;
        string study = DicomImplementation.NewUid(), series = DicomImplementation.NewUid(), forUid = frameOfReference ?? DicomImplementation.NewUid();
        var normal = new[] { orientation[1] * orientation[5] - orientation[2] * orientation[4], orientation[2] * orientation[3] - orientation[0] * orientation[5], orientation[0] * orientation[4] - orientation[1] * orientation[3] };
        var list = new List<DicomDataset>();
        for (int z = 0; z < slices; z++)
        {
            var ds = new DicomDataset();
            ds.AddOrUpdate(DicomTags.SpecificCharacterSet, DicomVR.CS, "ISO_IR 100");
            ds.AddOrUpdate(DicomTags.ImageType, DicomVR.CS, "ORIGINAL", "PRIMARY", "AXIAL");
            ds.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, DicomUids.CTImageStorage);
            ds.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
            ds.AddOrUpdate(DicomTags.StudyDate, DicomVR.DA, "20260101");
            ds.AddOrUpdate(DicomTags.StudyTime, DicomVR.TM, "101500");
            ds.AddOrUpdate(DicomTags.AccessionNumber, DicomVR.SH, "ACC0001");
            ds.AddOrUpdate(DicomTags.Modality, DicomVR.CS, "CT");
            ds.AddOrUpdate(DicomTags.Manufacturer, DicomVR.LO, "Synthetic");
            ds.AddOrUpdate(DicomTags.ReferringPhysicianName, DicomVR.PN, "");
            ds.AddOrUpdate(DicomTags.PatientName, DicomVR.PN, "Test^Patient");
            ds.AddOrUpdate(DicomTags.PatientID, DicomVR.LO, "P0001");
            ds.AddOrUpdate(DicomTags.PatientBirthDate, DicomVR.DA, "19700101");
            ds.AddOrUpdate(DicomTags.PatientSex, DicomVR.CS, "O");
            ds.AddOrUpdate(DicomTags.SliceThickness, DicomVR.DS, sliceSpacing);
            ds.AddOrUpdate(DicomTags.KVP, DicomVR.DS, 120);
            ds.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, study);
            ds.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, series);
            ds.AddOrUpdate(DicomTags.StudyID, DicomVR.SH, "S1");
            ds.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, "1");
            ds.AddOrUpdate(DicomTags.AcquisitionNumber, DicomVR.IS, "1");
            ds.AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, (z + 1).ToString(CultureInfo.InvariantCulture));
            ds.AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, -100 + z * sliceSpacing * normal[0], -120 + z * sliceSpacing * normal[1], -50 + z * sliceSpacing * normal[2]);
            ds.AddOrUpdate(DicomTags.ImageOrientationPatient, DicomVR.DS, orientation);
            ds.AddOrUpdate(DicomTags.FrameOfReferenceUID, DicomVR.UI, forUid);
            ds.AddOrUpdate(DicomTags.PositionReferenceIndicator, DicomVR.LO, "");
            ds.AddOrUpdate(DicomTags.SamplesPerPixel, (ushort)1);
            ds.AddOrUpdate(DicomTags.PhotometricInterpretation, DicomVR.CS, "MONOCHROME2");
            ds.AddOrUpdate(DicomTags.Rows, (ushort)rows);
            ds.AddOrUpdate(DicomTags.Columns, (ushort)columns);
            ds.AddOrUpdate(DicomTags.PixelSpacing, DicomVR.DS, rowSpacing, columnSpacing);
            ds.AddOrUpdate(DicomTags.BitsAllocated, (ushort)16);
            ds.AddOrUpdate(DicomTags.BitsStored, (ushort)16);
            ds.AddOrUpdate(DicomTags.HighBit, (ushort)15);
            ds.AddOrUpdate(DicomTags.PixelRepresentation, (ushort)1);
            ds.AddOrUpdate(DicomTags.WindowCenter, DicomVR.DS, 40);
            ds.AddOrUpdate(DicomTags.WindowWidth, DicomVR.DS, 400);
            ds.AddOrUpdate(DicomTags.RescaleIntercept, DicomVR.DS, 0);
            ds.AddOrUpdate(DicomTags.RescaleSlope, DicomVR.DS, 1);
            ds.AddOrUpdate(DicomTags.RescaleType, DicomVR.LO, "HU");
            ds.AddOrUpdate(DicomTags.PixelData, DicomVR.OW, new byte[rows * columns * 2]);
            list.Add(ds);
        }
        return list;
    }

    /// <summary>The same grid as one multi-frame header: Shared Pixel Measures and Plane Orientation, per-frame Plane Position.</summary>
    public static DicomDataset MultiFrame(IReadOnlyList<DicomDataset> slices)
    {
        var first = slices[0];
        var ds = new DicomDataset();
        foreach (var tag in new[] { DicomTags.SpecificCharacterSet, DicomTags.StudyDate, DicomTags.StudyTime, DicomTags.AccessionNumber, DicomTags.Modality,
                     DicomTags.ReferringPhysicianName, DicomTags.PatientName, DicomTags.PatientID, DicomTags.PatientBirthDate, DicomTags.PatientSex,
                     DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.StudyID, DicomTags.SeriesNumber, DicomTags.FrameOfReferenceUID,
                     DicomTags.Rows, DicomTags.Columns })
            ds.Add(first[tag]!);
        ds.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, DicomUids.EnhancedCTImageStorage);
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
        ds.AddOrUpdate(DicomTags.NumberOfFrames, DicomVR.IS, slices.Count.ToString(CultureInfo.InvariantCulture));
        var measures = new DicomDataset();
        measures.Add(first[DicomTags.PixelSpacing]!);
        measures.Add(first[DicomTags.SliceThickness]!);
        var orientation = new DicomDataset();
        orientation.Add(first[DicomTags.ImageOrientationPatient]!);
        var shared = new DicomDataset();
        shared.AddOrUpdate(DicomTags.PixelMeasuresSequence, measures);
        shared.AddOrUpdate(DicomTags.PlaneOrientationSequence, orientation);
        ds.AddOrUpdate(DicomTags.SharedFunctionalGroupsSequence, shared);
        ds.AddOrUpdate(DicomTags.PerFrameFunctionalGroupsSequence, slices.Select(s =>
        {
            var position = new DicomDataset();
            position.Add(s[DicomTags.ImagePositionPatient]!);
            var item = new DicomDataset();
            item.AddOrUpdate(DicomTags.PlanePositionSequence, position);
            return item;
        }).ToArray());
        return ds;
    }

    /// <summary>A ball (in voxel units, per axis radii) as a mask: one byte[] per slice.</summary>
    public static byte[][] Ellipsoid(int slices, int rows, int columns, double cz, double cy, double cx, double rz, double ry, double rx)
    {
        var mask = new byte[slices][];
        for (int z = 0; z < slices; z++)
        {
            mask[z] = new byte[rows * columns];
            for (int y = 0; y < rows; y++)
            for (int x = 0; x < columns; x++)
            {
                double d = Math.Pow((z - cz) / rz, 2) + Math.Pow((y - cy) / ry, 2) + Math.Pow((x - cx) / rx, 2);
                if (d <= 1) mask[z][y * columns + x] = 1;
            }
        }
        return mask;
    }

    public static SegmentDefinition Segment(int n, byte[][] mask) => new()
    {
        Label = "Lesion " + n.ToString(CultureInfo.InvariantCulture),
        TrackingId = "LESION-" + n.ToString(CultureInfo.InvariantCulture),
        TrackingUid = DicomImplementation.NewUid(),
        AlgorithmName = "MedNode test model",
        AlgorithmVersion = "1.0.0",
        AlgorithmSource = "sha256:0123456789abcdef",
        CieLab = [40000, 45000, 30000],
        Mask = mask,
    };
}
