using MedNode.Dicom.IO;
using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.IO;

/// <summary>
/// Every file in corpus/malformed either fails with <see cref="DicomParseException"/> (carrying the byte offset) or is
/// read leniently. The table says which, and why; DCMTK's own verdict is in the corpus manifest (dcmtk.ok).
/// </summary>
public class MalformedFileTests
{
    public enum Outcome { ParseException, Lenient }

    /// <summary>Expected outcome per file, with the reason (DCMTK 3.6.7's verdict from the manifest in brackets).</summary>
    public static readonly Dictionary<string, (Outcome Outcome, string Why)> Table = new()
    {
        ["fo-dicom__GH1339.dcm"] = (Outcome.ParseException, "encapsulated pixel data ends without a sequence delimiter [DCMTK fails]"),
        ["fo-dicom__GH179A.dcm"] = (Outcome.Lenient, "non-standard VR '  ': 2-byte length assumed, as DCMTK does [DCMTK reads]"),
        ["fo-dicom__GH179B.dcm"] = (Outcome.ParseException, "after the same assumption a length runs past the end [DCMTK fails]"),
        ["fo-dicom__GH364.dcm"] = (Outcome.ParseException, "item parse error [DCMTK fails]"),
        ["fo-dicom__GH626.dcm"] = (Outcome.ParseException, "spurious command group with a huge length [DCMTK fails]"),
        ["pydicom__JPEG-lossy.dcm"] = (Outcome.Lenient, "the data set is well formed; only the JPEG codestream is wrong [DCMTK reads]"),
        ["pydicom__JPEG2000-embedded-sequence-delimiter.dcm"] = (Outcome.Lenient, "delimiter bytes inside a fragment are fragment data [DCMTK reads]"),
        ["pydicom__MR_truncated.dcm"] = (Outcome.ParseException, "pixel data truncated [DCMTK fails]"),
        ["pydicom__SC_rgb_jpeg.dcm"] = (Outcome.Lenient, "meta says JPEG but the data set is implicit VR LE with native pixels: detected and read with a warning, as pydicom does [DCMTK fails]"),
        ["pydicom__badVR.dcm"] = (Outcome.Lenient, "the invalid VR is a valid-looking code, read as such [DCMTK reads]"),
        ["pydicom__meta_missing_tsyntax.dcm"] = (Outcome.Lenient, "no transfer syntax in the meta: encoding detected [DCMTK reads]"),
        ["pydicom__no_meta.dcm"] = (Outcome.ParseException, "a stray leading byte misaligns every tag [DCMTK fails]"),
        ["pydicom__rtplan_truncated.dcm"] = (Outcome.ParseException, "file truncated inside the data set [DCMTK fails]"),
        ["pydicom-data__bad_sequence.dcm"] = (Outcome.Lenient, "UN sequence in implicit VR inside explicit VR data [DCMTK reads]"),
        ["pydicom-data__emri_small_jpeg_2k_lossless_too_short.dcm"] = (Outcome.ParseException, "encapsulated pixel data ends at EOF [DCMTK fails]"),
        ["pylibjpeg-data__RG2_JPLY.dcm"] = (Outcome.Lenient, "data set well formed; JPEG codestream wrong [DCMTK reads]"),
        ["pylibjpeg-data__JPEGLossless_1s_1f_i_16_16_bad.dcm"] = (Outcome.Lenient, "data set well formed; JPEG data wrong [DCMTK reads]"),
    };

    public static TheoryData<string> Files => Corpus.PathsWhere(e => e.Str("category") == "malformed");

    [RequiresTheory("corpus")]
    [MemberData(nameof(Files))]
    public void Open_MalformedFile_BehavesAsTabled(string relative)
    {
        var name = Path.GetFileName(relative);
        Table.Should().ContainKey(name, "every malformed corpus file needs a row in the table");
        var (outcome, why) = Table[name];
        Action open = () => DicomFile.Open(Corpus.FullPath(relative));
        if (outcome == Outcome.ParseException)
        {
            var ex = open.Should().Throw<DicomParseException>(why).Which;
            ex.Offset.Should().BeGreaterThanOrEqualTo(0);
            ex.Message.Should().Contain("at byte");
        }
        else
        {
            open.Should().NotThrow(why);
        }
    }

    [RequiresFact("corpus")]
    public void Table_AgreesWithDcmtkVerdict_ExceptDocumented()
    {
        foreach (var e in Corpus.Entries.Where(e => e.Str("category") == "malformed"))
        {
            var name = Path.GetFileName(e.Str("path")!);
            bool dcmtkReads = e.GetProperty("dcmtk").Bool("ok");
            var (outcome, why) = Table[name];
            if (name == "pydicom__SC_rgb_jpeg.dcm") continue; // documented: more lenient than DCMTK, as pydicom
            (outcome == Outcome.Lenient).Should().Be(dcmtkReads, $"{name}: {why}");
        }
    }
}
