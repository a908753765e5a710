using System.Globalization;
using System.Xml.Linq;
using MedNode.Dicom.Json;
using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.Json;

/// <summary>MedNode's Native DICOM Model XML (PS3.19 A.1) carries the same attributes and values as DCMTK's dcm2xml --native-format.</summary>
public class XmlComparisonTests
{
    [RequiresTheory("corpus", "dcm2xml")]
    [InlineData("uncompressed/pydicom__CT_small.dcm")]
    [InlineData("uncompressed/pydicom__MR_small.dcm")]
    [InlineData("rt/pydicom__rtstruct.dcm")]
    [InlineData("sr/highdicom__sr_document_with_multiple_groups.dcm")]
    [Trait("Conformance", "PS3.19 A.1")]
    public void Xml_CorpusFile_SameAttributesAsDcm2xml(string relative)
    {
        var path = Corpus.FullPath(relative);
        var ours = XDocument.Parse(DicomXmlWriter.Serialize(DicomFile.Open(path).Dataset));
        var r = Tools.Run("dcm2xml", ["-q", "--native-format", "+Ca", "utf-8", path], latin1: false);
        r.ExitCode.Should().Be(0, r.StdErr);
        var theirs = XDocument.Parse(r.StdOut);
        ours.Root!.Name.LocalName.Should().Be("NativeDicomModel");
        Flatten(ours.Root).Should().Equal(Flatten(theirs.Root!));
    }

    /// <summary>(path, vr, keyword, values) for every attribute with text values, in document order.</summary>
    private static List<string> Flatten(XElement root)
    {
        var rows = new List<string>();
        void Walk(XElement parent, string path)
        {
            foreach (var a in parent.Elements().Where(e => e.Name.LocalName == "DicomAttribute"))
            {
                var tag = (string)a.Attribute("tag")!;
                if (tag.EndsWith("0000", StringComparison.Ordinal) || tag.StartsWith("7FE0", StringComparison.Ordinal)) continue;
                var vr = (string)a.Attribute("vr")!;
                if (vr is "OB" or "OW" or "OF" or "OD" or "OL" or "OV" or "UN") continue; // bulk data: encoded differently by design
                var values = a.Elements().Where(e => e.Name.LocalName is "Value" or "PersonName")
                    .Select(v => v.Name.LocalName == "PersonName" ? PersonName(v) : Number(v.Value, vr));
                rows.Add($"{path}{tag} {vr} {(string?)a.Attribute("keyword")} {(string?)a.Attribute("privateCreator")} [{string.Join("|", values)}]");
                foreach (var item in a.Elements().Where(e => e.Name.LocalName == "Item"))
                    Walk(item, $"{path}{tag}[{(string)item.Attribute("number")!}].");
            }
        }
        Walk(root, "");
        return rows;
    }

    private static string Number(string text, string vr) =>
        vr is "DS" or "FL" or "FD" or "IS" or "US" or "SS" or "UL" or "SL" && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? Math.Round(d, 5).ToString("R", CultureInfo.InvariantCulture) : text.TrimEnd(' ');

    private static string PersonName(XElement pn) =>
        string.Join("=", pn.Elements().Select(g => g.Name.LocalName + ":" + string.Join("^", g.Elements().Select(c => c.Name.LocalName + "=" + c.Value))));
}
