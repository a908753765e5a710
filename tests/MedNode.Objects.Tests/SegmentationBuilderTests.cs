using MedNode.Dicom;
using MedNode.Dicom.Objects.Segmentation;
using MedNode.TestSupport;

namespace MedNode.Objects.Tests;

public sealed class SegmentationBuilderTests
{
    private static SegmentationBuilder Builder => new(FixedClock.Default);

    [Fact]
    [Trait("Conformance", "PS3.5 8.1.1")]
    public void Build_BinaryFramesOfOddSize_PacksBitsAcrossFrameBoundaries()
    {
        // 5x5 = 25 pixels per frame: frame 2 starts at bit 25, i.e. byte 3 bit 1 (frames are not byte aligned).
        var slices = SyntheticSeries.CtSlices(2, 5, 5, 1, 1, 1);
        var a = new byte[25]; a[0] = 1; a[24] = 1;
        var b = new byte[25]; b[0] = 1; b[7] = 1;
        var seg = Builder.Build(new SegmentationInput { SourceImages = slices, Segments = [SyntheticSeries.Segment(1, [a, b])] });

        var pixels = seg.GetBytes(DicomTags.PixelData).ToArray();
        pixels.Should().HaveCount(8, "50 bits need 7 bytes, padded to an even length");
        pixels[0].Should().Be(0b0000_0001);           // bit 0: frame 1 pixel 0
        pixels[3].Should().Be(0b0000_0011);           // bit 24: frame 1 pixel 24; bit 25: frame 2 pixel 0
        pixels[4].Should().Be(0b0000_0001);           // bit 32 = 25 + 7: frame 2 pixel 7
        pixels.Where((_, i) => i is not (0 or 3 or 4)).Should().OnlyContain(x => x == 0);
        seg.GetInt(DicomTags.BitsAllocated).Should().Be(1);
    }

    [Fact]
    [Trait("Conformance", "PS3.3 C.8.20.2")]
    public void Build_TwoSegmentsWithEmptySlices_OmitsEmptyFramesAndIndexesBySegmentThenPosition()
    {
        var slices = SyntheticSeries.CtSlices(6, 8, 8, 0.8, 0.8, 2.5);
        var one = SyntheticSeries.Ellipsoid(6, 8, 8, 1, 3, 3, 1, 2, 2);   // slices 0..2
        var two = SyntheticSeries.Ellipsoid(6, 8, 8, 4, 4, 4, 0.5, 2, 2); // slice 4 only
        var seg = Builder.Build(new SegmentationInput { SourceImages = slices, Segments = [SyntheticSeries.Segment(1, one), SyntheticSeries.Segment(2, two)] });

        seg.GetInt(DicomTags.NumberOfFrames).Should().Be(4);
        var perFrame = seg.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence);
        perFrame.Select(f => f.GetSequence(DicomTags.FrameContentSequence)[0].GetDoubles(DicomTags.DimensionIndexValues))
            .Should().BeEquivalentTo(new[] { new double[] { 1, 1 }, [1, 2], [1, 3], [2, 5] }, o => o.WithStrictOrdering());
        perFrame[3].GetSequence(DicomTags.DerivationImageSequence)[0].GetSequence(DicomTags.SourceImageSequence)[0]
            .GetString(DicomTags.ReferencedSOPInstanceUID).Should().Be(slices[4].GetString(DicomTags.SOPInstanceUID));
        perFrame[3].GetSequence(DicomTags.PlanePositionSequence)[0].GetDoubles(DicomTags.ImagePositionPatient)
            .Should().Equal(slices[4].GetDoubles(DicomTags.ImagePositionPatient));
        var source = perFrame[0].GetSequence(DicomTags.DerivationImageSequence)[0].GetSequence(DicomTags.SourceImageSequence)[0];
        source.GetSequence(DicomTags.PurposeOfReferenceCodeSequence)[0].GetString(DicomTags.CodeValue).Should().Be("121322");
        perFrame[0].GetSequence(DicomTags.DerivationImageSequence)[0].GetSequence(DicomTags.DerivationCodeSequence)[0].GetString(DicomTags.CodeValue).Should().Be("113076");
    }

    [Fact]
    [Trait("Conformance", "PS3.3 A.51")]
    public void Build_FromSource_CopiesPatientStudyAndFrameOfReferenceAndMintsNewUids()
    {
        var slices = SyntheticSeries.CtSlices(3, 8, 8, 1, 1, 1);
        var seg = Builder.Build(new SegmentationInput { SourceImages = slices, Segments = [SyntheticSeries.Segment(1, SyntheticSeries.Ellipsoid(3, 8, 8, 1, 4, 4, 1, 2, 2))] });

        foreach (var tag in new[] { DicomTags.PatientName, DicomTags.PatientID, DicomTags.StudyInstanceUID, DicomTags.FrameOfReferenceUID, DicomTags.AccessionNumber })
            seg.GetString(tag).Should().Be(slices[0].GetString(tag));
        seg.GetString(DicomTags.SeriesInstanceUID).Should().NotBe(slices[0].GetString(DicomTags.SeriesInstanceUID)).And.StartWith("2.25.");
        seg.GetString(DicomTags.SOPClassUID).Should().Be("1.2.840.10008.5.1.4.1.1.66.4");
        seg.GetString(DicomTags.Manufacturer).Should().Be("MedNode");
        seg.GetString(DicomTags.SoftwareVersions).Should().Be(DicomImplementation.ProductVersion);
        var referenced = seg.GetSequence(DicomTags.ReferencedSeriesSequence).Single();
        referenced.GetString(DicomTags.SeriesInstanceUID).Should().Be(slices[0].GetString(DicomTags.SeriesInstanceUID));
        referenced.GetSequence(DicomTags.ReferencedInstanceSequence).Select(i => i.GetString(DicomTags.ReferencedSOPInstanceUID))
            .Should().BeEquivalentTo(slices.Select(s => s.GetString(DicomTags.SOPInstanceUID)));
        var algorithm = seg.GetSequence(DicomTags.SegmentSequence)[0].GetSequence(DicomTags.SegmentationAlgorithmIdentificationSequence)[0];
        algorithm.GetSequence(DicomTags.AlgorithmFamilyCodeSequence)[0].GetString(DicomTags.CodeValue).Should().Be("123110");
        seg.GetSequence(DicomTags.SegmentSequence)[0].GetString(DicomTags.SegmentAlgorithmType).Should().Be("AUTOMATIC");
    }

    [Fact]
    public void Build_OtherFrameOfReference_IsRefusedBeforeWriting()
    {
        var slices = SyntheticSeries.CtSlices(2, 4, 4, 1, 1, 1);
        var input = new SegmentationInput
        {
            SourceImages = slices, ExpectedFrameOfReferenceUid = "1.2.3.4",
            Segments = [SyntheticSeries.Segment(1, SyntheticSeries.Ellipsoid(2, 4, 4, 0, 1, 1, 1, 1, 1))],
        };
        Builder.Invoking(b => b.Build(input)).Should().Throw<ResultGeometryException>().WithMessage("*Frame of Reference*");
    }

    [Fact]
    public void Build_OtherOrientation_IsRefused()
    {
        var slices = SyntheticSeries.CtSlices(2, 4, 4, 1, 1, 1);
        var input = new SegmentationInput
        {
            SourceImages = slices, ExpectedImageOrientation = [1, 0, 0, 0, 0, -1],
            Segments = [SyntheticSeries.Segment(1, SyntheticSeries.Ellipsoid(2, 4, 4, 0, 1, 1, 1, 1, 1))],
        };
        Builder.Invoking(b => b.Build(input)).Should().Throw<ResultGeometryException>().WithMessage("*Orientation*");
    }

    [Fact]
    public void Build_MaskLargerThanSourceGrid_IsRefusedAsOutOfBounds()
    {
        var slices = SyntheticSeries.CtSlices(2, 4, 4, 1, 1, 1);
        var tooMany = new SegmentationInput { SourceImages = slices, Segments = [SyntheticSeries.Segment(1, SyntheticSeries.Ellipsoid(3, 4, 4, 0, 1, 1, 1, 1, 1))] };
        var tooWide = new SegmentationInput { SourceImages = slices, Segments = [SyntheticSeries.Segment(1, SyntheticSeries.Ellipsoid(2, 4, 5, 0, 1, 1, 1, 1, 1))] };
        Builder.Invoking(b => b.Build(tooMany)).Should().Throw<ResultGeometryException>().WithMessage("*out of bounds*");
        Builder.Invoking(b => b.Build(tooWide)).Should().Throw<ResultGeometryException>().WithMessage("*out of bounds*");
    }

    [Fact]
    public void Build_SourceSlicesWithMixedOrientation_IsRefused()
    {
        var slices = SyntheticSeries.CtSlices(2, 4, 4, 1, 1, 1);
        slices[1].AddOrUpdate(DicomTags.ImageOrientationPatient, DicomVR.DS, 0, 1, 0, 0, 0, -1);
        var input = new SegmentationInput { SourceImages = slices, Segments = [SyntheticSeries.Segment(1, SyntheticSeries.Ellipsoid(2, 4, 4, 0, 1, 1, 1, 1, 1))] };
        Builder.Invoking(b => b.Build(input)).Should().Throw<ResultGeometryException>().WithMessage("*Orientation*");
    }
}
