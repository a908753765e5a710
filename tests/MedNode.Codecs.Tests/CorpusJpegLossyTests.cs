using MedNode.Codecs.Tests.Support;
using MedNode.Dicom;
using MedNode.Dicom.Imaging;
using MedNode.Dicom.Imaging.Codecs;
using MedNode.TestSupport;

namespace MedNode.Codecs.Tests;

/// <summary>
/// Lossy corpus files whose exact hash MedNode cannot reproduce: JPEG baseline/extended through JpegLibrary agrees with GDCM's
/// libjpeg decode within one grey level; HTJ2K (no reference decoder here) agrees between its lossless and lossy encodings.
/// </summary>
public class CorpusJpegLossyTests
{
    public static TheoryData<string> DctFiles() => CorpusManifest.EncapsulatedPaths(e =>
        e.ReferenceSha256 != null && e.TransferSyntaxUid is "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51"
        && !e.ExpectError && e.Path != "jpeg/fo-dicom__multiframe.dcm");

    /// <summary>Tolerance: ±1 grey level per sample, the IDCT rounding difference between JpegLibrary and libjpeg.</summary>
    [RequiresTheory("corpus/manifest.json", "gdcmconv")]
    [MemberData(nameof(DctFiles))]
    [Trait("Conformance", "PS3.5 8.2.1")]
    public void CorpusJpegDct_DecodedByMedNode_WithinOneGreyLevelOfGdcm(string path)
    {
        using var dir = new TempDir();
        var source = SharedData.Get("corpus/" + path);
        var file = DicomFile.Open(source);
        var pixels = DicomPixelData.Create(file.Dataset)!;
        var output = dir.File("raw.dcm");
        Tools.Run("gdcmconv", ["--raw", source, output]).ExitCode.Should().Be(0);
        var reference = DicomPixelData.Create(DicomFile.Open(output).Dataset)!;

        for (var frame = 0; frame < pixels.NumberOfFrames; frame++)
        {
            var decoded = DicomCodecRegistry.Default.Decode(file.TransferSyntax.Uid, pixels.GetEncapsulatedFrame(frame), pixels.Info);
            decoded.PhotometricInterpretation.Should().Be(reference.Info.PhotometricInterpretation, "MedNode and GDCM both leave YBR_FULL unconverted");
            var info = pixels.Info with { PhotometricInterpretation = decoded.PhotometricInterpretation };
            var expected = PixelSamples.Read(reference.GetNativeFrame(frame), info);
            var actual = PixelSamples.Read(decoded.Data, info);
            actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max().Should().BeLessThanOrEqualTo(1, $"frame {frame} of {path}");
        }
    }

    /// <summary>HTJ2K: no tool here decodes it independently, so the lossless (.201) and lossy (.203) encodings of the same image
    /// are decoded and compared: they agree to within the lossy quantisation.</summary>
    [RequiresFact("corpus/htj2k/pydicom-data__HTJ2KLossless_08_RGB.dcm")]
    [Trait("Conformance", "PS3.5 8.2.15")]
    public void CorpusHtj2k_LosslessAndLossy_AgreeWithinQuantisation()
    {
        (DecodedFrame Frame, FrameInfo Info) Decode(string path)
        {
            var file = DicomFile.Open(SharedData.Get("corpus/" + path));
            var pixels = DicomPixelData.Create(file.Dataset)!;
            return (DicomCodecRegistry.Default.Decode(file.TransferSyntax.Uid, pixels.GetEncapsulatedFrame(0), pixels.Info), pixels.Info);
        }

        var (lossless, info) = Decode("htj2k/pydicom-data__HTJ2KLossless_08_RGB.dcm");
        var (lossy, _) = Decode("htj2k/pydicom-data__HTJ2K_08_RGB.dcm");

        lossless.Data.Should().HaveCount(480 * 640 * 3);
        lossless.PhotometricInterpretation.Should().Be("RGB");
        var differences = lossless.Data.Zip(lossy.Data, (a, b) => Math.Abs(a - b)).ToArray();
        differences.Max().Should().BeLessThanOrEqualTo(8);
        differences.Average().Should().BeLessThan(1.0);
        lossless.Data.Distinct().Count().Should().BeGreaterThan(64, "a real image, not a constant");
        info.Rows.Should().Be(480);
    }
}
