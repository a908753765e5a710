using System.Text.RegularExpressions;
using MedNode.Dicom.IO;
using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.IO;

/// <summary>
/// Every non-malformed corpus file parses; written back out in its own transfer syntax, DCMTK's dcmdump of the copy equals
/// dcmdump of the original, ignoring group lengths, sequence/item length annotations and the meta group's implementation fields.
/// </summary>
public partial class CorpusRoundTripTests
{
    public static TheoryData<string> WellFormed => Corpus.PathsWhere(e => !e.Bool("expect_error") && e.Str("category") != "json");

    [RequiresTheory("corpus", "dcmdump")]
    [MemberData(nameof(WellFormed))]
    [Trait("Conformance", "PS3.10 7")]
    public void ReadWrite_CorpusFile_DcmdumpUnchanged(string relative)
    {
        var path = Corpus.FullPath(relative);
        var file = DicomFile.Open(path);
        using var tmp = new TempDir();
        var copy = tmp.File("copy.dcm");
        using (var fs = File.Create(copy)) file.Save(fs);

        var before = Normalize(Dump(path), file.HadMetaHeader);
        var after = Normalize(Dump(copy), file.HadMetaHeader);
        int diff = Enumerable.Range(0, Math.Min(before.Count, after.Count)).FirstOrDefault(i => before[i] != after[i], Math.Min(before.Count, after.Count));
        string context = diff < Math.Max(before.Count, after.Count)
            ? $"first difference at line {diff}: expected '{(diff < before.Count ? before[diff] : "<end>")}' but got '{(diff < after.Count ? after[diff] : "<end>")}'"
            : "";
        after.Count.Should().Be(before.Count, context);
        diff.Should().Be(before.Count, context);
    }

    [RequiresTheory("corpus")]
    [MemberData(nameof(WellFormed))]
    public void Open_StopAtPixelData_ReadsSameMetadata(string relative)
    {
        var full = DicomFile.Open(Corpus.FullPath(relative));
        var head = DicomFile.Open(Corpus.FullPath(relative), new DicomReadOptions { StopAtPixelData = true });
        var expected = full.Dataset.TakeWhile(i => !(i.Tag.Group == 0x7FE0 && i.Tag.Element is 0x0008 or 0x0009 or 0x0010)).Select(i => i.Tag);
        head.Dataset.Select(i => i.Tag).Should().Equal(expected);
    }

    internal static string[] Dump(string path)
    {
        var r = Tools.Run("dcmdump", ["-q", "+L", "+E", "-M", path], latin1: true);
        r.ExitCode.Should().Be(0, $"dcmdump should read {path}: {r.StdErr}");
        return r.StdOut.Split('\n');
    }

    private static List<string> Normalize(string[] lines, bool keepTransferSyntax)
    {
        var result = new List<string>();
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (line.Length == 0) continue;
            var t = line.TrimStart();
            if (t.StartsWith("# Dicom-File-Format", StringComparison.Ordinal) || t.StartsWith("# Dicom-Meta-Information-Header", StringComparison.Ordinal)
                || t.StartsWith("# Dicom-Data-Set", StringComparison.Ordinal)) continue;
            if (t.StartsWith("# Used TransferSyntax", StringComparison.Ordinal)) { if (keepTransferSyntax) result.Add(t); continue; }
            if (GroupLength().IsMatch(t)) continue;
            if (t.StartsWith("(0002,", StringComparison.Ordinal)) continue;
            // DICOMDIR record offsets are byte positions, which move when the meta group's size changes.
            if (t.StartsWith("#  offset=$", StringComparison.Ordinal)) continue;
            // Sequence and item lengths change when group lengths inside them are dropped.
            if (t.StartsWith("(fffe,", StringComparison.Ordinal) || t.Contains(" SQ (Sequence", StringComparison.Ordinal))
                line = LengthAnnotation().Replace(Explicit().Replace(line, "length"), "#");
            result.Add(line);
        }
        return result;
    }

    [GeneratedRegex(@"^\([0-9a-f]{4},0000\)")]
    private static partial Regex GroupLength();

    [GeneratedRegex(@"#\s+[0-9u/l]+,")]
    private static partial Regex LengthAnnotation();

    [GeneratedRegex(@"(undefined|explicit) length")]
    private static partial Regex Explicit();
}
