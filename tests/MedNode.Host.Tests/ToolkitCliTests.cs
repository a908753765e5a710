using System.Security.Cryptography;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

public class ToolkitCliTests
{
    [RequiresFact("corpus")]
    public void Dump_CorpusFile_PrintsTreeWithKeywords()
    {
        var r = Mednode.Run("dump", Corpus.FullPath("uncompressed/pydicom__CT_small.dcm"));
        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdOut.Should().Contain("(0010,0010) PN [CompressedSamples^CT1]").And.Contain("PatientName").And.Contain("(7FE0,0010)");
    }

    [RequiresFact("corpus", "dcm2json")]
    public void Json_CorpusFile_SameAttributesAsDcm2json()
    {
        var path = Corpus.FullPath("uncompressed/pydicom__MR_small.dcm");
        var ours = Mednode.Run("json", path);
        ours.ExitCode.Should().Be(0, ours.StdErr);
        var theirs = Tools.Run("dcm2json", ["-q", path]);
        using var a = JsonDocument.Parse(ours.StdOut);
        using var b = JsonDocument.Parse(theirs.StdOut);
        a.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal(b.RootElement.EnumerateObject().Select(p => p.Name));
        a.RootElement.GetProperty("00100010").GetProperty("Value")[0].GetProperty("Alphabetic").GetString()
            .Should().Be(b.RootElement.GetProperty("00100010").GetProperty("Value")[0].GetProperty("Alphabetic").GetString());
    }

    [RequiresFact("corpus")]
    public void Pixels_MultiFrameNative_FramesHashToManifestReference()
    {
        var entry = Corpus.Entries.First(e => e.Bool("has_pixel_data") && !e.Bool("pixel_data_encapsulated") && (e.Int("frames") ?? 1) > 1
            && e.Int("bits_allocated") == 16 && e.Str("reference_pixel_sha256") != null && !e.Bool("expect_error"));
        int frames = entry.Int("frames")!.Value;
        using var tmp = new TempDir();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int f = 0; f < frames; f++)
        {
            var raw = tmp.File($"f{f}.raw");
            var r = Mednode.Run("pixels", Corpus.FullPath(entry.Str("path")!), "--frame", f.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", raw);
            r.ExitCode.Should().Be(0, r.StdErr);
            sha.AppendData(File.ReadAllBytes(raw));
        }
        Convert.ToHexStringLower(sha.GetHashAndReset()).Should().Be(entry.Str("reference_pixel_sha256"));
    }

    [RequiresFact("corpus", "dcmdump")]
    public void Transcode_ToImplicit_DcmdumpSeesImplicitVR()
    {
        using var tmp = new TempDir();
        var outPath = tmp.File("implicit.dcm");
        var r = Mednode.Run("transcode", Corpus.FullPath("uncompressed/pydicom__CT_small.dcm"), outPath, "--ts", "1.2.840.10008.1.2");
        r.ExitCode.Should().Be(0, r.StdErr);
        var dump = Tools.Run("dcmdump", ["-q", outPath]);
        dump.StdOut.Should().Contain("# Used TransferSyntax: Little Endian Implicit");
    }

    [Fact]
    public void MissingFile_ExitsNonZeroWithOneLine()
    {
        var r = Mednode.Run("dump", "/nonexistent/file.dcm");
        r.ExitCode.Should().Be(1);
        r.StdErr.Trim().Split('\n').Should().HaveCount(1);
        r.StdErr.Should().StartWith("mednode: ");
    }

    [Fact]
    public void BadUsage_ExitsTwo()
    {
        Mednode.Run("pixels", "x.dcm").ExitCode.Should().Be(2);
        Mednode.Run("transcode", "a", "b", "--ts", "9.9.9").ExitCode.Should().Be(2);
        Mednode.Run("frobnicate").ExitCode.Should().Be(1);
    }

    [RequiresFact("corpus")]
    public void MalformedFile_ExitsOneNamingByteOffset()
    {
        var r = Mednode.Run("json", Corpus.FullPath("malformed/pydicom__rtplan_truncated.dcm"));
        r.ExitCode.Should().Be(1);
        r.StdErr.Should().Contain("at byte");
        r.StdErr.Trim().Split('\n').Should().HaveCount(1);
    }
}
