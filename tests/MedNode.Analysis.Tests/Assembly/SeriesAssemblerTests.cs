using MedNode.Analysis.Assembly;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Quality;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Assembly;

public class SeriesAssemblerTests
{
    private static readonly CtPhantomSpec Small = new()
    {
        Columns = 40,
        Rows = 36,
        Slices = 12,
        PixelSpacing = 0.8,
        SliceSpacing = 1.5,
        Origin = new Vec3(-16, -14, 10),
        BodyRadii = (14, 12),
        Seed = 7,
        Lesions = [new PhantomEllipsoid(new Vec3(0, 0, 18), new Vec3(5, 4, 4), 120)],
    };

    [Fact]
    [Trait("Conformance", "PS3.3 C.7.6.2.1.1")]
    public void AssembleFiles_ShuffledPhantomSeries_SortsAlongNormalAndKeepsHu()
    {
        using var dir = new TempDir();
        var paths = CtPhantom.WriteSeries(Small, dir.Path);
        var shuffled = paths.OrderBy(p => p.GetHashCode(StringComparison.Ordinal)).Reverse().ToArray();

        var result = SeriesAssembler.AssembleFiles(shuffled);

        result.SkipReason.Should().BeNull();
        var series = result.Series!;
        var g = series.Image.Geometry;
        (g.SizeX, g.SizeY, g.SizeZ).Should().Be((40, 36, 12));
        g.Spacing.X.Should().BeApproximately(0.8, 1e-9);
        g.Spacing.Z.Should().BeApproximately(1.5, 1e-6);
        Vec3.Distance(g.Origin, Small.Origin).Should().BeLessThan(1e-6);
        series.Modality.Should().Be("CT");
        var expected = CtPhantom.Render(Small);
        series.Image.Data.Should().Equal(expected.Data);
        var firstSop = DicomFile.Open(paths[0]).Dataset.GetString(DicomTags.SOPInstanceUID);
        var lastSop = DicomFile.Open(paths[^1]).Dataset.GetString(DicomTags.SOPInstanceUID);
        series.Slices[0].SopInstanceUid.Should().Be(firstSop);
        series.Slices[^1].SopInstanceUid.Should().Be(lastSop);
    }

    [Fact]
    public void AssembleDatasets_InterceptZero_GivesSameHu()
    {
        var spec = Small with { RescaleIntercept = 0 };
        var result = SeriesAssembler.AssembleDatasets(CtPhantom.CreateSeries(spec));
        result.Series!.Image.Data.Should().Equal(CtPhantom.Render(spec).Data);
    }

    [Fact]
    public void AssembleDatasets_MissingSlice_SkipsWithReason()
    {
        var datasets = CtPhantom.CreateSeries(Small).Where((_, k) => k != 5).ToList();
        var result = SeriesAssembler.AssembleDatasets(datasets);
        result.IsSuccess.Should().BeFalse();
        result.SkipReason.Should().StartWith("missing slice: a gap of 3.00 mm");
    }

    [Fact]
    public void AssembleDatasets_DuplicatePosition_SkipsWithReason()
    {
        var datasets = CtPhantom.CreateSeries(Small).ToList();
        datasets[4].AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, datasets[3].GetDoubles(DicomTags.ImagePositionPatient));
        SeriesAssembler.AssembleDatasets(datasets).SkipReason.Should().StartWith("two slices share the position");
    }

    [Fact]
    public void AssembleDatasets_IrregularSpacing_SkipsWithReason()
    {
        var datasets = CtPhantom.CreateSeries(Small).ToList();
        var p = datasets[6].GetDoubles(DicomTags.ImagePositionPatient);
        datasets[6].AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, p[0], p[1], p[2] + 0.6);
        SeriesAssembler.AssembleDatasets(datasets).SkipReason.Should().StartWith("irregular slice spacing");
    }

    [Fact]
    public void AssembleDatasets_GantryTilt_SkipsWithReason()
    {
        var datasets = CtPhantom.CreateSeries(Small).ToList();
        foreach (var ds in datasets) ds.AddOrUpdate(DicomTags.GantryDetectorTilt, DicomVR.DS, 15.0);
        SeriesAssembler.AssembleDatasets(datasets).SkipReason.Should().Contain("gantry tilt");
    }

    [Fact]
    public void AssembleDatasets_ShearedStack_SkipsWithReason()
    {
        var datasets = CtPhantom.CreateSeries(Small).ToList();
        for (var k = 0; k < datasets.Count; k++)
        {
            var p = datasets[k].GetDoubles(DicomTags.ImagePositionPatient);
            datasets[k].AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, p[0], p[1] + (0.4 * k), p[2]);
        }
        SeriesAssembler.AssembleDatasets(datasets).SkipReason.Should().Contain("across the slice normal");
    }

    [Fact]
    [Trait("Conformance", "PS3.3 C.7.4.1")]
    public void AssembleDatasets_TwoFramesOfReference_SkipsWithReason()
    {
        var datasets = CtPhantom.CreateSeries(Small).ToList();
        datasets[2].AddOrUpdate(DicomTags.FrameOfReferenceUID, DicomImplementation.NewUid());
        SeriesAssembler.AssembleDatasets(datasets).SkipReason.Should().Be("the images have more than one Frame of Reference UID");
    }

    [Fact]
    public void QualityGate_PhantomNoise_EstimatesTheAddedSigma()
    {
        var spec = Small with { Columns = 96, Rows = 96, BodyRadii = (40, 36), NoiseSigma = 12 };
        var series = SeriesAssembler.AssembleDatasets(CtPhantom.CreateSeries(spec)).Series!;

        var report = QualityGate.Evaluate(series, new QualityExpectations { Modality = "CT", MinimumCoverageMm = 10 });

        report.Passed.Should().BeTrue(string.Join("; ", report.FailureReasons));
        report.NoiseEstimate.Should().BeApproximately(12, 1.2);
    }

    [Fact]
    public void QualityGate_WrongModality_FailsWithReason()
    {
        var series = SeriesAssembler.AssembleDatasets(CtPhantom.CreateSeries(Small)).Series!;
        var report = QualityGate.Evaluate(series, new QualityExpectations { Modality = "MR", MinimumCoverageMm = 10 });
        report.Passed.Should().BeFalse();
        report.FailureReasons.Should().ContainSingle().Which.Should().Be("modality: series is CT, model expects MR");
    }
}
