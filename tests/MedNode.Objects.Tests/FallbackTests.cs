using MedNode.Dicom;
using MedNode.Dicom.Objects.Fallback;
using MedNode.TestSupport;

namespace MedNode.Objects.Tests;

public sealed class FallbackTests
{
    private const int Rows = 96, Columns = 160;

    private static (List<DicomDataset> Source, DicomDataset Sc) MakeSc()
    {
        var source = SyntheticSeries.CtSlices(3, Rows, Columns, 0.7, 0.7, 2);
        var mask = new byte[Rows * Columns];
        for (int y = 50; y <= 70; y++) for (int x = 60; x <= 80; x++) mask[y * Columns + x] = 1;
        var sc = new SecondaryCaptureBuilder(FixedClock.Default).Build(new SecondaryCaptureInput
        {
            SourceImages = source, KeyFrameIndex = 1, KeySliceMask = mask, Text = ["LESION-1 VOL 1234.6 MM3"],
        });
        return (source, sc);
    }

    private static byte[] Rgb(DicomDataset sc, int x, int y) => sc.GetBytes(DicomTags.PixelData).Slice((y * Columns + x) * 3, 3).ToArray();

    [Fact]
    [Trait("Conformance", "PS3.3 A.8.1")]
    public void SecondaryCapture_KeySlice_HasBannerOutlineAndWindowedBackground()
    {
        var (source, sc) = MakeSc();

        sc.GetString(DicomTags.BurnedInAnnotation).Should().Be("YES");
        sc.GetString(DicomTags.PhotometricInterpretation).Should().Be("RGB");
        // Stored value 0 through the source window 40/400 (PS3.3 C.11.2.1.2.1): ((0 - 39.5) / 399 + 0.5) * 255 = 102.26.
        Rgb(sc, 150, 90).Should().Equal(102, 102, 102);
        // The banner's first glyph 'N' starts at (2, 2) with a set pixel; its second column on the first row is clear.
        Rgb(sc, 2, 2).Should().Equal(SecondaryCaptureBuilder.TextColour);
        Rgb(sc, 3, 2).Should().Equal(102, 102, 102);
        // The mask's boundary is outlined; its interior is not.
        Rgb(sc, 60, 50).Should().Equal(SecondaryCaptureBuilder.OutlineColour);
        Rgb(sc, 80, 60).Should().Equal(SecondaryCaptureBuilder.OutlineColour);
        Rgb(sc, 70, 60).Should().Equal(102, 102, 102);
        sc.GetSequence(DicomTags.SourceImageSequence).Single().GetString(DicomTags.ReferencedSOPInstanceUID).Should().Be(source[1].GetString(DicomTags.SOPInstanceUID));
    }

    [RequiresFact(null, "dciodvfy")]
    [Trait("Conformance", "PS3.3 A.8.1")]
    public void SecondaryCapture_Dciodvfy_ReportsNoErrors()
    {
        var (_, sc) = MakeSc();
        using var dir = new TempDir();
        var errors = ObjectFiles.DciodvfyErrors(ObjectFiles.Write(dir, "sc.dcm", sc), out var output);

        errors.Should().BeEmpty(output);
        output.Should().Contain("SC", "dciodvfy recognised the IOD");
    }

    [RequiresFact(null, "dciodvfy", "dsrdump")]
    [Trait("Conformance", "PS3.3 A.35.4")]
    public void KeyObjectSelection_DciodvfyAndDsrdump_ReportNoErrors()
    {
        var source = SyntheticSeries.CtSlices(5, 8, 8, 0.7, 0.7, 2);
        var ko = new KeyObjectSelectionBuilder(FixedClock.Default).Build(source, [1, 3]);
        using var dir = new TempDir();
        var path = ObjectFiles.Write(dir, "ko.dcm", ko);

        var errors = ObjectFiles.DciodvfyErrors(path, out var output);
        var dump = Tools.Run("dsrdump", [path]);

        errors.Should().BeEmpty(output);
        output.Should().Contain("KeyObjectSelectionDocument");
        dump.ExitCode.Should().Be(0, dump.StdErr);
        // DCMTK 3.6.7 warns "Check for template constraints not yet supported" for every KOS; relationship checks do run.
        dump.StdErr.Should().NotContain("E:").And.NotContain("relationship");
        dump.StdOut.Should().Contain("Of Interest").And.Contain("AI key images");
        ko.GetSequence(DicomTags.ContentSequence).Where(c => c.GetString(DicomTags.ValueType) == "IMAGE")
            .Select(c => c.GetSequence(DicomTags.ReferencedSOPSequence)[0].GetString(DicomTags.ReferencedSOPInstanceUID))
            .Should().Equal(source[1].GetString(DicomTags.SOPInstanceUID), source[3].GetString(DicomTags.SOPInstanceUID));
    }
}
