using MedNode.Codecs.Tests.Support;
using MedNode.Dicom;
using MedNode.Dicom.Imaging.Codecs;
using MedNode.Dicom.Native;
using MedNode.TestSupport;

namespace MedNode.Codecs.Tests;

public class RegistryTests
{
    private static NativeCodecLibrary Absent() => new("Absent", "libmednode-absent.so.1", "mednode-absent", ">= 1", _ => true, _ => "1.0");

    [Fact]
    public void NativeLibrary_Absent_IsUnavailableWithInstallHint()
    {
        var library = Absent();

        library.IsAvailable.Should().BeFalse();
        library.Version.Should().BeNull();
        library.Reason.Should().Be("libmednode-absent.so.1 not found (apt-get install mednode-absent)");
    }

    [Fact]
    public void NativeLibrary_PresentButTooOld_IsUnavailableNamingVersions()
    {
        var library = new NativeCodecLibrary("OpenJPEG", "libopenjp2.so.7", "libopenjp2-7", ">= 9.0", v => v.Major >= 9,
            h => System.Runtime.InteropServices.NativeLibrary.TryGetExport(h, "opj_version", out _) ? "2.5.0" : null);

        library.IsAvailable.Should().BeFalse();
        library.Reason.Should().Contain("need >= 9.0").And.Contain("apt-get install libopenjp2-7");
    }

    [Fact]
    public void Registry_CodecWhoseLibraryIsAbsent_ReportsNotSupportedAndThrowsTypedException()
    {
        var registry = new DicomCodecRegistry([Jpeg2000Codec.LosslessWith(Absent()), JpegLsCodec.LosslessWith(Absent())]);
        var image = SyntheticImages.Mr12In16();

        registry.IsDecodable(DicomTransferSyntax.JPEG2000Lossless.Uid).Should().BeFalse();
        registry.IsEncodable(DicomTransferSyntax.JPEGLSLossless.Uid).Should().BeFalse();
        registry.GetStatus(DicomTransferSyntax.JPEG2000Lossless.Uid).Reason
            .Should().Be("JPEG 2000 not supported: libmednode-absent.so.1 not found (apt-get install mednode-absent)");
        registry.GetStatus(DicomTransferSyntax.JPEGLSLossless.Uid).Reason.Should().StartWith("JPEG-LS not supported: libmednode-absent.so.1");
        var act = () => registry.Decode(DicomTransferSyntax.JPEG2000Lossless.Uid, new byte[16], image.Info);
        act.Should().Throw<DicomCodecNotSupportedException>().WithMessage("*apt-get install mednode-absent*");
    }

    [RequiresFact(null, "/usr/lib/x86_64-linux-gnu/libopenjp2.so.7", "/usr/lib/x86_64-linux-gnu/libcharls.so.2")]
    public void NativeLibraries_Installed_AreLoadedWithTheirVersions()
    {
        NativeCodecLibraries.OpenJpeg.IsAvailable.Should().BeTrue(NativeCodecLibraries.OpenJpeg.Reason);
        NativeCodecLibraries.OpenJpeg.Version.Should().StartWith("2.");
        NativeCodecLibraries.CharLs.IsAvailable.Should().BeTrue(NativeCodecLibraries.CharLs.Reason);
        NativeCodecLibraries.CharLs.Version.Should().StartWith("2.");
    }

    [RequiresTheory(null, "/usr/lib/x86_64-linux-gnu/libopenjp2.so.7", "/usr/lib/x86_64-linux-gnu/libcharls.so.2")]
    [InlineData("1.2.840.10008.1.2.5", true, true)]
    [InlineData("1.2.840.10008.1.2.4.50", true, false)]
    [InlineData("1.2.840.10008.1.2.4.51", true, false)]
    [InlineData("1.2.840.10008.1.2.4.57", true, true)]
    [InlineData("1.2.840.10008.1.2.4.70", true, true)]
    [InlineData("1.2.840.10008.1.2.4.80", true, true)]
    [InlineData("1.2.840.10008.1.2.4.81", true, true)]
    [InlineData("1.2.840.10008.1.2.4.90", true, true)]
    [InlineData("1.2.840.10008.1.2.4.91", true, true)]
    [InlineData("1.2.840.10008.1.2.4.201", true, false)]
    [InlineData("1.2.840.10008.1.2.4.202", true, false)]
    [InlineData("1.2.840.10008.1.2.4.203", true, false)]
    [InlineData("1.2.840.10008.1.2.8.1", true, true)]
    [InlineData("1.2.840.10008.1.2.1.98", true, true)]
    [InlineData("1.2.840.10008.1.2.4.100", false, false)]
    [InlineData("1.2.840.10008.1.2.4.92", false, false)]
    public void DefaultRegistry_Syntax_HasExpectedSupport(string uid, bool decode, bool encode)
    {
        var registry = DicomCodecRegistry.Default;

        registry.IsDecodable(uid).Should().Be(decode);
        registry.IsEncodable(uid).Should().Be(encode);
        var status = registry.GetStatus(uid);
        status.CanDecode.Should().Be(decode);
        status.Reason.Should().NotBeNullOrWhiteSpace();
        if (!decode) status.Reason.Should().Contain("not supported");
    }

    [Fact]
    public void DefaultRegistry_NativeSyntax_NeedsNoCodec()
    {
        var status = DicomCodecRegistry.Default.GetStatus(DicomTransferSyntax.ExplicitVRLittleEndian.Uid);

        status.CanDecode.Should().BeTrue();
        status.Reason.Should().Contain("no codec needed");
        DicomCodecRegistry.Default.TryGet(DicomTransferSyntax.ExplicitVRLittleEndian.Uid, out _).Should().BeFalse();
    }

    [Fact]
    public void DefaultRegistry_Statuses_CoverEveryEncapsulatedSyntax()
    {
        var statuses = DicomCodecRegistry.Default.Statuses;

        statuses.Select(s => s.TransferSyntaxUid).Should().BeEquivalentTo(
            DicomTransferSyntax.All.Where(t => t.IsEncapsulated).Select(t => t.Uid));
    }

    [Fact]
    public void DefaultRegistry_EncodeToDecodeOnlySyntax_ThrowsNotSupported()
    {
        var image = SyntheticImages.PaletteLike8();

        var act = () => DicomCodecRegistry.Default.Encode(DicomTransferSyntax.JPEGBaseline8Bit.Uid, image.Pixels, image.Info);

        act.Should().Throw<DicomCodecNotSupportedException>();
    }
}
