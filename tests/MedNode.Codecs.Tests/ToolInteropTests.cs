using MedNode.Codecs.Tests.Support;
using MedNode.Dicom;
using MedNode.Dicom.Imaging.Codecs;
using MedNode.TestSupport;

namespace MedNode.Codecs.Tests;

/// <summary>
/// What MedNode encodes, real tools decode to the same pixels (DCMTK dcmdrle/dcmdjpeg/dcmdjpls, GDCM gdcmconv --raw); and what
/// those tools encode, MedNode decodes to the same pixels.
/// </summary>
public class ToolInteropTests
{
    private static readonly string[] ToolImages = ["CT signed 16-bit", "MR 12 in 16", "RGB 8-bit", "palette-like 8-bit"];
    private static readonly string[] ToolImagesSigned12 = [.. ToolImages, "CT signed 12 in 16"];

    public static TheoryData<string, string, string> MedNodeEncodedCases()
    {
        var data = new TheoryData<string, string, string>();
        (string Codec, string Tool)[] pairs =
        [
            ("RLE", "dcmdrle"), ("RLE", "gdcmconv"),
            ("P14-1", "dcmdjpeg"), ("P14-2", "dcmdjpeg"), ("P14-3", "dcmdjpeg"), ("P14-4", "dcmdjpeg"),
            ("P14-5", "dcmdjpeg"), ("P14-6", "dcmdjpeg"), ("P14-7", "dcmdjpeg"), ("SV1", "dcmdjpeg"),
            ("P14-6", "gdcmconv"), ("SV1", "gdcmconv"),
            ("P14-6-R7", "dcmdjpeg"), ("SV1-R5", "dcmdjpeg"), ("P14-4-R1", "dcmdjpeg"), ("P14-6-R7", "gdcmconv"), ("SV1-R5", "gdcmconv"),
            ("JPEG-LS", "dcmdjpls"), ("JPEG-LS", "gdcmconv"),
            ("J2K", "gdcmconv"),
        ];
        foreach (var (codec, tool) in pairs)
            foreach (var image in ToolImagesSigned12) data.Add(codec, tool, image);
        return data;
    }

    [RequiresTheory(null, "gdcmconv", "dcmdrle", "dcmdjpeg", "dcmdjpls")]
    [MemberData(nameof(MedNodeEncodedCases))]
    [Trait("Conformance", "PS3.5 8.2")]
    public void MedNodeEncoded_DecodedByRealTool_GivesOriginalPixels(string codecName, string tool, string imageName)
    {
        var codec = TestCodecs.Get(codecName);
        var image = TestCodecs.Image(imageName);
        using var dir = new TempDir();
        var file = TestDicomFile.Write(codec.TransferSyntaxUid, image.Info, 1, null, [codec.Encode(image.Pixels, image.Info)]);

        var decoded = ToolRunner.Convert(dir, file, tool, tool == "gdcmconv" ? ["--raw"] : ["+te"]);

        decoded.TransferSyntaxUid.Should().Be(DicomTransferSyntax.ExplicitVRLittleEndian.Uid);
        var planar = image.Info.SamplesPerPixel == 3 ? decoded.UInt16(0x00280006) : 0;
        var toolPixels = ToolRunner.NativeFrame(decoded, image.Info);
        PixelSamples.Read(toolPixels, image.Info).Should().Equal(PixelSamples.Read(TestCodecs.InLayout(image, planar), image.Info), "the stored values survive");
        var ours = codec.Decode(codec.Encode(image.Pixels, image.Info), image.Info);
        // Above Bits Stored, GDCM sign-extends signed JPEG lossless samples and DCMTK leaves zeros; MedNode follows DCMTK.
        var toolsDisagree = tool == "gdcmconv" && (codecName.StartsWith("SV1", StringComparison.Ordinal) || codecName.StartsWith("P14", StringComparison.Ordinal)) && image.Info.IsSigned && image.Info.BitsStored < image.Info.BitsAllocated;
        if (ours.PlanarConfiguration == planar && !toolsDisagree) toolPixels.Should().Equal(ours.Data, "MedNode decodes to the very bytes the tool writes (bits above Bits Stored included)");
    }

    public static TheoryData<string, string> ToolEncodedLosslessCases()
    {
        var data = new TheoryData<string, string>();
        string[] encoders =
        [
            "dcmcrle", "dcmcjpeg +e1", "dcmcjpeg +el +sv 1", "dcmcjpeg +el +sv 2", "dcmcjpeg +el +sv 3", "dcmcjpeg +el +sv 4",
            "dcmcjpeg +el +sv 5", "dcmcjpeg +el +sv 6", "dcmcjpeg +el +sv 7", "dcmcjpls +el +il", "dcmcjpls +el +is", "dcmcjpls +el +in",
            "gdcmconv --j2k", "gdcmconv --jpegls", "gdcmconv --rle", "gdcmconv --jpeg",
        ];
        foreach (var encoder in encoders)
            foreach (var image in ToolImages) data.Add(encoder, image);
        return data;
    }

    [RequiresTheory(null, "gdcmconv", "dcmcrle", "dcmcjpeg", "dcmcjpls")]
    [MemberData(nameof(ToolEncodedLosslessCases))]
    [Trait("Conformance", "PS3.5 8.2")]
    public void ToolEncodedLossless_DecodedByMedNode_GivesOriginalPixels(string encoder, string imageName)
    {
        var image = TestCodecs.Image(imageName);
        using var dir = new TempDir();
        var native = TestDicomFile.Write(DicomTransferSyntax.ExplicitVRLittleEndian.Uid, image.Info, 1, image.Pixels, null);
        var parts = encoder.Split(' ');

        var encoded = ToolRunner.Convert(dir, native, parts[0], parts[1..]);
        var decoded = DicomCodecRegistry.Default.Decode(encoded.TransferSyntaxUid, ToolRunner.EncodedFrame(encoded), image.Info with
        {
            PhotometricInterpretation = encoded.Text(0x00280004),
            PlanarConfiguration = image.Info.SamplesPerPixel == 3 ? encoded.UInt16(0x00280006) : 0,
        });

        decoded.Data.Should().Equal(TestCodecs.InLayout(image, decoded.PlanarConfiguration));
        decoded.PhotometricInterpretation.Should().Be(image.Info.PhotometricInterpretation, "lossless colour comes back as RGB");
    }

    public static TheoryData<string, string, string, int> ToolEncodedLossyCases() => new()
    {
        // encoder, reference decoder, image, tolerance in grey levels
        { "dcmcjpeg +eb", "dcmdjpeg", "palette-like 8-bit", 1 },
        { "dcmcjpeg +ee", "dcmdjpeg", "MR 12 in 16", 1 },
        { "dcmcjpeg +eb", "gdcmconv", "RGB 8-bit", 1 },
        { "dcmcjpeg +eb +s4", "gdcmconv", "RGB 8-bit", 1 },
        { "dcmcjpeg +eb +n2", "gdcmconv", "RGB 8-bit", 1 },
        { "gdcmconv --jpeg --lossy", "gdcmconv", "RGB 8-bit", 1 }, // 4:2:0 (Y sampled 2×2)
        { "gdcmconv --jpeg --lossy", "gdcmconv", "palette-like 8-bit", 1 },
        { "dcmcjpeg +eb +cr", "dcmdjpeg", "RGB 8-bit", 1 },
        { "dcmcjpls +en", "dcmdjpls", "MR 12 in 16", 0 },
        { "dcmcjpls +en", "dcmdjpls", "RGB 8-bit", 0 },
        { "gdcmconv --j2k --irreversible", "gdcmconv", "MR 12 in 16", 1 },
        { "gdcmconv --j2k --irreversible", "gdcmconv", "RGB 8-bit", 1 },
    };

    /// <summary>Lossy syntaxes: MedNode's decode of a tool-encoded frame agrees with the reference decoder within the stated
    /// tolerance (JpegLibrary's IDCT is within one grey level of libjpeg's; CharLS decodes near-lossless exactly like DCMTK).</summary>
    [RequiresTheory(null, "gdcmconv", "dcmcjpeg", "dcmdjpeg", "dcmcjpls", "dcmdjpls")]
    [MemberData(nameof(ToolEncodedLossyCases))]
    [Trait("Conformance", "PS3.5 8.2")]
    public void ToolEncodedLossy_DecodedByMedNode_MatchesReferenceDecoderWithinTolerance(string encoder, string reference, string imageName, int tolerance)
    {
        var image = TestCodecs.Image(imageName);
        using var dir = new TempDir();
        var native = TestDicomFile.Write(DicomTransferSyntax.ExplicitVRLittleEndian.Uid, image.Info, 1, image.Pixels, null);
        var parts = encoder.Split(' ');
        var encoded = ToolRunner.Convert(dir, native, parts[0], parts[1..]);
        var encodedInfo = image.Info with
        {
            PhotometricInterpretation = encoded.Text(0x00280004),
            PlanarConfiguration = image.Info.SamplesPerPixel == 3 ? encoded.UInt16(0x00280006) : 0,
        };

        var decoded = DicomCodecRegistry.Default.Decode(encoded.TransferSyntaxUid, ToolRunner.EncodedFrame(encoded), encodedInfo);
        var referenceFile = ToolRunner.Convert(dir, TestDicomFile.Write(encoded.TransferSyntaxUid, encodedInfo, 1, null, [ToolRunner.EncodedFrame(encoded)]),
            reference, reference switch { "gdcmconv" => ["--raw"], "dcmdjpeg" => ["+te", "+cn"], _ => ["+te"] });

        decoded.PhotometricInterpretation.Should().Be(referenceFile.Text(0x00280004));
        var expected = PixelSamples.Read(ToolRunner.NativeFrame(referenceFile, encodedInfo with { PhotometricInterpretation = decoded.PhotometricInterpretation }), encodedInfo);
        var actual = PixelSamples.Read(decoded.Data, encodedInfo);
        actual.Should().HaveSameCount(expected);
        actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max().Should().BeLessThanOrEqualTo(tolerance);
    }
}
