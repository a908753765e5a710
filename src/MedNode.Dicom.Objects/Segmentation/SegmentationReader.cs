using MedNode.Dicom.Objects.Coding;

namespace MedNode.Dicom.Objects.Segmentation;

/// <summary>One segment read back from a SEG, with its mask on the source grid.</summary>
public sealed record SegmentResult(
    int SegmentNumber, string Label, string? TrackingId, string? TrackingUid, CodedConcept? Category, CodedConcept? PropertyType,
    string? AlgorithmName, string? AlgorithmVersion, CodedConcept? AlgorithmFamily, IReadOnlyList<byte[]> Mask);

/// <summary>
/// Reads a Segmentation (PS3.3 A.51) back onto its source grid: each frame is placed by its Source Image Sequence
/// reference (Referenced SOP Instance UID and frame number), else by its Image Position (Patient) along the normal.
/// BINARY masks come back as 0/1, FRACTIONAL masks as the stored value.
/// </summary>
public static class SegmentationReader
{
    public static IReadOnlyList<SegmentResult> Read(DicomDataset seg, IReadOnlyList<DicomDataset> sourceImages)
    {
        if (seg.GetString(DicomTags.SOPClassUID) != DicomUids.SegmentationStorage) throw new DicomValueException("not a Segmentation Storage instance");
        var geometry = SourceGeometry.FromImages(sourceImages);
        int rows = seg.GetInt(DicomTags.Rows) ?? 0, columns = seg.GetInt(DicomTags.Columns) ?? 0;
        if (rows != geometry.Rows || columns != geometry.Columns) throw new ResultGeometryException("the SEG's Rows and Columns are not the source's");
        if (seg.GetString(DicomTags.FrameOfReferenceUID) != geometry.FrameOfReferenceUid) throw new ResultGeometryException("the SEG is in another frame of reference");
        bool binary = seg.GetString(DicomTags.SegmentationType) == "BINARY";
        int bits = seg.GetInt(DicomTags.BitsAllocated) ?? 0;
        if ((binary && bits != 1) || (!binary && bits != 8)) throw new DicomValueException("unsupported Bits Allocated for this Segmentation Type");
        var perFrame = seg.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence);
        int frames = seg.GetInt(DicomTags.NumberOfFrames) ?? 0;
        if (frames != perFrame.Count) throw new DicomValueException("Number of Frames does not match the Per-Frame Functional Groups Sequence");
        int size = rows * columns;
        var pixels = seg.GetBytes(DicomTags.PixelData).Span;
        long needed = binary ? ((long)frames * size + 7) / 8 : (long)frames * size;
        if (pixels.Length < needed) throw new DicomValueException($"Pixel Data holds {pixels.Length} bytes, {needed} are needed");

        var segments = seg.GetSequence(DicomTags.SegmentSequence);
        var masks = new Dictionary<int, byte[][]>();
        foreach (var s in segments)
        {
            int n = s.GetInt(DicomTags.SegmentNumber) ?? throw new DicomValueException("a segment has no Segment Number");
            masks[n] = Enumerable.Range(0, geometry.Frames.Count).Select(_ => new byte[size]).ToArray();
        }
        var shared = seg.GetSequence(DicomTags.SharedFunctionalGroupsSequence) is { Count: > 0 } sh ? sh[0] : new DicomDataset();
        for (int i = 0; i < frames; i++)
        {
            int segment = Group(perFrame[i], shared, DicomTags.SegmentIdentificationSequence)?.GetInt(DicomTags.ReferencedSegmentNumber)
                ?? throw new DicomValueException($"frame {i + 1} has no Referenced Segment Number");
            if (!masks.TryGetValue(segment, out var mask)) throw new DicomValueException($"frame {i + 1} references segment {segment}, which is not in the Segment Sequence");
            var target = mask[SourceIndex(perFrame[i], shared, geometry, i)];
            long offset = (long)i * size;
            for (int p = 0; p < size; p++)
            {
                long k = offset + p;
                target[p] = binary ? (byte)((pixels[(int)(k >> 3)] >> (int)(k & 7)) & 1) : pixels[(int)k];
            }
        }
        return segments.Select(s =>
        {
            int n = s.GetInt(DicomTags.SegmentNumber)!.Value;
            var algorithm = s.GetSequence(DicomTags.SegmentationAlgorithmIdentificationSequence) is { Count: > 0 } a ? a[0] : null;
            return new SegmentResult(n, s.GetString(DicomTags.SegmentLabel) ?? "", s.GetString(DicomTags.TrackingID), s.GetString(DicomTags.TrackingUID),
                CodedConcept.FromSequence(s, DicomTags.SegmentedPropertyCategoryCodeSequence), CodedConcept.FromSequence(s, DicomTags.SegmentedPropertyTypeCodeSequence),
                algorithm?.GetString(DicomTags.AlgorithmName) ?? s.GetString(DicomTags.SegmentAlgorithmName), algorithm?.GetString(DicomTags.AlgorithmVersion),
                algorithm == null ? null : CodedConcept.FromSequence(algorithm, DicomTags.AlgorithmFamilyCodeSequence), masks[n]);
        }).ToList();
    }

    private static DicomDataset? Group(DicomDataset perFrame, DicomDataset shared, DicomTag sequence) =>
        perFrame.GetSequence(sequence) is { Count: > 0 } p ? p[0] : shared.GetSequence(sequence) is { Count: > 0 } s ? s[0] : null;

    private static int SourceIndex(DicomDataset perFrame, DicomDataset shared, SourceGeometry geometry, int i)
    {
        foreach (var derivation in perFrame.GetSequence(DicomTags.DerivationImageSequence))
        foreach (var source in derivation.GetSequence(DicomTags.SourceImageSequence))
        {
            var uid = source.GetString(DicomTags.ReferencedSOPInstanceUID);
            int frame = source.GetInt(DicomTags.ReferencedFrameNumber) ?? 0;
            for (int f = 0; f < geometry.Frames.Count; f++)
                if (geometry.Frames[f].SopInstanceUid == uid && (geometry.Frames[f].FrameNumber == frame || geometry.Frames[f].FrameNumber == 0))
                    return f;
        }
        var position = Group(perFrame, shared, DicomTags.PlanePositionSequence)?.GetDoubles(DicomTags.ImagePositionPatient);
        if (position is { Length: 3 })
        {
            for (int f = 0; f < geometry.Frames.Count; f++)
                if (Distance(geometry.Frames[f].ImagePositionPatient, position) < 0.01) return f;
        }
        throw new ResultGeometryException($"frame {i + 1} of the SEG matches no source frame");
    }

    private static double Distance(double[] a, double[] b) =>
        Math.Sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}
