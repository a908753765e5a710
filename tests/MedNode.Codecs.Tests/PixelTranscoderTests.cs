using System.Security.Cryptography;
using MedNode.Codecs.Tests.Support;
using MedNode.Dicom;
using MedNode.Dicom.Imaging;
using MedNode.Dicom.Imaging.Codecs;
using MedNode.TestSupport;

namespace MedNode.Codecs.Tests;

/// <summary>Whole data sets transcoded through the registry, written with the toolkit's Part 10 writer, and checked with real tools.</summary>
public class PixelTranscoderTests
{
    private const string JpegLosslessCt = "jpeg/dicomParser__CT0012.fragmented_no_bot_jpeg_lossless.57.dcm";

    [RequiresFact("corpus/" + JpegLosslessCt, "dcmdump")]
    [Trait("Conformance", "PS3.5 A.4")]
    public void Transcode_JpegLosslessCorpusFileToExplicitLittleEndian_DcmdumpReadsItAndPixelsMatchReference()
    {
        using var dir = new TempDir();
        var file = DicomFile.Open(SharedData.Get("corpus/" + JpegLosslessCt));

        var native = PixelTranscoder.Transcode(file.Dataset, file.TransferSyntax, DicomTransferSyntax.ExplicitVRLittleEndian);
        var path = dir.File("native.dcm");
        new DicomFile(native, null, DicomTransferSyntax.ExplicitVRLittleEndian).Save(path);

        var dump = Tools.Run("dcmdump", ["-q", path]);
        dump.ExitCode.Should().Be(0, dump.StdErr);
        dump.StdOut.Should().Contain("=LittleEndianExplicit").And.Contain("(7fe0,0010) OW").And.Contain("# 1048576, 1 PixelData");
        var pixels = DicomPixelData.Create(DicomFile.Open(path).Dataset)!;
        pixels.IsEncapsulated.Should().BeFalse();
        Convert.ToHexStringLower(SHA256.HashData(pixels.GetAllNativeBytes())).Should().Be(CorpusManifest.Get(JpegLosslessCt).ReferenceSha256);
    }

    [RequiresTheory(null, "gdcmconv")]
    [InlineData("1.2.840.10008.1.2.4.90", "CT signed 16-bit")]
    [InlineData("1.2.840.10008.1.2.4.80", "RGB 8-bit planar")]
    [InlineData("1.2.840.10008.1.2.4.70", "MR 12 in 16")]
    [InlineData("1.2.840.10008.1.2.5", "RGB 8-bit planar")]
    [Trait("Conformance", "PS3.5 8.2")]
    public void Transcode_NativeToCompressed_WrittenFileDecodesWithGdcmToOriginal(string targetUid, string imageName)
    {
        using var dir = new TempDir();
        var image = TestCodecs.Image(imageName);
        var source = DicomFile.Parse(TestDicomFile.Write(DicomTransferSyntax.ExplicitVRLittleEndian.Uid, image.Info, 1, image.Pixels, null));
        var target = DicomTransferSyntax.Lookup(targetUid);

        var compressed = PixelTranscoder.Transcode(source.Dataset, source.TransferSyntax, target);
        var path = dir.File("compressed.dcm");
        new DicomFile(compressed, null, target).Save(path);
        var raw = dir.File("raw.dcm");
        var result = Tools.Run("gdcmconv", ["--raw", path, raw]);

        result.ExitCode.Should().Be(0, result.StdErr);
        var decoded = DicomPixelData.Create(DicomFile.Open(raw).Dataset)!;
        decoded.Info.PhotometricInterpretation.Should().Be(image.Info.PhotometricInterpretation);
        decoded.GetNativeFrame(0).Should().Equal(TestCodecs.InLayout(image, decoded.Info.PlanarConfiguration));
    }

    [Fact]
    public void Transcode_ToDecodeOnlySyntax_ThrowsNotSupported()
    {
        var image = SyntheticImages.PaletteLike8();
        var source = DicomFile.Parse(TestDicomFile.Write(DicomTransferSyntax.ExplicitVRLittleEndian.Uid, image.Info, 1, image.Pixels, null));

        var act = () => PixelTranscoder.Transcode(source.Dataset, source.TransferSyntax, DicomTransferSyntax.JPEGBaseline8Bit);

        act.Should().Throw<DicomCodecNotSupportedException>().WithMessage("*JPEG Baseline*");
    }
}
