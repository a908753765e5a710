using System.Buffers.Binary;
using System.Globalization;
using MedNode.Dicom;

namespace MedNode.Core.Upload;

/// <summary>
/// A Secondary Capture Image (PS3.3 A.8.1) from a PNG (decoded, stored native) or a JPEG (its bitstream encapsulated
/// as-is: baseline process 1 as 1.2.840.10008.1.2.4.50, extended process 2/4 as .51; PS3.5 §8.2.1, §A.4.1).
/// </summary>
public static class SecondaryCaptureFromImage
{
    public const string SecondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7";

    public static (DicomDataset Dataset, DicomTransferSyntax TransferSyntax) FromPng(Raster raster, UploadIdentity id)
    {
        var ds = Common(id);
        Pixel(ds, raster.Width, raster.Height, raster.Samples, raster.BitsPerSample, raster.Samples == 3 ? "RGB" : "MONOCHROME2");
        var pixels = raster.Pixels;
        if (raster.BitsPerSample == 16 && !BitConverter.IsLittleEndian)
            for (var i = 0; i < pixels.Length; i += 2) (pixels[i], pixels[i + 1]) = (pixels[i + 1], pixels[i]);
        ds.AddOrUpdate(DicomTags.PixelData, raster.BitsPerSample == 16 ? DicomVR.OW : DicomVR.OB, pixels);
        return (ds, DicomTransferSyntax.ExplicitVRLittleEndian);
    }

    public static (DicomDataset Dataset, DicomTransferSyntax TransferSyntax) FromJpeg(byte[] jpeg, UploadIdentity id)
    {
        var sof = ReadFrameHeader(jpeg);
        var ts = sof.Marker switch
        {
            0xC0 => DicomTransferSyntax.Lookup("1.2.840.10008.1.2.4.50"),
            0xC1 => DicomTransferSyntax.Lookup("1.2.840.10008.1.2.4.51"),
            _ => throw new UploadRejectedException($"JPEG process SOF{sof.Marker - 0xC0} is not supported (baseline or extended sequential only)", unsupportedMediaType: true),
        };
        if (sof.Components is not (1 or 3)) throw new UploadRejectedException($"a JPEG with {sof.Components} components is not supported");
        var ds = Common(id);
        var photometric = sof.Components == 1 ? "MONOCHROME2" : sof.Subsampled ? "YBR_FULL_422" : "YBR_FULL";
        Pixel(ds, sof.Width, sof.Height, sof.Components, sof.Precision, photometric);
        ds.AddOrUpdate(DicomTags.LossyImageCompression, DicomVR.CS, "01");
        ds.AddOrUpdate(DicomTags.LossyImageCompressionMethod, DicomVR.CS, "ISO_10918_1");
        var fragment = jpeg.Length % 2 == 0 ? jpeg : [.. jpeg, 0];
        var encapsulated = new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB);
        encapsulated.Fragments.Add(new MedNode.Dicom.Buffers.MemoryByteBuffer(fragment));
        ds.Add(encapsulated);
        return (ds, ts);
    }

    private static DicomDataset Common(UploadIdentity id)
    {
        var ds = new DicomDataset();
        var date = id.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = id.Now.ToString("HHmmss", CultureInfo.InvariantCulture);
        ds.AddOrUpdate(DicomTags.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        ds.AddOrUpdate(DicomTags.ImageType, DicomVR.CS, "DERIVED", "SECONDARY");
        ds.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, SecondaryCaptureImageStorage);
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
        ds.AddOrUpdate(DicomTags.StudyDate, DicomVR.DA, date);
        ds.AddOrUpdate(DicomTags.StudyTime, DicomVR.TM, time);
        ds.AddOrUpdate(DicomTags.ContentDate, DicomVR.DA, date);
        ds.AddOrUpdate(DicomTags.ContentTime, DicomVR.TM, time);
        ds.AddOrUpdate(DicomTags.AccessionNumber, DicomVR.SH, "");
        ds.AddOrUpdate(DicomTags.Modality, DicomVR.CS, "OT");
        ds.AddOrUpdate(DicomTags.ConversionType, DicomVR.CS, "WSD");
        ds.AddOrUpdate(DicomTags.ReferringPhysicianName, DicomVR.PN, "");
        ds.AddOrUpdate(DicomTags.StudyDescription, DicomVR.LO, id.StudyDescription);
        ds.AddOrUpdate(DicomTags.SeriesDescription, DicomVR.LO, id.SeriesDescription);
        ds.AddOrUpdate(DicomTags.PatientName, DicomVR.PN, id.PatientName);
        ds.AddOrUpdate(DicomTags.PatientID, DicomVR.LO, id.PatientId);
        ds.AddOrUpdate(DicomTags.PatientBirthDate, DicomVR.DA, "");
        ds.AddOrUpdate(DicomTags.PatientSex, DicomVR.CS, "");
        ds.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, id.StudyInstanceUid);
        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, id.SeriesInstanceUid);
        ds.AddOrUpdate(DicomTags.StudyID, DicomVR.SH, "");
        ds.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, "1");
        ds.AddOrUpdate(DicomTags.Laterality, DicomVR.CS, "");
        ds.AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, "1");
        ds.AddOrUpdate(DicomTags.PatientOrientation, DicomVR.CS, "");
        return ds;
    }

    private static void Pixel(DicomDataset ds, int width, int height, int samples, int bits, string photometric)
    {
        if (width > ushort.MaxValue || height > ushort.MaxValue) throw new UploadRejectedException($"an image of {width}x{height} exceeds DICOM's 65535 rows or columns");
        ds.AddOrUpdate(DicomTags.SamplesPerPixel, DicomVR.US, samples);
        ds.AddOrUpdate(DicomTags.PhotometricInterpretation, DicomVR.CS, photometric);
        if (samples == 3) ds.AddOrUpdate(DicomTags.PlanarConfiguration, DicomVR.US, 0d);
        ds.AddOrUpdate(DicomTags.Rows, DicomVR.US, height);
        ds.AddOrUpdate(DicomTags.Columns, DicomVR.US, width);
        ds.AddOrUpdate(DicomTags.BitsAllocated, DicomVR.US, bits > 8 ? 16 : 8);
        ds.AddOrUpdate(DicomTags.BitsStored, DicomVR.US, bits);
        ds.AddOrUpdate(DicomTags.HighBit, DicomVR.US, bits - 1);
        ds.AddOrUpdate(DicomTags.PixelRepresentation, DicomVR.US, 0d);
    }

    private readonly record struct FrameHeader(int Marker, int Precision, int Height, int Width, int Components, bool Subsampled);

    /// <summary>Finds the SOFn marker segment (ISO/IEC 10918-1 §B.2.2), skipping the others by their lengths.</summary>
    private static FrameHeader ReadFrameHeader(byte[] jpeg)
    {
        var p = 2;
        while (p + 4 <= jpeg.Length)
        {
            if (jpeg[p] != 0xFF) throw new UploadRejectedException("the JPEG file is malformed (no marker where one was expected)");
            var marker = jpeg[p + 1];
            if (marker == 0xFF) { p++; continue; }
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(p + 2));
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (p + 2 + length > jpeg.Length || length < 8) break;
                var s = jpeg.AsSpan(p + 4);
                var components = s[5];
                var subsampled = false;
                for (var c = 0; c < components && 6 + (c * 3) + 1 < length; c++)
                    if (s[6 + (c * 3) + 1] != s[7]) subsampled = true;
                return new FrameHeader(marker, s[0], BinaryPrimitives.ReadUInt16BigEndian(s[1..]), BinaryPrimitives.ReadUInt16BigEndian(s[3..]), components, subsampled);
            }
            p += 2 + length;
        }
        throw new UploadRejectedException("the JPEG file is truncated or has no frame header");
    }
}
