using MedNode.Analysis.Assembly;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.Dicom.Buffers;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Assembly;

/// <summary>Compressed series are decoded through the codec registry; an undecodable one is skipped with the registry's reason.</summary>
public class CompressedSeriesTests
{
    private static readonly CtPhantomSpec Small = new()
    {
        Columns = 32, Rows = 30, Slices = 8, PixelSpacing = 0.8, SliceSpacing = 1.5,
        Origin = new Vec3(-12, -12, 0), BodyRadii = (11, 10), Seed = 3,
        Lesions = [new PhantomEllipsoid(new Vec3(0, 0, 6), new Vec3(4, 4, 3), 120)],
    };

    [RequiresTheory(null, "dcmcjpeg", "dcmcjpls", "dcmcrle")]
    [InlineData("dcmcjpeg")]   // JPEG lossless SV1, encoded by DCMTK
    [InlineData("dcmcjpls")]   // JPEG-LS lossless, encoded by DCMTK
    [InlineData("dcmcrle")]    // RLE lossless, encoded by DCMTK
    public void AssembleFiles_SeriesCompressedByDcmtk_SameHuAsPhantom(string encoder)
    {
        using var dir = new TempDir();
        var native = CtPhantom.WriteSeries(Small, dir.Path);
        var compressed = new List<string>();
        foreach (var p in native)
        {
            var outPath = p + "." + encoder + ".dcm";
            var r = Tools.Run(encoder, [p, outPath]);
            r.ExitCode.Should().Be(0, r.StdErr);
            compressed.Add(outPath);
        }
        DicomFile.Open(compressed[0]).TransferSyntax.IsEncapsulated.Should().BeTrue();

        var result = SeriesAssembler.AssembleFiles(compressed);

        result.SkipReason.Should().BeNull();
        result.Series!.Image.Data.Should().Equal(CtPhantom.Render(Small).Data);
    }

    [Fact]
    public void AssembleFiles_TransferSyntaxWithoutCodec_SkipsNamingTransferSyntaxNotSupported()
    {
        using var dir = new TempDir();
        var paths = new List<string>();
        foreach (var ds in CtPhantom.CreateSeries(Small))
        {
            // Re-label the series as MPEG-2 video: no codec decodes it.
            var frag = new DicomFragmentSequence(DicomTags.PixelData, DicomVR.OB);
            frag.Fragments.Add(new MemoryByteBuffer(new byte[] { 0, 0, 1, 0xB3 }));
            ds.Add(frag);
            var path = Path.Combine(dir.Path, ds.GetString(DicomTags.SOPInstanceUID) + ".dcm");
            using (var fs = File.Create(path)) DicomFileWriter.Write(fs, ds, DicomTransferSyntax.MPEG2MPML);
            paths.Add(path);
        }

        var result = SeriesAssembler.AssembleFiles(paths);

        result.Series.Should().BeNull();
        result.SkipReason.Should().Contain("transfer syntax not supported").And.Contain("MPEG2");
    }
}
