using System.Text.Json;
using MedNode.Dicom.Json;
using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.Json;

/// <summary>MedNode's DICOM JSON equals DCMTK dcm2json's, semantically, for every corpus file that dcm2json converts.</summary>
public class DcmJsonComparisonTests
{
    public static TheoryData<string> Files => Corpus.PathsWhere(e => !e.Bool("expect_error") && e.Str("category") != "json");

    [RequiresTheory("corpus", "dcm2json")]
    [MemberData(nameof(Files))]
    [Trait("Conformance", "PS3.18 F")]
    public void Json_CorpusFile_EqualsDcm2json(string relative)
    {
        var path = Corpus.FullPath(relative);
        var dcmtk = Tools.Run("dcm2json", ["-q", path]);
        var ours = DicomJsonWriter.Serialize(DicomFile.Open(path).Dataset);
        using var actual = JsonDocument.Parse(ours);
        if (dcmtk.ExitCode != 0)
        {
            // DCMTK does not convert this file (encapsulated pixel data, or a character set its iconv lacks):
            // MedNode still produces a JSON object, which is all that can be checked here.
            actual.RootElement.ValueKind.Should().Be(JsonValueKind.Object);
            return;
        }
        using var expected = JsonDocument.Parse(dcmtk.StdOut);
        JsonSemantics.FirstDifference(expected.RootElement, actual.RootElement).Should().BeNull($"mednode json of {relative} should equal dcm2json");
    }

    [RequiresTheory("corpus")]
    [MemberData(nameof(Files))]
    [Trait("Conformance", "PS3.18 F")]
    public void JsonReader_RoundTrip_SameJson(string relative)
    {
        var ds = DicomFile.Open(Corpus.FullPath(relative)).Dataset;
        if (ds.Any(i => i is DicomFragmentSequence)) ds = ds.Clone();
        ds.Remove(MedNode.Dicom.Imaging.DicomPixelData.PixelDataTag);
        var first = DicomJsonWriter.Serialize(ds);
        var back = DicomJsonReader.Parse(first);
        var second = DicomJsonWriter.Serialize(back);
        using var a = JsonDocument.Parse(first);
        using var b = JsonDocument.Parse(second);
        if (!a.RootElement.TryGetProperty("00080005", out _) && b.RootElement.TryGetProperty("00080005", out var added))
        {
            // Non-ASCII text with no Specific Character Set in the source: the reader declares the UTF-8 it wrote.
            added.GetProperty("Value")[0].GetString().Should().Be("ISO_IR 192");
            var trimmed = System.Text.Json.Nodes.JsonNode.Parse(second)!.AsObject();
            trimmed.Remove("00080005");
            using var c = JsonDocument.Parse(trimmed.ToJsonString());
            JsonSemantics.FirstDifference(a.RootElement, c.RootElement).Should().BeNull();
            return;
        }
        JsonSemantics.FirstDifference(a.RootElement, b.RootElement).Should().BeNull();
    }
}
