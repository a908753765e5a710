using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Results;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.Dicom.Objects.Segmentation;
using MedNode.Dicom.Objects.StructuredReport;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Results;

/// <summary>
/// Phantom CT → AnalysisPipeline with the bundled phantom-lesion model → SEG + SR (+ SC + KOS), checked by dicom3tools,
/// DCMTK and our own readers. The dcmjs checks are in <see cref="ResultDcmjsTests"/>.
/// </summary>
[Collection(PhantomResultCollection.Name)]
public sealed class ResultEncoderEndToEndTests(PhantomResultFixture f)
{
    [Fact]
    public void Encode_PhantomSeries_OneSegmentPerPhantomLesionWithManifestCodes()
    {
        var segments = SegmentationReader.Read(f.Encoded.Segmentation!, f.Source);
        var cls = f.Manifest.Classes.Single();

        segments.Should().HaveCount(PhantomResultFixture.Spec.Lesions.Count);
        segments.Select(s => s.Label).Should().Equal(Enumerable.Range(1, segments.Count).Select(n => $"{cls.Label} {n}"));
        segments.Should().OnlyContain(s => s.Category!.Value == cls.Category.Value && s.Category.Scheme == cls.Category.Scheme
            && s.PropertyType!.Value == cls.Type.Value && s.AlgorithmName == f.Manifest.Name && s.AlgorithmVersion == f.Manifest.Version);
        segments.Select(s => s.TrackingUid).Should().OnlyHaveUniqueItems();
        var item = f.Encoded.Segmentation!.GetSequence(DicomTags.SegmentSequence)[0].GetSequence(DicomTags.SegmentationAlgorithmIdentificationSequence)[0];
        item.GetString(DicomTags.AlgorithmSource).Should().Be(f.Manifest.Sha256);
    }

    [Fact]
    [Trait("Conformance", "PS3.3 A.51")]
    public void Encode_PhantomSeries_SegReadsBackVoxelForVoxel()
    {
        var segments = SegmentationReader.Read(f.Encoded.Segmentation!, f.Source);
        var g = f.Result.SourceGeometry!;
        var plane = g.SizeX * g.SizeY;

        for (var i = 0; i < f.Result.Lesions.Count; i++)
        {
            var expected = f.FullMask(f.Result.Lesions[i]);
            var actual = segments[i].Mask.SelectMany(frame => frame).ToArray();
            actual.Length.Should().Be(plane * g.SizeZ);
            actual.SequenceEqual(expected).Should().BeTrue($"segment {i + 1} is lesion {i + 1}'s mask");
        }
    }

    [Fact]
    public void Encode_PhantomSeries_SrReadsBackTheMeasurements()
    {
        var lesions = MeasurementReportReader.Read(f.Encoded.MeasurementReport!, f.Source);

        lesions.Should().HaveCount(f.Result.Lesions.Count);
        for (var i = 0; i < lesions.Count; i++)
        {
            var m = f.Result.Lesions[i].Measurements;
            var r = lesions[i];
            r.SegmentNumber.Should().Be(i + 1);
            m.VolumePartial.Should().NotBeNull("the pipeline estimates every lesion's partial volume");
            r.VolumeMm3.Should().BeApproximately(m.VolumePartial!.Value, 1e-3, "the reported Volume is the partial-volume estimate");
            r.VolumeOfMeshMm3.Should().BeApproximately(m.VolumeMesh, 1e-3);
            r.VolumeFromVoxelSummationMm3.Should().BeApproximately(m.VolumeVoxelCounting, 1e-3);
            r.SurfaceAreaMm2.Should().BeApproximately(m.SurfaceArea, 1e-3);
            r.Sphericity.Should().BeApproximately(m.Sphericity, 1e-6);
            r.Maximum3DDiameterMm.Should().BeApproximately(m.Maximum3DDiameter, 1e-3);
            r.Elongation.Should().BeApproximately(m.Elongation, 1e-6);
            r.Flatness.Should().BeApproximately(m.Flatness, 1e-6);
            r.Recist!.LongAxisMm.Should().BeApproximately(m.Recist!.LongAxisMm, 1e-3);
            r.Recist.ShortAxisMm.Should().BeApproximately(m.Recist.ShortAxisMm, 1e-3);
            var key = f.Result.Slices[m.Recist.SliceIndex];
            f.Source[r.Recist.KeyFrameIndex].GetString(DicomTags.SOPInstanceUID).Should().Be(key.SopInstanceUid);
        }
    }

    [RequiresFact(null, "dciodvfy")]
    [Trait("Conformance", "PS3.3 A.51")]
    public void Encode_PhantomSeries_SegDciodvfyReportsNoErrors()
    {
        var errors = PhantomResultFixture.DciodvfyErrors(f.SegPath, out var output);

        errors.Should().BeEmpty(output);
        output.Should().Contain("Segmentation", "dciodvfy recognised the IOD");
    }

    [RequiresFact(null, "dciodvfy")]
    [Trait("Conformance", "PS3.3 A.35.13")]
    public void Encode_PhantomSeries_SrDciodvfyReportsNoErrors()
    {
        var errors = PhantomResultFixture.DciodvfyErrors(f.SrPath, out var output);

        errors.Should().BeEmpty(output);
        output.Should().Contain("Comprehensive3DSR", "dciodvfy recognised the IOD");
    }

    [RequiresFact(null, "dsrdump")]
    [Trait("Conformance", "PS3.16 TID 1500")]
    public void Encode_PhantomSeries_DsrdumpRendersSrWithoutErrors()
    {
        var r = Tools.Run("dsrdump", [f.SrPath]);

        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdErr.Should().NotContainAny(["E:", "W:"]);
        r.StdOut.Should().Contain("Imaging Measurement Report").And.Contain("Long Axis").And.Contain("Short Axis").And.Contain("POLYLINE");
        CountOf(r.StdOut, "\"Referenced Segment\")").Should().Be(PhantomResultFixture.Spec.Lesions.Count);
        CountOf(r.StdOut, "\"Referenced Segmentation Frame\")").Should().Be(PhantomResultFixture.Spec.Lesions.Count);
        CountOf(r.StdOut, "\"Image Region\")").Should().Be(PhantomResultFixture.Spec.Lesions.Count);
    }

    [RequiresFact(null, "dciodvfy")]
    [Trait("Conformance", "PS3.3 A.8.1")]
    [Trait("Conformance", "PS3.3 A.35.4")]
    public void Encode_PhantomSeries_FallbackScAndKosDciodvfyReportNoErrors()
    {
        f.ScPaths.Should().HaveCount(PhantomResultFixture.Spec.Lesions.Count);
        foreach (var path in f.ScPaths.Append(f.KoPath))
        {
            var errors = PhantomResultFixture.DciodvfyErrors(path, out var output);
            errors.Should().BeEmpty($"{Path.GetFileName(path)}: {output}");
        }
    }

    [Fact]
    public void Encode_PhantomSeries_KeyObjectsPointAtEachLesionsKeySlice()
    {
        var expected = f.Result.Lesions.Select(l => f.Result.Slices[l.Measurements.Recist!.SliceIndex].SopInstanceUid).Distinct();
        var referenced = f.Encoded.KeyObjectSelection!.GetSequence(DicomTags.ContentSequence)
            .Where(c => c.GetString(DicomTags.ValueType) == "IMAGE")
            .Select(c => c.GetSequence(DicomTags.ReferencedSOPSequence)[0].GetString(DicomTags.ReferencedSOPInstanceUID));

        referenced.Should().BeEquivalentTo(expected);
        f.Encoded.SecondaryCaptures.Should().OnlyContain(sc => sc.GetString(DicomTags.BurnedInAnnotation) == "YES");
    }

    [Fact]
    public void Encode_SourceOfAnotherSeries_RefusedBeforeWriting()
    {
        var other = CtPhantom.CreateSeries(PhantomResultFixture.Spec with { Lesions = [], Seed = 7 });

        var act = () => new ResultEncoder(TimeProvider.System).Encode(f.Result, other, f.Manifest);

        act.Should().Throw<ResultGeometryException>().WithMessage("*not among the source images*");
    }

    [Fact]
    public void Encode_ResultGridShifted_Refused()
    {
        var g = f.Result.SourceGeometry!;
        var shifted = new VolumeGeometry(g.SizeX, g.SizeY, g.SizeZ, g.Spacing, g.Origin + new Vec3(0, 0, 0.75), g.RowDirection, g.ColumnDirection, g.SliceDirection);

        var act = () => new ResultEncoder(TimeProvider.System).Encode(f.Result with { SourceGeometry = shifted }, f.Source, f.Manifest);

        act.Should().Throw<ResultGeometryException>().WithMessage("*Image Position (Patient)*");
    }

    [Fact]
    public void Encode_LesionOutsideTheGrid_Refused()
    {
        var l = f.Result.Lesions[0];
        var g = f.Result.SourceGeometry!;
        var moved = l with { BoxInSource = l.BoxInSource with { MinX = g.SizeX - 2, MaxX = g.SizeX - 2 + l.BoxInSource.SizeX - 1 } };

        var act = () => new ResultEncoder(TimeProvider.System).Encode(f.Result with { Lesions = [moved] }, f.Source, f.Manifest);

        act.Should().Throw<ResultGeometryException>().WithMessage("*out of bounds*");
    }

    private static int CountOf(string text, string s)
    {
        int n = 0, i = 0;
        while ((i = text.IndexOf(s, i, StringComparison.Ordinal)) >= 0) { n++; i += s.Length; }
        return n;
    }
}
