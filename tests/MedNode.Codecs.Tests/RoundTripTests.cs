using MedNode.Codecs.Tests.Support;
using MedNode.Dicom.Imaging.Codecs;

namespace MedNode.Codecs.Tests;

/// <summary>Lossless codecs: encode then decode gives back every bit of synthetic CT, MR, RGB and palette-like frames.</summary>
public class RoundTripTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        string[] codecs = ["RLE", "SV1", "SV1-R5", "P14-6-R7", "P14-4-R1", "P14-1", "P14-2", "P14-3", "P14-4", "P14-5", "P14-6", "P14-7", "JPEG-LS", "J2K", "Deflate"];
        foreach (var codec in codecs)
            foreach (var image in SyntheticImages.LosslessSet()) data.Add(codec, image.Name);
        data.Add("RLE", "RGB 16-bit");
        data.Add("RLE", "mono 32-bit");
        data.Add("Deflate", "mono 32-bit");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [Trait("Conformance", "PS3.5 8.2")]
    public void LosslessCodec_EncodeThenDecode_IsBitExact(string codecName, string imageName)
    {
        var codec = TestCodecs.Get(codecName);
        var image = TestCodecs.Image(imageName);

        var encoded = codec.Encode(image.Pixels, image.Info);
        var decoded = codec.Decode(encoded, image.Info);

        var expected = TestCodecs.InLayout(image, decoded.PlanarConfiguration);
        if (image.Info.BitsStored == image.Info.BitsAllocated) decoded.Data.Should().Equal(expected);
        else PixelSamples.Read(decoded.Data, image.Info).Should().Equal(PixelSamples.Read(expected, image.Info), "stored values (Bits Stored, sign) are equal");
        decoded.PhotometricInterpretation.Should().Be(image.Info.PhotometricInterpretation);
        if (codecName != "Deflate") encoded.Length.Should().BeLessThan(image.Pixels.Length + 1024, "a compressed frame stays near its native size");
    }

    [Fact]
    [Trait("Conformance", "PS3.5 G.2")]
    public void Rle_EncodedFrame_HasOneSegmentPerBytePlaneAndEvenSegments()
    {
        var image = SyntheticImages.CtSigned16();

        var encoded = new RleCodec().Encode(image.Pixels, image.Info);

        BitConverter.ToUInt32(encoded, 0).Should().Be(2, "16-bit monochrome has a high and a low byte segment");
        BitConverter.ToUInt32(encoded, 4).Should().Be(64, "the first segment follows the 64-byte header");
        (BitConverter.ToUInt32(encoded, 8) % 2).Should().Be(0, "segments have even length");
        encoded.Length.Should().Be(encoded.Length / 2 * 2);
    }

    [Fact]
    [Trait("Conformance", "PS3.5 A.4.1")]
    public void JpegLossless_Process14Default_UsesPredictor6LikeDcmtk()
    {
        var image = SyntheticImages.Mr12In16();

        var encoded = Dicom.Imaging.Codecs.Jpeg.JpegLosslessCodec.Process14().Encode(image.Pixels, image.Info);

        var sos = IndexOf(encoded, [0xFF, 0xDA]);
        encoded[sos + 4 + 1 + 2 * 1].Should().Be(6, "Ss, the selection value, follows the component specifications (T.81 B.2.3)");
        encoded[IndexOf(encoded, [0xFF, 0xC3]) + 4].Should().Be(12, "precision equals Bits Stored");
    }

    [Fact]
    [Trait("Conformance", "PS3.5 A.4.1")]
    public void JpegLossless_RestartIntervalOfSevenRows_WritesDriAndRstMarkersInOrder()
    {
        var image = SyntheticImages.CtSigned16(); // 64 rows: 9 intervals of 7 rows (the last one 1 row), so RST0..RST7 then RST0

        var encoded = TestCodecs.Get("P14-6-R7").Encode(image.Pixels, image.Info);

        var dri = IndexOf(encoded, [0xFF, 0xDD, 0x00, 0x04]);
        (encoded[dri + 4] << 8 | encoded[dri + 5]).Should().Be(7 * image.Info.Columns, "Ri counts MCUs: one per pixel (T.81 B.2.4.4)");
        var markers = new List<int>();
        for (var i = IndexOf(encoded, [0xFF, 0xDA]); i + 1 < encoded.Length; i++)
            if (encoded[i] == 0xFF && encoded[i + 1] is >= 0xD0 and <= 0xD7) markers.Add(encoded[i + 1] - 0xD0);
        markers.Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 0);
    }

    [Fact]
    public void JpegLossless_TruncatedData_ThrowsCodecException()
    {
        var image = SyntheticImages.CtSigned16();
        var encoded = Dicom.Imaging.Codecs.Jpeg.JpegLosslessCodec.Process14().Encode(image.Pixels, image.Info);

        var act = () => Dicom.Imaging.Codecs.Jpeg.JpegLosslessCodec.Process14().Decode(encoded.AsSpan(0, 20), image.Info);

        act.Should().Throw<DicomCodecException>();
    }

    [Theory]
    [InlineData("P14-6")]
    [InlineData("JPEG-LS")]
    [InlineData("J2K")]
    public void Decoder_FrameLargerThanRowsAndColumns_ThrowsCodecException(string codecName)
    {
        var codec = TestCodecs.Get(codecName);
        var image = SyntheticImages.CtSigned16();
        var encoded = codec.Encode(image.Pixels, image.Info);

        var act = () => codec.Decode(encoded, image.Info with { Rows = 8, Columns = 8 });

        act.Should().Throw<DicomCodecException>().WithMessage("*8*");
    }

    [Fact]
    public void Rle_SegmentCountDisagreeingWithBitsAllocated_ThrowsCodecException()
    {
        var image = SyntheticImages.PaletteLike8();
        var encoded = new RleCodec().Encode(image.Pixels, image.Info);

        var act = () => new RleCodec().Decode(encoded, image.Info with { BitsAllocated = 16, BitsStored = 16, HighBit = 15 });

        act.Should().Throw<DicomCodecException>().WithMessage("*segments*");
    }

    private static int IndexOf(byte[] data, byte[] pattern)
    {
        for (var i = 0; i + pattern.Length <= data.Length; i++)
            if (data.AsSpan(i, pattern.Length).SequenceEqual(pattern)) return i;
        throw new InvalidOperationException("pattern not found");
    }
}
