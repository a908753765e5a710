using System.Globalization;
using MedNode.Analysis.Assembly;
using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Results;
using MedNode.Analysis.Tests.Inference;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.Dicom.Objects.Segmentation;
using MedNode.Dicom.Objects.StructuredReport;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Results;

/// <summary>The same chain on one multi-frame source image (functional groups), where every reference needs a frame number.</summary>
public sealed class MultiFrameResultTests
{
    private static readonly CtPhantomSpec Spec = new()
    {
        Columns = 112, Rows = 112, Slices = 40, PixelSpacing = 0.8, SliceSpacing = 1.5, Origin = new Vec3(-44, -44, -30),
        BodyRadii = (40, 36), Seed = 5,
        Lesions = [new PhantomEllipsoid(new Vec3(-12, -8, -4), new Vec3(10, 9, 8), 130), new PhantomEllipsoid(new Vec3(15, 12, 6), new Vec3(7, 7, 7), 120)],
    };

    [RequiresFact(null, "dciodvfy")]
    [Trait("Conformance", "PS3.3 A.51")]
    public void Encode_MultiFrameSource_SegAndSrValidAndFramesReferenced()
    {
        var source = MultiFrame(CtPhantom.CreateSeries(Spec));
        var series = SeriesAssembler.AssembleDatasets([source]);
        series.IsSuccess.Should().BeTrue(series.SkipReason);
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });
        var result = new AnalysisPipeline(TimeProvider.System).Analyze(series.Series!, model);
        result.Lesions.Should().HaveCount(Spec.Lesions.Count, result.Reason);

        var encoded = new ResultEncoder(TimeProvider.System).Encode(result, [source], model.Manifest);

        using var dir = new TempDir();
        foreach (var (name, ds) in new[] { ("seg.dcm", encoded.Segmentation!), ("sr.dcm", encoded.MeasurementReport!) })
        {
            var path = dir.File(name);
            using (var fs = File.Create(path)) DicomFileWriter.Write(fs, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            var errors = PhantomResultFixture.DciodvfyErrors(path, out var output);
            errors.Should().BeEmpty($"{name}: {output}");
        }
        // Every SEG frame's source reference carries the frame number of the slice it came from.
        var perFrame = encoded.Segmentation!.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence);
        perFrame.Should().OnlyContain(f => f.GetSequence(DicomTags.DerivationImageSequence)[0].GetSequence(DicomTags.SourceImageSequence)[0].GetInt(DicomTags.ReferencedFrameNumber) >= 1);
        var segments = SegmentationReader.Read(encoded.Segmentation!, [source]);
        var g = result.SourceGeometry!;
        for (var i = 0; i < result.Lesions.Count; i++)
        {
            var l = result.Lesions[i];
            var expected = new byte[g.VoxelCount];
            var b = l.BoxInSource;
            for (var z = 0; z < l.Mask.SizeZ; z++)
                for (var y = 0; y < l.Mask.SizeY; y++)
                    for (var x = 0; x < l.Mask.SizeX; x++)
                        if (l.Mask[x, y, z] != 0) expected[g.Index(x + b.MinX, y + b.MinY, z + b.MinZ)] = 1;
            segments[i].Mask.SelectMany(m => m).SequenceEqual(expected).Should().BeTrue($"segment {i + 1}");
        }
        var reports = MeasurementReportReader.Read(encoded.MeasurementReport!, [source]);
        reports.Select(r => r.Recist!.KeyFrameIndex).Should().Equal(result.Lesions.Select(l => l.Measurements.Recist!.SliceIndex), "frame k of the source is slice k");
    }

    /// <summary>One Enhanced CT header with the slices as frames: Pixel Measures and Plane Orientation shared, Plane Position per frame.</summary>
    private static DicomDataset MultiFrame(IReadOnlyList<DicomDataset> slices)
    {
        var first = slices[0];
        var ds = new DicomDataset();
        foreach (var tag in new[] { DicomTags.Modality, DicomTags.PatientName, DicomTags.PatientID, DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID,
                     DicomTags.FrameOfReferenceUID, DicomTags.Rows, DicomTags.Columns, DicomTags.SamplesPerPixel, DicomTags.PhotometricInterpretation,
                     DicomTags.BitsAllocated, DicomTags.BitsStored, DicomTags.HighBit, DicomTags.PixelRepresentation, DicomTags.RescaleIntercept,
                     DicomTags.RescaleSlope, DicomTags.RescaleType })
            ds.Add(first[tag]!);
        ds.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, DicomUids.EnhancedCTImageStorage);
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, DicomImplementation.NewUid());
        ds.AddOrUpdate(DicomTags.NumberOfFrames, DicomVR.IS, slices.Count.ToString(CultureInfo.InvariantCulture));
        var measures = new DicomDataset();
        measures.Add(first[DicomTags.PixelSpacing]!);
        measures.Add(first[DicomTags.SliceThickness]!);
        var orientation = new DicomDataset();
        orientation.Add(first[DicomTags.ImageOrientationPatient]!);
        var shared = new DicomDataset();
        shared.AddOrUpdate(DicomTags.PixelMeasuresSequence, measures);
        shared.AddOrUpdate(DicomTags.PlaneOrientationSequence, orientation);
        ds.AddOrUpdate(DicomTags.SharedFunctionalGroupsSequence, shared);
        ds.AddOrUpdate(DicomTags.PerFrameFunctionalGroupsSequence, slices.Select(s =>
        {
            var position = new DicomDataset();
            position.Add(s[DicomTags.ImagePositionPatient]!);
            var item = new DicomDataset();
            item.AddOrUpdate(DicomTags.PlanePositionSequence, position);
            return item;
        }).ToArray());
        ds.AddOrUpdate(DicomTags.PixelData, DicomVR.OW, slices.SelectMany(s => s.GetBytes(DicomTags.PixelData).ToArray()).ToArray());
        return ds;
    }
}
