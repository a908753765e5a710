using MedNode.Dicom.Objects.Segmentation;

namespace MedNode.Objects.Tests;

public sealed class CieLabTests
{
    // White and black are fixed points of the encoding: L* 100 and 0, a* = b* = 0, which PS3.3 C.10.7.1.1 scales to
    // 65535 / 0 and 0x8080 (DCMTK's cielabutil and dcmjs encode sRGB white as exactly 0x8080 with the D50 white they use).
    [Theory]
    [InlineData("#FFFFFF", 65535, 0x8080, 0x8080)]
    [InlineData("#000000", 0, 0x8080, 0x8080)]
    [Trait("Conformance", "PS3.3 C.10.7.1.1")]
    public void FromHexRgb_Achromatic_GivesNeutralAxis(string hex, int l, int a, int b)
    {
        CieLab.FromHexRgb(hex).Should().Equal((ushort)l, (ushort)a, (ushort)b);
    }

    [Theory]
    [InlineData("FF8000")]
    [InlineData("#FF80")]
    [InlineData("#GG8000")]
    public void FromHexRgb_NotHashRrggbb_Throws(string hex)
    {
        var act = () => CieLab.FromHexRgb(hex);

        act.Should().Throw<FormatException>();
    }
}
