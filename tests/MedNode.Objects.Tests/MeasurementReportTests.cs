using MedNode.Dicom;
using MedNode.Dicom.Objects.Coding;
using MedNode.Dicom.Objects.Segmentation;
using MedNode.Dicom.Objects.StructuredReport;
using MedNode.TestSupport;

namespace MedNode.Objects.Tests;

public sealed class MeasurementReportTests
{
    private const int Slices = 6, Rows = 16, Columns = 20;

    private sealed record Fixture(IReadOnlyList<DicomDataset> Source, DicomDataset Seg, MeasurementReportInput Input, DicomDataset Sr);

    /// <summary>Patient coordinates of a pixel centre on slice <paramref name="z"/> of the synthetic axial series (analytic:
    /// IPP = (-100, -120, -50 + z*dz), row direction +x, column direction +y).</summary>
    private static PatientPoint At(int z, double column, double row, double rowSpacing, double columnSpacing, double sliceSpacing) =>
        new(-100 + column * columnSpacing, -120 + row * rowSpacing, -50 + z * sliceSpacing);

    private static Fixture Make(int lesions, double rowSpacing = 0.7, double columnSpacing = 0.9, double sliceSpacing = 3, bool multiFrame = false)
    {
        var slices = SyntheticSeries.CtSlices(Slices, Rows, Columns, rowSpacing, columnSpacing, sliceSpacing);
        IReadOnlyList<DicomDataset> source = multiFrame ? [SyntheticSeries.MultiFrame(slices)] : slices;
        var segments = Enumerable.Range(0, lesions)
            .Select(i => SyntheticSeries.Segment(i + 1, SyntheticSeries.Ellipsoid(Slices, Rows, Columns, 2 + i % 3, 5 + i, 6 + 2 * i, 1.2, 3, 3))).ToList();
        var seg = new SegmentationBuilder(FixedClock.Default).Build(new SegmentationInput { SourceImages = source, Segments = segments });
        var reports = segments.Select((s, i) => new LesionReport
        {
            TrackingId = s.TrackingId, TrackingUid = s.TrackingUid, SegmentNumber = i + 1,
            VolumeMm3 = 1234.5678 + i, VolumeOfMeshMm3 = 1200.25 + i, VolumeFromVoxelSummationMm3 = 1310.5 + i, SurfaceAreaMm2 = 567.125 + i, Sphericity = 0.8765, Maximum3DDiameterMm = 21.75 + i,
            Elongation = 0.625, Flatness = 0.5,
            Recist = new RecistAxes(2 + i % 3, 8 * columnSpacing, At(2 + i % 3, 2, 5 + i, rowSpacing, columnSpacing, sliceSpacing), At(2 + i % 3, 10, 5 + i, rowSpacing, columnSpacing, sliceSpacing),
                4 * rowSpacing, At(2 + i % 3, 6, 3 + i, rowSpacing, columnSpacing, sliceSpacing), At(2 + i % 3, 6, 7 + i, rowSpacing, columnSpacing, sliceSpacing)),
            BoundingBox = new PixelBox(2, 2 + i, 10, 8 + i),
        }).ToList();
        var input = new MeasurementReportInput { SourceImages = source, Segmentation = seg, Lesions = reports, AlgorithmName = "MedNode test model", AlgorithmVersion = "1.0.0" };
        return new Fixture(source, seg, input, new MeasurementReportBuilder(FixedClock.Default).Build(input));
    }

    [RequiresTheory(null, "dciodvfy")]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(2, true)]
    [Trait("Conformance", "PS3.3 A.35.13")]
    public void Sr_Dciodvfy_ReportsNoErrors(int lesions, bool multiFrameSource)
    {
        var f = Make(lesions, multiFrame: multiFrameSource);
        using var dir = new TempDir();
        var errors = ObjectFiles.DciodvfyErrors(ObjectFiles.Write(dir, "sr.dcm", f.Sr), out var output);

        errors.Should().BeEmpty(output);
        output.Should().Contain("Comprehensive3DSR", "dciodvfy recognised the IOD");
    }

    /// <summary>
    /// A report that replaces an earlier one names it in the Predecessor Documents Sequence (0040,A360) of the SR Document
    /// General Module (PS3.3 C.17.2), in the Hierarchical SOP Instance Reference Macro (Table C.17-3): DCMTK dcmdump reads
    /// the study, series, SOP class and SOP instance there, and dciodvfy still reports no error. A report without
    /// predecessors has no such sequence.
    /// </summary>
    [RequiresFact(null, "dciodvfy", "dcmdump")]
    [Trait("Conformance", "PS3.3 C.17.2")]
    public void Sr_WithAPredecessorDocument_NamesItInThePredecessorDocumentsSequence_DciodvfyAccepts()
    {
        var f = Make(1);
        var earlier = new SrDocumentReference("1.2.826.0.1.3680043.2.1125.1.1", "1.2.826.0.1.3680043.2.1125.1.2", DicomUids.Comprehensive3DSRStorage, "1.2.826.0.1.3680043.2.1125.1.3");
        var input = new MeasurementReportInput
        {
            SourceImages = f.Input.SourceImages, Segmentation = f.Input.Segmentation, Lesions = f.Input.Lesions,
            AlgorithmName = f.Input.AlgorithmName, AlgorithmVersion = f.Input.AlgorithmVersion, PredecessorDocuments = [earlier],
        };
        var sr = new MeasurementReportBuilder(FixedClock.Default).Build(input);
        using var dir = new TempDir();
        var path = ObjectFiles.Write(dir, "sr.dcm", sr);
        var plain = ObjectFiles.Write(dir, "plain.dcm", f.Sr);

        var errors = ObjectFiles.DciodvfyErrors(path, out var output);
        errors.Should().BeEmpty(output);
        var dump = Tools.Run("dcmdump", ["-q", path]);
        dump.ExitCode.Should().Be(0, dump.StdErr);
        var lines = dump.StdOut.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimStart().StartsWith("(0040,a360) SQ", StringComparison.Ordinal));
        start.Should().BeGreaterThan(0, dump.StdOut);
        var end = Array.FindIndex(lines, start, l => l.StartsWith("(fffe,e0dd)", StringComparison.Ordinal));
        var sequence = string.Join('\n', lines[start..end]);
        sequence.Should().Contain($"(0020,000d) UI [{earlier.StudyInstanceUid}]").And.Contain($"(0020,000e) UI [{earlier.SeriesInstanceUid}]")
            .And.Contain($"(0008,1150) UI =Comprehensive3DSRStorage").And.Contain($"(0008,1155) UI [{earlier.SopInstanceUid}]");
        Tools.Run("dcmdump", ["-q", plain]).StdOut.Should().NotContain("(0040,a360)");
    }

    [RequiresFact(null, "dsrdump")]
    [Trait("Conformance", "PS3.16 TID 1500")]
    public void Sr_Dsrdump_RendersTreeWithoutRelationshipErrors()
    {
        var f = Make(2);
        using var dir = new TempDir();
        var path = ObjectFiles.Write(dir, "sr.dcm", f.Sr);

        var r = Tools.Run("dsrdump", [path]);

        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdErr.Should().NotContainAny(["E:", "W:"]);
        r.StdOut.Should().Contain("Imaging Measurement Report").And.Contain("Long Axis").And.Contain("POLYLINE").And.Contain("Referenced Segment")
            .And.Contain("Referenced Segmentation Frame").And.Contain("Image Region");
    }

    /// <summary>
    /// OHIF 3.13.2 merges the groups of one Tracking UID and draws only a top-level SCOORD when there is one
    /// (extensions/cornerstone-dicom-sr getSopClassHandlerModule, _processMeasurement): the RECIST group's ROI is therefore
    /// its Referenced Segmentation Frame, and the box is an Image Region in a group with its own Tracking UID.
    /// </summary>
    [Fact]
    [Trait("Conformance", "PS3.16 TID 1410")]
    public void Sr_RecistGroupReferencesSegFrame_BoxHasItsOwnGroup()
    {
        var f = Make(2);
        var groups = f.Sr.GetSequence(DicomTags.ContentSequence).Last().GetSequence(DicomTags.ContentSequence);
        groups.Should().HaveCount(6, "per lesion a TID 1411 group, a TID 1410 RECIST group and a TID 1410 box group");
        for (int i = 0; i < 2; i++)
        {
            var lesion = f.Input.Lesions[i];
            var (volumetric, recist, box) = (Items(groups[3 * i]), Items(groups[3 * i + 1]), Items(groups[3 * i + 2]));
            Uid(volumetric).Should().Be(lesion.TrackingUid);
            Uid(recist).Should().Be(lesion.TrackingUid);
            Uid(box).Should().NotBe(lesion.TrackingUid).And.NotBeNullOrEmpty();
            Named(box, Codes.TrackingIdentifier).GetString(DicomTags.TextValue).Should().Be(lesion.TrackingId + " bounding box");

            recist.Where(c => c.GetString(DicomTags.ValueType) == "SCOORD").Should().BeEmpty("a top-level SCOORD would be all OHIF draws of the lesion");
            var keyImage = f.Source[lesion.Recist!.KeyFrameIndex].GetString(DicomTags.SOPInstanceUID);
            var segRef = Named(recist, Codes.ReferencedSegmentationFrame).GetSequence(DicomTags.ReferencedSOPSequence).Single();
            segRef.GetString(DicomTags.ReferencedSOPInstanceUID).Should().Be(f.Seg.GetString(DicomTags.SOPInstanceUID));
            var segFrame = f.Seg.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)[segRef.GetInt(DicomTags.ReferencedFrameNumber)!.Value - 1];
            segFrame.GetSequence(DicomTags.SegmentIdentificationSequence).Single().GetInt(DicomTags.ReferencedSegmentNumber).Should().Be(lesion.SegmentNumber);
            segFrame.GetSequence(DicomTags.DerivationImageSequence).Single().GetSequence(DicomTags.SourceImageSequence).Single()
                .GetString(DicomTags.ReferencedSOPInstanceUID).Should().Be(keyImage, "the referenced SEG frame lies on the key image");
            Named(recist, Codes.SourceImageForSegmentation).GetSequence(DicomTags.ReferencedSOPSequence).Single()
                .GetString(DicomTags.ReferencedSOPInstanceUID).Should().Be(keyImage);

            var region = Named(box, Codes.ImageRegion);
            region.GetString(DicomTags.GraphicType).Should().Be("POLYLINE");
            var b = lesion.BoundingBox!.Value;
            region.GetDoubles(DicomTags.GraphicData).Should().Equal(
                [b.MinColumn, b.MinRow, b.MaxColumn + 1, b.MinRow, b.MaxColumn + 1, b.MaxRow + 1, b.MinColumn, b.MaxRow + 1, b.MinColumn, b.MinRow],
                (x, y) => Math.Abs(x - y) < 1e-4);
            region.GetSequence(DicomTags.ContentSequence).Single().GetSequence(DicomTags.ReferencedSOPSequence).Single()
                .GetString(DicomTags.ReferencedSOPInstanceUID).Should().Be(keyImage);
        }

        static IReadOnlyList<DicomDataset> Items(DicomDataset group) => group.GetSequence(DicomTags.ContentSequence);
        static DicomDataset Named(IReadOnlyList<DicomDataset> items, CodedConcept name) =>
            items.Single(c => name.Matches(CodedConcept.FromSequence(c, DicomTags.ConceptNameCodeSequence)));
        static string? Uid(IReadOnlyList<DicomDataset> items) => Named(items, Codes.TrackingUniqueIdentifier).GetString(DicomTags.UID);
    }

    [Fact]
    [Trait("Conformance", "PS3.3 C.18.6.1.1")]
    public void Sr_RecistAxes_AreScoordPolylinesInPixelSpaceOfTheKeyImage()
    {
        var f = Make(1, rowSpacing: 0.7, columnSpacing: 0.9);
        var planar = f.Sr.GetSequence(DicomTags.ContentSequence).Last().GetSequence(DicomTags.ContentSequence)[1];
        var longAxis = planar.GetSequence(DicomTags.ContentSequence).Single(c => Codes.LongAxis.Matches(CodedConcept.FromSequence(c, DicomTags.ConceptNameCodeSequence)));
        var scoord = longAxis.GetSequence(DicomTags.ContentSequence).Single();

        scoord.GetString(DicomTags.GraphicType).Should().Be("POLYLINE");
        // Pixel (column 2, row 5) and (10, 5); their centres lie at +0.5 in image coordinates.
        scoord.GetDoubles(DicomTags.GraphicData).Should().Equal([2.5, 5.5, 10.5, 5.5], (a, b) => Math.Abs(a - b) < 1e-4);
        scoord.GetSequence(DicomTags.ContentSequence).Single().GetSequence(DicomTags.ReferencedSOPSequence).Single()
            .GetString(DicomTags.ReferencedSOPInstanceUID).Should().Be(f.Source[2].GetString(DicomTags.SOPInstanceUID));
        f.Sr.GetSequence(DicomTags.CurrentRequestedProcedureEvidenceSequence).Single().GetSequence(DicomTags.ReferencedSeriesSequence)
            .SelectMany(s => s.GetSequence(DicomTags.ReferencedSOPSequence)).Select(s => s.GetString(DicomTags.ReferencedSOPInstanceUID))
            .Should().Contain(f.Seg.GetString(DicomTags.SOPInstanceUID)).And.HaveCount(Slices + 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("Conformance", "PS3.16 TID 1411")]
    public void SrThroughPart10File_ReadBack_GivesSameNumbersAndAxes(bool multiFrameSource)
    {
        var f = Make(3, multiFrame: multiFrameSource);
        using var dir = new TempDir();
        var path = ObjectFiles.Write(dir, "sr.dcm", f.Sr);

        var read = MeasurementReportReader.Read(DicomFile.Open(path).Dataset, f.Source);

        read.Should().HaveCount(3);
        for (int i = 0; i < 3; i++)
        {
            var expected = f.Input.Lesions[i];
            read[i].Should().BeEquivalentTo(expected, o => o.Excluding(l => l.Recist));
            read[i].Recist!.KeyFrameIndex.Should().Be(expected.Recist!.KeyFrameIndex);
            read[i].Recist!.LongAxisMm.Should().Be(expected.Recist.LongAxisMm);
            read[i].Recist!.ShortAxisMm.Should().Be(expected.Recist.ShortAxisMm);
            foreach (var (a, b) in new[] { (read[i].Recist!.LongAxisFrom, expected.Recist.LongAxisFrom), (read[i].Recist!.LongAxisTo, expected.Recist.LongAxisTo),
                         (read[i].Recist!.ShortAxisFrom, expected.Recist.ShortAxisFrom), (read[i].Recist!.ShortAxisTo, expected.Recist.ShortAxisTo) })
            {
                a.X.Should().BeApproximately(b.X, 1e-3); a.Y.Should().BeApproximately(b.Y, 1e-3); a.Z.Should().BeApproximately(b.Z, 1e-3);
            }
        }
    }

    [Fact]
    public void Build_LesionReferencingMissingSegment_IsRefused()
    {
        var f = Make(1);
        var bad = new MeasurementReportInput
        {
            SourceImages = f.Source, Segmentation = f.Seg, AlgorithmName = "m", AlgorithmVersion = "1",
            Lesions = [f.Input.Lesions[0] with { SegmentNumber = 2 }],
        };
        new MeasurementReportBuilder(FixedClock.Default).Invoking(b => b.Build(bad)).Should().Throw<ResultGeometryException>().WithMessage("*segment 2*");
    }
}
