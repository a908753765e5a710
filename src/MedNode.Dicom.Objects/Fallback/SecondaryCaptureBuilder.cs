using MedNode.Dicom.Imaging;
using MedNode.Dicom.Objects.Coding;
using MedNode.Dicom.Objects.Common;
using MedNode.Dicom.Objects.Segmentation;

namespace MedNode.Dicom.Objects.Fallback;

/// <summary>
/// Builds a Secondary Capture Image (PS3.3 A.8.1) for PACS that cannot show SEG: the key slice rendered with the
/// source window to RGB, the lesion outline and RECIST axes burned in, measurement text, and a
/// "NOT FOR DIAGNOSTIC USE" banner; Burned In Annotation (0028,0301) is YES.
/// </summary>
public sealed class SecondaryCaptureBuilder(TimeProvider time)
{
    public const string Banner = "NOT FOR DIAGNOSTIC USE";
    /// <summary>Colours: outline red, axes green, text yellow.</summary>
    public static readonly byte[] OutlineColour = [255, 0, 0], AxisColour = [0, 255, 0], TextColour = [255, 255, 0];

    public DicomDataset Build(SecondaryCaptureInput input)
    {
        var geometry = SourceGeometry.FromImages(input.SourceImages);
        if (input.KeyFrameIndex < 0 || input.KeyFrameIndex >= geometry.Frames.Count) throw new ResultGeometryException("the key frame is outside the source series");
        int rows = geometry.Rows, columns = geometry.Columns;
        if (input.KeySliceMask.Length != rows * columns) throw new ResultGeometryException("the key slice mask is not Rows x Columns: voxels out of bounds");
        var frame = geometry.Frames[input.KeyFrameIndex];
        var image = input.SourceImages.First(i => i.GetString(DicomTags.SOPInstanceUID) == frame.SopInstanceUid);
        var pixels = DicomPixelData.Create(image) ?? throw new DicomValueException("the key image has no pixel data");
        var values = pixels.GetModalityValues(pixels.GetFrame(Math.Max(0, frame.FrameNumber - 1)));
        var (center, width) = input.Window ?? (image.GetDouble(DicomTags.WindowCenter) ?? 40, image.GetDouble(DicomTags.WindowWidth) ?? 400);

        var rgb = new byte[rows * columns * 3];
        for (int i = 0; i < rows * columns; i++)
        {
            // Linear VOI LUT function (PS3.3 C.11.2.1.2.1).
            double v = ((values[i] - (center - 0.5)) / Math.Max(1, width - 1) + 0.5) * 255;
            rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = (byte)Math.Clamp(Math.Round(v), 0, 255);
        }
        var mask = input.KeySliceMask;
        for (int y = 0; y < rows; y++)
        for (int x = 0; x < columns; x++)
            if (mask[y * columns + x] != 0 && (x == 0 || y == 0 || x == columns - 1 || y == rows - 1
                    || mask[y * columns + x - 1] == 0 || mask[y * columns + x + 1] == 0 || mask[(y - 1) * columns + x] == 0 || mask[(y + 1) * columns + x] == 0))
                Set(rgb, columns, rows, x, y, OutlineColour);
        if (input.Recist is { } r)
        {
            foreach (var (a, b) in new[] { (r.LongAxisFrom, r.LongAxisTo), (r.ShortAxisFrom, r.ShortAxisTo) })
            {
                var (x0, y0) = geometry.ToPixel(frame, [a.X, a.Y, a.Z]);
                var (x1, y1) = geometry.ToPixel(frame, [b.X, b.Y, b.Z]);
                Line(rgb, columns, rows, x0, y0, x1, y1);
            }
        }
        DrawText(rgb, columns, rows, 2, 2, Banner);
        for (int i = 0; i < input.Text.Count; i++) DrawText(rgb, columns, rows, 2, 2 + (i + 1) * (BitmapFont.Height + 3), input.Text[i]);

        var now = time.GetLocalNow();
        var sc = new DicomDataset();
        DerivedModules.CopyPatientAndStudy(geometry.FirstImage, sc);
        DerivedModules.AddSopCommon(sc, DicomUids.SecondaryCaptureImageStorage, DicomImplementation.NewUid(), now);
        sc.AddOrUpdate(DicomTags.Modality, DicomVR.CS, "OT");
        sc.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, input.SeriesInstanceUid ?? DicomImplementation.NewUid());
        sc.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, DerivedModules.Int(input.SeriesNumber));
        sc.AddOrUpdate(DicomTags.SeriesDescription, DicomVR.LO, "MedNode AI key images (not for diagnostic use)");
        // Laterality (0020,0060) is type 2C in General Series: the source's, else empty.
        sc.AddOrUpdate(DicomTags.Laterality, DicomVR.CS, geometry.FirstImage.GetString(DicomTags.Laterality) ?? "");
        DerivedModules.AddEquipment(sc, "MEDNODE-0001");
        // SC Equipment Module (C.8.6.1): WSD = workstation.
        sc.AddOrUpdate(DicomTags.ConversionType, DicomVR.CS, "WSD");
        // General Image (C.7.6.1).
        sc.AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, DerivedModules.Int(input.InstanceNumber));
        sc.Add(new DicomElement(DicomTags.PatientOrientation, DicomVR.CS, Buffers.MemoryByteBuffer.Empty));
        sc.AddOrUpdate(DicomTags.ContentDate, DicomVR.DA, DerivedModules.Date(now));
        sc.AddOrUpdate(DicomTags.ContentTime, DicomVR.TM, DerivedModules.Time(now));
        sc.AddOrUpdate(DicomTags.ImageType, DicomVR.CS, "DERIVED", "SECONDARY");
        sc.AddOrUpdate(DicomTags.DerivationDescription, DicomVR.ST, "Key slice with AI segmentation outline and measurements burned in");
        sc.AddOrUpdate(DicomTags.BurnedInAnnotation, DicomVR.CS, "YES");
        var source = new DicomDataset();
        source.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, frame.SopClassUid);
        source.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, frame.SopInstanceUid);
        if (frame.FrameNumber > 0) source.AddOrUpdate(DicomTags.ReferencedFrameNumber, DicomVR.IS, DerivedModules.Int(frame.FrameNumber));
        source.AddOrUpdate(DicomTags.PurposeOfReferenceCodeSequence, Codes.SourceImageForImageProcessingOperation.ToItem());
        sc.AddOrUpdate(DicomTags.SourceImageSequence, source);
        // Image Pixel (C.7.6.3): RGB, colour-by-pixel.
        sc.AddOrUpdate(DicomTags.SamplesPerPixel, (ushort)3);
        sc.AddOrUpdate(DicomTags.PhotometricInterpretation, DicomVR.CS, "RGB");
        sc.AddOrUpdate(DicomTags.PlanarConfiguration, (ushort)0);
        sc.AddOrUpdate(DicomTags.Rows, (ushort)rows);
        sc.AddOrUpdate(DicomTags.Columns, (ushort)columns);
        sc.AddOrUpdate(DicomTags.BitsAllocated, (ushort)8);
        sc.AddOrUpdate(DicomTags.BitsStored, (ushort)8);
        sc.AddOrUpdate(DicomTags.HighBit, (ushort)7);
        sc.AddOrUpdate(DicomTags.PixelRepresentation, (ushort)0);
        sc.AddOrUpdate(DicomTags.PixelData, DicomVR.OB, rgb);
        return sc;
    }

    private static void Set(byte[] rgb, int columns, int rows, int x, int y, byte[] colour)
    {
        if (x < 0 || y < 0 || x >= columns || y >= rows) return;
        colour.CopyTo(rgb, (y * columns + x) * 3);
    }

    private static void Line(byte[] rgb, int columns, int rows, double x0, double y0, double x1, double y1)
    {
        int steps = (int)Math.Ceiling(Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0))) + 1;
        for (int i = 0; i <= steps; i++)
        {
            double t = (double)i / steps;
            Set(rgb, columns, rows, (int)Math.Round(x0 + (x1 - x0) * t), (int)Math.Round(y0 + (y1 - y0) * t), AxisColour);
        }
    }

    private static void DrawText(byte[] rgb, int columns, int rows, int x, int y, string text)
    {
        for (int c = 0; c < text.Length; c++)
        for (int gy = 0; gy < BitmapFont.Height; gy++)
        for (int gx = 0; gx < BitmapFont.Width; gx++)
            if (BitmapFont.IsSet(text[c], gx, gy)) Set(rgb, columns, rows, x + c * BitmapFont.Advance + gx, y + gy, TextColour);
    }
}
