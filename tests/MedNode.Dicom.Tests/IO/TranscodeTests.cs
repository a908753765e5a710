using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.IO;

/// <summary>
/// Transcoding between the uncompressed transfer syntaxes: DCMTK reads the result, and its dump of the data set equals
/// the dump of the source (values byte-swapped correctly for big endian, deflate valid).
/// </summary>
public class TranscodeTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        string[] files =
        [
            "uncompressed/pydicom__CT_small.dcm",          // explicit LE, 16-bit signed
            "uncompressed/pydicom__MR_small_bigendian.dcm", // big endian source
            "uncompressed/pydicom__examples_rgb_color.dcm",
            "rt/pydicom__rtstruct.dcm",                     // sequences
        ];
        string[] targets = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"];
        foreach (var f in files) foreach (var t in targets) data.Add(f, t);
        return data;
    }

    [RequiresTheory("corpus", "dcmdump", "dcmconv")]
    [MemberData(nameof(Cases))]
    [Trait("Conformance", "PS3.5 A.1-A.5")]
    public void Transcode_UncompressedSyntaxes_DcmtkSeesSameDataset(string relative, string tsUid)
    {
        var src = Corpus.FullPath(relative);
        if (!File.Exists(src)) src = Directory.GetFiles(Path.GetDirectoryName(src)!, Path.GetFileNameWithoutExtension(src) + "*").First();
        var file = DicomFile.Open(src);
        using var tmp = new TempDir();
        var outPath = tmp.File("out.dcm");
        var ts = DicomTransferSyntax.Lookup(tsUid);
        using (var fs = File.Create(outPath)) DicomFileWriter.Write(fs, file.Dataset, ts, file.Meta);

        // DCMTK confirms the transfer syntax it finds in the output.
        var dump = Tools.Run("dcmdump", ["-q", "-M", "+L", outPath], latin1: true);
        dump.ExitCode.Should().Be(0, dump.StdErr);
        // Compare the data sets in one common encoding: DCMTK converts both to explicit VR little endian.
        var a = Normalise(tmp, src, "a.dcm");
        var b = Normalise(tmp, outPath, "b.dcm");
        b.Should().Equal(a);
        DicomFile.Open(outPath).TransferSyntax.Uid.Should().Be(tsUid);
    }

    private static List<string> Normalise(TempDir tmp, string path, string name)
    {
        var conv = Tools.Run("dcmconv", ["+te", "-q", path, tmp.File(name)]);
        conv.ExitCode.Should().Be(0, conv.StdErr);
        var d = Tools.Run("dcmdump", ["-q", "-M", "+L", "-dc", tmp.File(name)], latin1: true);
        return d.StdOut.Split('\n').Where(l => !l.StartsWith("(0002", StringComparison.Ordinal) && !l.StartsWith('#') && l.Trim().Length > 0
            && !System.Text.RegularExpressions.Regex.IsMatch(l.TrimStart(), @"^\([0-9a-f]{4},0000\)"))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"(Sequence|Item) with (explicit|undefined) length", "$1"))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"#\s+(\d+|u/l),", "#,"))
            // Implicit VR has no VR on the wire: Pixel Data is OW there (PS3.5 A.1 c), whatever the source said.
            .Select(l => l.Replace("(7fe0,0010) OB", "(7fe0,0010) OW", StringComparison.Ordinal))
            .ToList();
    }
}
