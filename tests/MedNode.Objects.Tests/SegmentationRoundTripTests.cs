using MedNode.Dicom;
using MedNode.Dicom.Objects.Segmentation;
using MedNode.TestSupport;

namespace MedNode.Objects.Tests;

public sealed class SegmentationRoundTripTests
{
    [Theory]
    [InlineData(false, SegmentationType.Binary)]
    [InlineData(true, SegmentationType.Binary)]
    [InlineData(false, SegmentationType.Fractional)]
    [Trait("Conformance", "PS3.3 A.51")]
    public void SegThroughPart10File_ReadBack_GivesSameMasksVoxelForVoxel(bool multiFrameSource, SegmentationType type)
    {
        var slices = SyntheticSeries.CtSlices(7, 11, 13, 0.7, 0.7, 3);
        IReadOnlyList<DicomDataset> source = multiFrameSource ? [SyntheticSeries.MultiFrame(slices)] : slices;
        var masks = new[]
        {
            SyntheticSeries.Ellipsoid(7, 11, 13, 2, 5, 6, 1.5, 3, 4),
            SyntheticSeries.Ellipsoid(7, 11, 13, 5, 3, 3, 1, 2, 2),
            SyntheticSeries.Ellipsoid(7, 11, 13, 4, 8, 10, 2, 2, 2),
        };
        if (type == SegmentationType.Fractional)
            foreach (var frame in masks.SelectMany(m => m)) for (int i = 0; i < frame.Length; i++) frame[i] = (byte)(frame[i] * (50 + i % 200));
        var input = new SegmentationInput { SourceImages = source, Type = type, Segments = masks.Select((m, i) => SyntheticSeries.Segment(i + 1, m)).ToList() };
        var seg = new SegmentationBuilder(FixedClock.Default).Build(input);

        using var dir = new TempDir();
        var path = ObjectFiles.Write(dir, "seg.dcm", seg);
        var read = SegmentationReader.Read(DicomFile.Open(path).Dataset, source);

        read.Should().HaveCount(3);
        for (int s = 0; s < 3; s++)
        {
            read[s].SegmentNumber.Should().Be(s + 1);
            read[s].TrackingUid.Should().Be(input.Segments[s].TrackingUid);
            read[s].Label.Should().Be(input.Segments[s].Label);
            read[s].AlgorithmVersion.Should().Be("1.0.0");
            for (int z = 0; z < 7; z++) read[s].Mask[z].Should().Equal(masks[s][z], $"segment {s + 1} slice {z}");
        }
    }

    [Fact]
    public void Reader_FramesWithoutSourceReferences_PlacesThemByImagePosition()
    {
        var slices = SyntheticSeries.CtSlices(4, 6, 6, 1, 1, 2);
        var mask = SyntheticSeries.Ellipsoid(4, 6, 6, 2, 3, 3, 1, 2, 2);
        var seg = new SegmentationBuilder(FixedClock.Default).Build(new SegmentationInput { SourceImages = slices, Segments = [SyntheticSeries.Segment(1, mask)] });
        foreach (var f in seg.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)) f.Remove(DicomTags.DerivationImageSequence);

        var read = SegmentationReader.Read(seg, slices);

        for (int z = 0; z < 4; z++) read[0].Mask[z].Should().Equal(mask[z]);
    }
}
