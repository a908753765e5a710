using MedNode.Dicom.Objects.Coding;
using MedNode.Dicom.Objects.Common;

namespace MedNode.Dicom.Objects.Segmentation;

/// <summary>
/// Builds a Segmentation instance (PS3.3 A.51, Segmentation Image Module C.8.20.2) from <see cref="SegmentationInput"/>:
/// one segment per lesion, frames ordered by segment then by position along the slice normal, empty frames omitted,
/// Pixel Measures and Plane Orientation shared, and per frame Frame Content, Plane Position, Derivation Image and
/// Segment Identification (PS3.3 A.51.5). The geometry is checked before anything is built.
/// </summary>
public sealed class SegmentationBuilder(TimeProvider time)
{
    /// <summary>Builds the SEG data set; throws <see cref="ResultGeometryException"/> when the input does not match its source.</summary>
    public DicomDataset Build(SegmentationInput input)
    {
        var geometry = SourceGeometry.FromImages(input.SourceImages);
        Check(input, geometry);
        var now = time.GetLocalNow();
        var seg = new DicomDataset();
        DerivedModules.CopyPatientAndStudy(geometry.FirstImage, seg);
        DerivedModules.AddSopCommon(seg, DicomUids.SegmentationStorage, DicomImplementation.NewUid(), now);

        // General Series (C.7.3.1) and Segmentation Series (C.8.20.1).
        seg.AddOrUpdate(DicomTags.Modality, DicomVR.CS, "SEG");
        seg.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
        seg.AddOrUpdate(DicomTags.SeriesNumber, DicomVR.IS, DerivedModules.Int(input.SeriesNumber));
        seg.AddOrUpdate(DicomTags.SeriesDescription, DicomVR.LO, input.SeriesDescription);
        seg.AddOrUpdate(DicomTags.SeriesDate, DicomVR.DA, DerivedModules.Date(now));
        seg.AddOrUpdate(DicomTags.SeriesTime, DicomVR.TM, DerivedModules.Time(now));

        // Frame of Reference (C.7.4.1): the source's.
        seg.AddOrUpdate(DicomTags.FrameOfReferenceUID, DicomVR.UI, geometry.FrameOfReferenceUid);
        seg.AddOrUpdate(DicomTags.PositionReferenceIndicator, DicomVR.LO, geometry.FirstImage.GetString(DicomTags.PositionReferenceIndicator) ?? "");

        DerivedModules.AddEquipment(seg, input.DeviceSerialNumber);

        // General Image (C.7.6.1), Segmentation Image (C.8.20.2), Multi-frame Functional Groups (C.7.6.16).
        seg.AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, DerivedModules.Int(input.InstanceNumber));
        seg.AddOrUpdate(DicomTags.ContentDate, DicomVR.DA, DerivedModules.Date(now));
        seg.AddOrUpdate(DicomTags.ContentTime, DicomVR.TM, DerivedModules.Time(now));
        seg.AddOrUpdate(DicomTags.ImageType, DicomVR.CS, "DERIVED", "PRIMARY");
        seg.AddOrUpdate(DicomTags.ContentLabel, DicomVR.CS, input.ContentLabel);
        seg.AddOrUpdate(DicomTags.ContentDescription, DicomVR.LO, input.ContentDescription);
        seg.AddOrUpdate(DicomTags.ContentCreatorName, DicomVR.PN, input.ContentCreatorName);
        seg.AddOrUpdate(DicomTags.SegmentationType, DicomVR.CS, input.Type == SegmentationType.Binary ? "BINARY" : "FRACTIONAL");
        if (input.Type == SegmentationType.Fractional)
        {
            seg.AddOrUpdate(DicomTags.SegmentationFractionalType, DicomVR.CS, "PROBABILITY");
            seg.AddOrUpdate(DicomTags.MaximumFractionalValue, DicomVR.US, input.MaximumFractionalValue);
        }
        seg.AddOrUpdate(DicomTags.SegmentSequence, input.Segments.Select((s, i) => SegmentItem(s, i + 1)).ToArray());

        var frames = SelectFrames(input, geometry);
        if (frames.Count == 0) throw new ResultGeometryException("every segment is empty: a Segmentation needs at least one frame");
        AddDimensions(seg);
        AddFunctionalGroups(seg, geometry, frames);
        AddPixelData(seg, input, geometry, frames);
        AddReferencedSeries(seg, geometry);
        return seg;
    }

    private static void Check(SegmentationInput input, SourceGeometry geometry)
    {
        if (input.Segments.Count == 0) throw new ResultGeometryException("a Segmentation needs at least one segment");
        if (input.Segments.Count > ushort.MaxValue) throw new ResultGeometryException("too many segments for Segment Number (US)");
        if (input.ExpectedFrameOfReferenceUid != null && input.ExpectedFrameOfReferenceUid != geometry.FrameOfReferenceUid)
            throw new ResultGeometryException("the result's Frame of Reference UID is not the source series'");
        if (input.ExpectedImageOrientation != null && !SourceGeometry.Close(input.ExpectedImageOrientation, geometry.ImageOrientationPatient))
            throw new ResultGeometryException("the result's Image Orientation (Patient) is not the source series'");
        int size = geometry.Rows * geometry.Columns;
        foreach (var s in input.Segments)
        {
            if (s.Mask.Count != geometry.Frames.Count)
                throw new ResultGeometryException($"segment '{s.Label}' has {s.Mask.Count} mask frames but the source has {geometry.Frames.Count}: voxels out of bounds");
            if (s.Mask.Any(m => m.Length != size))
                throw new ResultGeometryException($"segment '{s.Label}' has a mask frame that is not Rows x Columns ({geometry.Rows}x{geometry.Columns}): voxels out of bounds");
            if (input.Type == SegmentationType.Fractional && s.Mask.Any(m => m.Any(v => v > input.MaximumFractionalValue)))
                throw new ResultGeometryException($"segment '{s.Label}' has a value above Maximum Fractional Value");
        }
    }

    private static DicomDataset SegmentItem(SegmentDefinition s, int number)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.SegmentNumber, (ushort)number);
        item.AddOrUpdate(DicomTags.SegmentLabel, DicomVR.LO, s.Label);
        item.AddOrUpdate(DicomTags.SegmentAlgorithmType, DicomVR.CS, "AUTOMATIC");
        item.AddOrUpdate(DicomTags.SegmentAlgorithmName, DicomVR.LO, s.AlgorithmName);
        item.AddOrUpdate(DicomTags.SegmentedPropertyCategoryCodeSequence, s.Category.ToItem());
        item.AddOrUpdate(DicomTags.SegmentedPropertyTypeCodeSequence, s.PropertyType.ToItem());
        item.AddOrUpdate(DicomTags.TrackingID, DicomVR.UT, s.TrackingId);
        item.AddOrUpdate(DicomTags.TrackingUID, DicomVR.UI, s.TrackingUid);
        if (s.CieLab is { Length: 3 } lab) item.AddOrUpdate(DicomTags.RecommendedDisplayCIELabValue, lab);
        // Algorithm Identification Macro (PS3.3 Table 10-19).
        var algorithm = new DicomDataset();
        algorithm.AddOrUpdate(DicomTags.AlgorithmFamilyCodeSequence, s.AlgorithmFamily.ToItem());
        algorithm.AddOrUpdate(DicomTags.AlgorithmName, DicomVR.LO, s.AlgorithmName);
        algorithm.AddOrUpdate(DicomTags.AlgorithmVersion, DicomVR.LO, s.AlgorithmVersion);
        if (s.AlgorithmSource != null) algorithm.AddOrUpdate(DicomTags.AlgorithmSource, DicomVR.LO, s.AlgorithmSource);
        item.AddOrUpdate(DicomTags.SegmentationAlgorithmIdentificationSequence, algorithm);
        return item;
    }

    /// <summary>A frame to write: segment number (1-based), source frame index, position index (1-based, along the normal).</summary>
    private readonly record struct OutputFrame(int Segment, int Source, int Position);

    private static List<OutputFrame> SelectFrames(SegmentationInput input, SourceGeometry geometry)
    {
        var order = Enumerable.Range(0, geometry.Frames.Count).OrderBy(i => geometry.SlicePosition(geometry.Frames[i])).ToArray();
        var rank = new int[order.Length];
        for (int r = 0; r < order.Length; r++) rank[order[r]] = r + 1;
        var frames = new List<OutputFrame>();
        for (int s = 0; s < input.Segments.Count; s++)
            foreach (var f in order)
                if (input.Segments[s].Mask[f].AsSpan().IndexOfAnyExcept((byte)0) >= 0) frames.Add(new OutputFrame(s + 1, f, rank[f]));
        return frames;
    }

    /// <summary>Multi-frame Dimension Module (C.7.6.17): segment number, then image position (PS3.3 C.8.20.2.1 recommends this).</summary>
    private static void AddDimensions(DicomDataset seg)
    {
        var organization = DicomImplementation.NewUid();
        var org = new DicomDataset();
        org.AddOrUpdate(DicomTags.DimensionOrganizationUID, DicomVR.UI, organization);
        seg.AddOrUpdate(DicomTags.DimensionOrganizationSequence, org);
        seg.AddOrUpdate(DicomTags.DimensionOrganizationType, DicomVR.CS, "3D");
        seg.AddOrUpdate(DicomTags.DimensionIndexSequence,
            Index(DicomTags.ReferencedSegmentNumber, DicomTags.SegmentIdentificationSequence, "Segment Number"),
            Index(DicomTags.ImagePositionPatient, DicomTags.PlanePositionSequence, "Image Position Patient"));

        DicomDataset Index(DicomTag pointer, DicomTag group, string label)
        {
            var d = new DicomDataset();
            d.AddOrUpdate(DicomTags.DimensionIndexPointer, pointer);
            d.AddOrUpdate(DicomTags.FunctionalGroupPointer, group);
            d.AddOrUpdate(DicomTags.DimensionOrganizationUID, DicomVR.UI, organization);
            d.AddOrUpdate(DicomTags.DimensionDescriptionLabel, DicomVR.LO, label);
            return d;
        }
    }

    private static void AddFunctionalGroups(DicomDataset seg, SourceGeometry geometry, List<OutputFrame> frames)
    {
        var measures = new DicomDataset();
        if (geometry.Frames[0].SliceThickness is { } thickness) measures.AddOrUpdate(DicomTags.SliceThickness, DicomVR.DS, thickness);
        else measures.AddOrUpdate(DicomTags.SliceThickness, DicomVR.DS, SliceSpacing(geometry));
        measures.AddOrUpdate(DicomTags.PixelSpacing, DicomVR.DS, geometry.PixelSpacing);
        var orientation = new DicomDataset();
        orientation.AddOrUpdate(DicomTags.ImageOrientationPatient, DicomVR.DS, geometry.ImageOrientationPatient);
        var shared = new DicomDataset();
        shared.AddOrUpdate(DicomTags.PixelMeasuresSequence, measures);
        shared.AddOrUpdate(DicomTags.PlaneOrientationSequence, orientation);
        seg.AddOrUpdate(DicomTags.SharedFunctionalGroupsSequence, shared);

        var perFrame = new DicomDataset[frames.Count];
        for (int i = 0; i < frames.Count; i++)
        {
            var (segment, source, position) = frames[i];
            var f = geometry.Frames[source];
            var item = new DicomDataset();
            var sourceImage = new DicomDataset();
            sourceImage.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, f.SopClassUid);
            sourceImage.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, f.SopInstanceUid);
            if (f.FrameNumber > 0) sourceImage.AddOrUpdate(DicomTags.ReferencedFrameNumber, DicomVR.IS, DerivedModules.Int(f.FrameNumber));
            sourceImage.AddOrUpdate(DicomTags.PurposeOfReferenceCodeSequence, Codes.SourceImageForImageProcessingOperation.ToItem());
            var derivation = new DicomDataset();
            derivation.AddOrUpdate(DicomTags.SourceImageSequence, sourceImage);
            derivation.AddOrUpdate(DicomTags.DerivationCodeSequence, Codes.Segmentation.ToItem());
            item.AddOrUpdate(DicomTags.DerivationImageSequence, derivation);
            var content = new DicomDataset();
            content.AddOrUpdate(DicomTags.DimensionIndexValues, DicomVR.UL, segment, position);
            item.AddOrUpdate(DicomTags.FrameContentSequence, content);
            var plane = new DicomDataset();
            plane.AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, f.ImagePositionPatient);
            item.AddOrUpdate(DicomTags.PlanePositionSequence, plane);
            var identification = new DicomDataset();
            identification.AddOrUpdate(DicomTags.ReferencedSegmentNumber, (ushort)segment);
            item.AddOrUpdate(DicomTags.SegmentIdentificationSequence, identification);
            perFrame[i] = item;
        }
        seg.AddOrUpdate(DicomTags.PerFrameFunctionalGroupsSequence, perFrame);
        seg.AddOrUpdate(DicomTags.NumberOfFrames, DicomVR.IS, DerivedModules.Int(frames.Count));
    }

    private static double SliceSpacing(SourceGeometry g)
    {
        if (g.Frames.Count < 2) return g.PixelSpacing[0];
        var p = g.Frames.Select(g.SlicePosition).Order().ToArray();
        return Math.Abs(p[1] - p[0]);
    }

    /// <summary>Image Pixel Module: BINARY frames are packed bit-wise one after another with no padding between frames
    /// (PS3.5 §8.1.1), least significant bit first; FRACTIONAL frames are one byte per pixel.</summary>
    private static void AddPixelData(DicomDataset seg, SegmentationInput input, SourceGeometry geometry, List<OutputFrame> frames)
    {
        int size = geometry.Rows * geometry.Columns;
        bool binary = input.Type == SegmentationType.Binary;
        seg.AddOrUpdate(DicomTags.SamplesPerPixel, (ushort)1);
        seg.AddOrUpdate(DicomTags.PhotometricInterpretation, DicomVR.CS, "MONOCHROME2");
        seg.AddOrUpdate(DicomTags.Rows, (ushort)geometry.Rows);
        seg.AddOrUpdate(DicomTags.Columns, (ushort)geometry.Columns);
        seg.AddOrUpdate(DicomTags.BitsAllocated, (ushort)(binary ? 1 : 8));
        seg.AddOrUpdate(DicomTags.BitsStored, (ushort)(binary ? 1 : 8));
        seg.AddOrUpdate(DicomTags.HighBit, (ushort)(binary ? 0 : 7));
        seg.AddOrUpdate(DicomTags.PixelRepresentation, (ushort)0);
        seg.AddOrUpdate(DicomTags.LossyImageCompression, DicomVR.CS, "00");
        long total = (long)frames.Count * size;
        long length = binary ? (total + 7) / 8 : total;
        if (length > int.MaxValue - 1) throw new ResultGeometryException("the segmentation is too large for one Pixel Data element");
        var pixels = new byte[length + (length & 1)];
        for (int i = 0; i < frames.Count; i++)
        {
            var mask = input.Segments[frames[i].Segment - 1].Mask[frames[i].Source];
            long offset = (long)i * size;
            if (!binary) { mask.CopyTo(pixels, offset); continue; }
            for (int p = 0; p < size; p++)
            {
                if (mask[p] == 0) continue;
                long bit = offset + p;
                pixels[bit >> 3] |= (byte)(1 << (int)(bit & 7));
            }
        }
        seg.AddOrUpdate(DicomTags.PixelData, DicomVR.OB, pixels);
    }

    /// <summary>Common Instance Reference Module (C.12.2): the source series and its instances.</summary>
    private static void AddReferencedSeries(DicomDataset seg, SourceGeometry geometry)
    {
        var instances = geometry.Frames.DistinctBy(f => f.SopInstanceUid).Select(f =>
        {
            var r = new DicomDataset();
            r.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, f.SopClassUid);
            r.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, f.SopInstanceUid);
            return r;
        }).ToArray();
        var series = new DicomDataset();
        series.AddOrUpdate(DicomTags.SeriesInstanceUID, DicomVR.UI, geometry.SeriesInstanceUid);
        series.AddOrUpdate(DicomTags.ReferencedInstanceSequence, instances);
        seg.AddOrUpdate(DicomTags.ReferencedSeriesSequence, series);
    }
}
