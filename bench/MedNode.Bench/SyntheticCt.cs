using MedNode.Dicom;

namespace MedNode.Bench;

/// <summary>Writes a synthetic CT series (CT Image Storage, explicit VR LE, 16-bit signed) for benchmarks.</summary>
public static class SyntheticCt
{
    public static void Write(string dir, int slices = 200, int size = 512)
    {
        Directory.CreateDirectory(dir);
        string study = DicomImplementation.NewUid(), series = DicomImplementation.NewUid(), frame = DicomImplementation.NewUid();
        var pixels = new byte[size * size * 2];
        var rng = new Random(42);
        for (int z = 0; z < slices; z++)
        {
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    double dx = (x - size / 2.0) / (size * 0.4), dy = (y - size / 2.0) / (size * 0.3);
                    short hu = dx * dx + dy * dy < 1 ? (short)(40 + rng.Next(-20, 21)) : (short)-1000;
                    BitConverter.TryWriteBytes(pixels.AsSpan((y * size + x) * 2), (short)(hu + 1024));
                }
            var ds = new DicomDataset()
                .AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 100")
                .AddOrUpdate(DicomTags.ImageType, "ORIGINAL", "PRIMARY", "AXIAL")
                .AddOrUpdate(DicomTags.SOPClassUID, DicomUids.CTImageStorage)
                .AddOrUpdate(DicomTags.SOPInstanceUID, DicomImplementation.NewUid())
                .AddOrUpdate(DicomTags.StudyDate, "20261125")
                .AddOrUpdate(DicomTags.StudyTime, "120000")
                .AddOrUpdate(DicomTags.AccessionNumber, "BENCH1")
                .AddOrUpdate(DicomTags.Modality, "CT")
                .AddOrUpdate(DicomTags.Manufacturer, "MedNode")
                .AddOrUpdate(DicomTags.StudyDescription, "Synthetic benchmark CT")
                .AddOrUpdate(DicomTags.SeriesDescription, "Axial 1.0")
                .AddOrUpdate(DicomTags.PatientName, "Bench^Phantom")
                .AddOrUpdate(DicomTags.PatientID, "BENCH-0001")
                .AddOrUpdate(DicomTags.PatientBirthDate, "19700101")
                .AddOrUpdate(DicomTags.PatientSex, "O")
                .AddOrUpdate(DicomTags.SliceThickness, DicomVR.DS, 1.0)
                .AddOrUpdate(DicomTags.KVP, DicomVR.DS, 120)
                .AddOrUpdate(DicomTags.StudyInstanceUID, study)
                .AddOrUpdate(DicomTags.SeriesInstanceUID, series)
                .AddOrUpdate(DicomTags.StudyID, "1")
                .AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, 1)
                .AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, z + 1)
                .AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, -200, -200, z * 1.0)
                .AddOrUpdate(DicomTags.ImageOrientationPatient, DicomVR.DS, 1, 0, 0, 0, 1, 0)
                .AddOrUpdate(DicomTags.FrameOfReferenceUID, frame)
                .AddOrUpdate(DicomTags.SamplesPerPixel, (ushort)1)
                .AddOrUpdate(DicomTags.PhotometricInterpretation, "MONOCHROME2")
                .AddOrUpdate(DicomTags.Rows, (ushort)size)
                .AddOrUpdate(DicomTags.Columns, (ushort)size)
                .AddOrUpdate(DicomTags.PixelSpacing, DicomVR.DS, 400.0 / size, 400.0 / size)
                .AddOrUpdate(DicomTags.BitsAllocated, (ushort)16)
                .AddOrUpdate(DicomTags.BitsStored, (ushort)16)
                .AddOrUpdate(DicomTags.HighBit, (ushort)15)
                .AddOrUpdate(DicomTags.PixelRepresentation, (ushort)0)
                .AddOrUpdate(DicomTags.RescaleIntercept, DicomVR.DS, -1024)
                .AddOrUpdate(DicomTags.RescaleSlope, DicomVR.DS, 1)
                .AddOrUpdate(DicomTags.PixelData, DicomVR.OW, pixels);
            using var fs = File.Create(Path.Combine(dir, $"ct{z + 1:D4}.dcm"));
            DicomFileWriter.Write(fs, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        }
    }
}
