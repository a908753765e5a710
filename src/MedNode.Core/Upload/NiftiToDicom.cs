using System.Globalization;
using MedNode.Core.Imaging.Nifti;
using MedNode.Dicom;

namespace MedNode.Core.Upload;

/// <summary>Identifiers for objects made from an upload (patient and study may be given by the uploader).</summary>
public sealed record UploadIdentity(string PatientId, string PatientName, string StudyInstanceUid, string SeriesInstanceUid, string StudyDescription, string SeriesDescription, DateTimeOffset Now);

/// <summary>
/// Turns a NIfTI-1 volume into a DICOM series, one single-frame image per slice. Geometry comes from the sform or qform
/// (NiftiImage.AffineLps, RAS converted to LPS): Image Position (Patient) is the affine applied to (0, 0, k), Image
/// Orientation (Patient) the normalized i and j columns, Pixel Spacing their lengths (PS3.3 C.7.6.2). Values are stored
/// as signed 16-bit with Rescale Slope/Intercept chosen to hold the volume's range.
/// </summary>
public static class NiftiToDicom
{
    public const string CtImageStorage = "1.2.840.10008.5.1.4.1.1.2";
    public const string MrImageStorage = "1.2.840.10008.5.1.4.1.1.4";

    public static IEnumerable<DicomDataset> Convert(NiftiImage image, string modality, UploadIdentity id)
    {
        var sopClass = modality switch
        {
            "CT" => CtImageStorage,
            "MR" => MrImageStorage,
            _ => throw new UploadRejectedException($"modality '{modality}' is not supported for NIfTI uploads (CT or MR)"),
        };
        var a = image.AffineLps;
        int nx = image.SizeX, ny = image.SizeY, nz = Math.Max(1, image.SizeZ);
        var colI = new[] { a[0], a[4], a[8] };
        var colJ = new[] { a[1], a[5], a[9] };
        var colK = new[] { a[2], a[6], a[10] };
        double si = Norm(colI), sj = Norm(colJ), sk = Norm(colK);
        if (si <= 0 || sj <= 0 || sk <= 0) throw new UploadRejectedException("the NIfTI affine is degenerate (a voxel axis has zero length)");
        var orientation = new[] { colI[0] / si, colI[1] / si, colI[2] / si, colJ[0] / sj, colJ[1] / sj, colJ[2] / sj };

        var data = image.Data;
        var count = (long)nx * ny * nz;
        float min = float.MaxValue, max = float.MinValue;
        for (long v = 0; v < count; v++)
        {
            var x = data[v];
            if (float.IsFinite(x)) { min = Math.Min(min, x); max = Math.Max(max, x); }
        }
        if (min > max) { min = 0; max = 0; }
        var integral = true;
        for (long v = 0; v < count && integral; v++) integral = data[v] == MathF.Round(data[v]);
        double slope = 1, intercept = 0;
        if (!integral || min < short.MinValue || max > short.MaxValue)
        {
            slope = max > min ? (max - (double)min) / 65535.0 : 1;
            intercept = min + (32768 * slope);
        }

        var date = id.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = id.Now.ToString("HHmmss", CultureInfo.InvariantCulture);
        var frameOfReference = DicomImplementation.NewUid();
        for (var k = 0; k < nz; k++)
        {
            var ds = new DicomDataset();
            ds.AddOrUpdate(DicomTags.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
            ds.AddOrUpdate(DicomTags.ImageType, DicomVR.CS, "DERIVED", "SECONDARY", "AXIAL");
            ds.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, sopClass);
            ds.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
            ds.AddOrUpdate(DicomTags.StudyDate, DicomVR.DA, date);
            ds.AddOrUpdate(DicomTags.StudyTime, DicomVR.TM, time);
            ds.AddOrUpdate(DicomTags.ContentDate, DicomVR.DA, date);
            ds.AddOrUpdate(DicomTags.ContentTime, DicomVR.TM, time);
            ds.AddOrUpdate(DicomTags.AccessionNumber, DicomVR.SH, "");
            ds.AddOrUpdate(DicomTags.Modality, DicomVR.CS, modality);
            ds.AddOrUpdate(DicomTags.Manufacturer, DicomVR.LO, "MedNode");
            ds.AddOrUpdate(DicomTags.ReferringPhysicianName, DicomVR.PN, "");
            ds.AddOrUpdate(DicomTags.StudyDescription, DicomVR.LO, id.StudyDescription);
            ds.AddOrUpdate(DicomTags.SeriesDescription, DicomVR.LO, id.SeriesDescription);
            ds.AddOrUpdate(DicomTags.DerivationDescription, DicomVR.ST, "Converted from NIfTI-1 by MedNode");
            ds.AddOrUpdate(DicomTags.PatientName, DicomVR.PN, id.PatientName);
            ds.AddOrUpdate(DicomTags.PatientID, DicomVR.LO, id.PatientId);
            ds.AddOrUpdate(DicomTags.PatientBirthDate, DicomVR.DA, "");
            ds.AddOrUpdate(DicomTags.PatientSex, DicomVR.CS, "");
            ds.AddOrUpdate(DicomTags.SliceThickness, DicomVR.DS, Ds(sk));
            if (modality == "CT") ds.AddOrUpdate(DicomTags.KVP, DicomVR.DS, "");
            else
            {
                ds.AddOrUpdate(DicomTags.ScanningSequence, DicomVR.CS, "RM");
                ds.AddOrUpdate(DicomTags.SequenceVariant, DicomVR.CS, "NONE");
                ds.AddOrUpdate(DicomTags.ScanOptions, DicomVR.CS, "");
                ds.AddOrUpdate(DicomTags.MRAcquisitionType, DicomVR.CS, "3D");
                ds.AddOrUpdate(DicomTags.EchoTime, DicomVR.DS, "");
                ds.AddOrUpdate(DicomTags.EchoTrainLength, DicomVR.IS, "");
                ds.AddOrUpdate(DicomTags.RepetitionTime, DicomVR.DS, "");
            }
            ds.AddOrUpdate(DicomTags.SpacingBetweenSlices, DicomVR.DS, Ds(sk));
            ds.AddOrUpdate(DicomTags.PatientPosition, DicomVR.CS, "");
            ds.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, id.StudyInstanceUid);
            ds.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, id.SeriesInstanceUid);
            ds.AddOrUpdate(DicomTags.StudyID, DicomVR.SH, "");
            ds.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, "1");
            ds.AddOrUpdate(DicomTags.Laterality, DicomVR.CS, "");
            ds.AddOrUpdate(DicomTags.AcquisitionNumber, DicomVR.IS, "1");
            ds.AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, (k + 1).ToString(CultureInfo.InvariantCulture));
            ds.AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, (a[2] * k) + a[3], (a[6] * k) + a[7], (a[10] * k) + a[11]);
            ds.AddOrUpdate(DicomTags.ImageOrientationPatient, DicomVR.DS, orientation);
            ds.AddOrUpdate(DicomTags.FrameOfReferenceUID, DicomVR.UI, frameOfReference);
            ds.AddOrUpdate(DicomTags.PositionReferenceIndicator, DicomVR.LO, "");
            ds.AddOrUpdate(DicomTags.SamplesPerPixel, DicomVR.US, 1d);
            ds.AddOrUpdate(DicomTags.PhotometricInterpretation, DicomVR.CS, "MONOCHROME2");
            ds.AddOrUpdate(DicomTags.Rows, DicomVR.US, ny);
            ds.AddOrUpdate(DicomTags.Columns, DicomVR.US, nx);
            ds.AddOrUpdate(DicomTags.PixelSpacing, DicomVR.DS, sj, si);
            ds.AddOrUpdate(DicomTags.BitsAllocated, DicomVR.US, 16d);
            ds.AddOrUpdate(DicomTags.BitsStored, DicomVR.US, 16d);
            ds.AddOrUpdate(DicomTags.HighBit, DicomVR.US, 15d);
            ds.AddOrUpdate(DicomTags.PixelRepresentation, DicomVR.US, 1d);
            ds.AddOrUpdate(DicomTags.RescaleIntercept, DicomVR.DS, Ds(intercept));
            ds.AddOrUpdate(DicomTags.RescaleSlope, DicomVR.DS, Ds(slope));
            if (modality == "CT") ds.AddOrUpdate(DicomTags.RescaleType, DicomVR.LO, "HU");
            var pixels = new byte[nx * ny * 2];
            var offset = (long)k * nx * ny;
            for (var j = 0; j < ny; j++)
                for (var i = 0; i < nx; i++)
                {
                    var value = data[offset + (j * nx) + i];
                    var stored = float.IsFinite(value) ? Math.Clamp(Math.Round((value - intercept) / slope), short.MinValue, short.MaxValue) : 0;
                    System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(pixels.AsSpan(((j * nx) + i) * 2), (short)stored);
                }
            ds.AddOrUpdate(DicomTags.PixelData, DicomVR.OW, pixels);
            yield return ds;
        }
    }

    private static double Norm(double[] v) => Math.Sqrt((v[0] * v[0]) + (v[1] * v[1]) + (v[2] * v[2]));

    private static string Ds(double v) => DicomValues.FormatDecimalString(v);
}
