using MedNode.Dicom.Objects.Segmentation;
using MedNode.TestSupport;

namespace MedNode.Objects.Tests;

/// <summary>dicom3tools' dciodvfy checks each SEG against the Segmentation IOD (PS3.3 A.51).</summary>
public sealed class SegmentationValidationTests
{
    [RequiresTheory(null, "dciodvfy")]
    [InlineData(1, false, 0.7, 0.7, 5.0, SegmentationType.Binary)]
    [InlineData(3, false, 0.5, 0.9, 2.5, SegmentationType.Binary)]
    [InlineData(5, false, 1.0, 1.0, 1.0, SegmentationType.Binary)]
    [InlineData(2, true, 0.7, 0.7, 3.0, SegmentationType.Binary)]
    [InlineData(2, false, 0.7, 0.7, 3.0, SegmentationType.Fractional)]
    [Trait("Conformance", "PS3.3 A.51")]
    public void Seg_Dciodvfy_ReportsNoErrors(int lesions, bool multiFrameSource, double rowSpacing, double columnSpacing, double sliceSpacing, SegmentationType type)
    {
        var slices = SyntheticSeries.CtSlices(8, 16, 20, rowSpacing, columnSpacing, sliceSpacing);
        IReadOnlyList<MedNode.Dicom.DicomDataset> source = multiFrameSource ? [SyntheticSeries.MultiFrame(slices)] : slices;
        var segments = Enumerable.Range(0, lesions)
            .Select(i => SyntheticSeries.Segment(i + 1, SyntheticSeries.Ellipsoid(8, 16, 20, 1 + i % 6, 3 + i * 2 % 10, 4 + i * 3 % 12, 1.2, 2.5, 3)))
            .ToList();
        var seg = new SegmentationBuilder(FixedClock.Default).Build(new SegmentationInput { SourceImages = source, Segments = segments, Type = type });

        using var dir = new TempDir();
        var errors = ObjectFiles.DciodvfyErrors(ObjectFiles.Write(dir, "seg.dcm", seg), out var output);

        errors.Should().BeEmpty(output);
        output.Should().Contain("Segmentation", "dciodvfy recognised the IOD");
    }

    [RequiresFact(null, "dciodvfy")]
    [Trait("Conformance", "PS3.3 A.51")]
    public void Seg_SagittalSourceReadBack_IsValidAndSameMasks()
    {
        var slices = SyntheticSeries.CtSlices(5, 12, 10, 0.8, 0.6, 4, orientation: [0, 1, 0, 0, 0, -1]);
        var mask = SyntheticSeries.Ellipsoid(5, 12, 10, 2, 6, 5, 1.5, 4, 3);
        var seg = new SegmentationBuilder(FixedClock.Default).Build(new SegmentationInput { SourceImages = slices, Segments = [SyntheticSeries.Segment(1, mask)] });
        using var dir = new TempDir();
        var path = ObjectFiles.Write(dir, "seg.dcm", seg);

        var errors = ObjectFiles.DciodvfyErrors(path, out var output);
        var read = SegmentationReader.Read(MedNode.Dicom.DicomFile.Open(path).Dataset, slices);

        errors.Should().BeEmpty(output);
        for (int z = 0; z < 5; z++) read[0].Mask[z].Should().Equal(mask[z]);
    }
}
