using MedNode.Dicom;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>DCMTK's echoscu and storescu against MedNode's DicomServer, ingest service and file store.</summary>
public class DicomServerDcmtkTests
{
    private const string Mr = "uncompressed/dcmqi__pm-example-slice.dcm";

    /// <summary>Small uncompressed storage instances of the corpus that DCMTK reads without complaint.</summary>
    private static List<string> UncompressedFiles(int count) => Corpus.Entries
        .Where(e => e.Str("transfer_syntax_uid") == DicomTransferSyntax.ExplicitVRLittleEndian.Uid && e.Bool("has_meta_header") && !e.Bool("expect_error")
            && e.Int("size") < 200_000 && e.Str("sop_class_uid") is { } sc && DicomUidRegistry.IsStorageSopClass(sc)
            && e.GetProperty("dcmtk").Int("warning_count") == 0 && e.GetProperty("dcmtk").Bool("ok"))
        .Select(e => Corpus.FullPath(e.Str("path")!)).Take(count).ToList();

    private static string SopInstanceOf(string path) =>
        DicomFile.Open(path, new Dicom.IO.DicomReadOptions { StopAtPixelData = true }).Dataset.GetString(DicomTags.SOPInstanceUID)!;

    [RequiresFact(null, "echoscu")]
    [Trait("Conformance", "PS3.4 A.4")]
    public async Task Echoscu_ToDicomServer_Succeeds()
    {
        await using var node = await new TestNode().StartAsync();
        var r = Tools.Run("echoscu", ["-aet", "DCMTKSCU", "-aec", "MEDNODE", "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);
        r.ExitCode.Should().Be(0, r.StdErr);
    }

    /// <summary>
    /// storescu sends the same file in one transfer syntax to MedNode and to a bit-preserving storescp (-B): the data
    /// set bytes MedNode stored equal those storescp wrote, byte for byte.
    /// </summary>
    [RequiresTheory("corpus/manifest.json", "storescu", "storescp")]
    [Trait("Conformance", "PS3.4 B.2.2")]
    [InlineData(Mr, "-xi", "+xi", "1.2.840.10008.1.2")]
    [InlineData(Mr, "-xe", "+xe", "1.2.840.10008.1.2.1")]
    [InlineData("uncompressed/pydicom__SC_rgb_small_odd_big_endian.dcm", "-xb", "+xb", "1.2.840.10008.1.2.2")]
    [InlineData("jpeg/pydicom__SC_rgb_jpeg_gdcm.dcm", "-xs", "+xa", "1.2.840.10008.1.2.4.70")]
    [InlineData("jpeg2000/pydicom__GDCMJ2K_TextGBR.dcm", "-xv", "+xa", "1.2.840.10008.1.2.4.90")]
    [InlineData("jpeg-ls/dicomParser__CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm", "-xt", "+xa", "1.2.840.10008.1.2.4.80")]
    [InlineData("rle/pydicom__SC_rgb_rle.dcm", "-xr", "+xa", "1.2.840.10008.1.2.5")]
    public async Task Storescu_InTransferSyntax_StoredDataSetEqualsWhatStorescpReceives(string relative, string scuOption, string scpOption, string transferSyntax)
    {
        var source = Corpus.FullPath(relative);
        // MedNode's preference puts the syntax under test first, as storescp's option does for DCMTK.
        var options = new DicomServerOptions { TransferSyntaxPreference = [transferSyntax, "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"] };
        await using var node = await new TestNode(options).StartAsync();
        using var received = new TempDir();
        using (var scp = new StorescpProcess(received.Path, null, "-B", scpOption))
        {
            var toDcmtk = Tools.Run("storescu", [scuOption, "-R", "-aet", "DCMTKSCU", "-aec", "STORESCP", "127.0.0.1", scp.Port.ToString(), source], TimeSpan.FromSeconds(60), env: Dcmtk.Env);
            toDcmtk.ExitCode.Should().Be(0, toDcmtk.StdErr);
        }
        var r = Dcmtk.Storescu(node.Port, [scuOption, "-R"], source);
        r.ExitCode.Should().Be(0, r.StdErr);
        node.WaitIdle();

        var reference = Directory.GetFiles(received.Path).Should().ContainSingle().Subject;
        var stored = node.StoredPath(SopInstanceOf(source));
        Dcmtk.TransferSyntaxOf(stored).Should().Be(Dcmtk.TransferSyntaxOf(reference));
        Dcmtk.DataSetBytes(stored).Should().Equal(Dcmtk.DataSetBytes(reference));
        node.Index.All.Single().TransferSyntaxUid.Should().Be(transferSyntax);
        node.TempFiles.Should().BeEmpty();
    }

    [RequiresFact("corpus/manifest.json", "storescu")]
    [Trait("Conformance", "PS3.4 B.2.2")]
    public async Task Storescu_EightProcessesInParallel_EveryInstanceStoredIntact()
    {
        var files = UncompressedFiles(8);
        files.Should().HaveCount(8);
        using var received = new TempDir();
        using (var scp = new StorescpProcess(received.Path, null, "-B", "+xe"))
        {
            var toDcmtk = Tools.Run("storescu", ["-R", "-aet", "DCMTKSCU", "-aec", "STORESCP", "127.0.0.1", scp.Port.ToString(), .. files], TimeSpan.FromSeconds(120), env: Dcmtk.Env);
            toDcmtk.ExitCode.Should().Be(0, toDcmtk.StdErr);
        }
        await using var node = await new TestNode().StartAsync();
        var runs = files.Select(f => Task.Run(() => Dcmtk.Storescu(node.Port, ["-R"], f))).ToList();
        foreach (var r in await Task.WhenAll(runs)) r.ExitCode.Should().Be(0, r.StdErr);
        node.WaitIdle();

        node.Index.All.Should().HaveCount(8);
        foreach (var f in files)
        {
            var sop = SopInstanceOf(f);
            var reference = Directory.GetFiles(received.Path).Single(p => p.EndsWith("." + sop, StringComparison.Ordinal));
            Dcmtk.DataSetBytes(node.StoredPath(sop)).Should().Equal(Dcmtk.DataSetBytes(reference), $"{Path.GetFileName(f)} arrives as storescp -B receives it");
        }
        node.TempFiles.Should().BeEmpty();
    }

    [RequiresFact(null, "echoscu")]
    [Trait("Conformance", "PS3.8 9.3.4")]
    public async Task Echoscu_UnknownCallingAeOrWrongHost_RejectedPermanentReason3AndNothingStored()
    {
        var options = new DicomServerOptions
        {
            RequireKnownPeers = true,
            AllowedPeers = [new DicomPeer("GOODSCU", "127.0.0.1"), new DicomPeer("FARSCU", "192.0.2.7")],
        };
        await using var node = await new TestNode(options).StartAsync();

        var good = Tools.Run("echoscu", ["-aet", "GOODSCU", "-aec", "MEDNODE", "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);
        good.ExitCode.Should().Be(0, good.StdErr);
        foreach (var calling in new[] { "BADSCU", "FARSCU" })
        {
            var bad = Tools.Run("echoscu", ["-d", "-aet", calling, "-aec", "MEDNODE", "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);
            bad.ExitCode.Should().NotBe(0);
            var output = bad.StdOut + bad.StdErr;
            output.Should().Contain("Rejected Permanent").And.Contain("Calling AE Title Not Recognized", $"{calling} is not an allowed peer from this host");
        }
        var wrongCalled = Tools.Run("echoscu", ["-d", "-aet", "GOODSCU", "-aec", "OTHER", "127.0.0.1", node.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);
        (wrongCalled.StdOut + wrongCalled.StdErr).Should().Contain("Called AE Title Not Recognized");
        node.WaitIdle();
        node.BlobFiles.Should().BeEmpty();
    }

    [RequiresFact("corpus/" + Mr, "storescu")]
    [Trait("Conformance", "PS3.4 B.2.3")]
    public async Task Storescu_StoreBelowWatermark_RefusedOutOfResourcesA700AndNothingStored()
    {
        await using var node = await new TestNode(minFreeBytes: long.MaxValue).StartAsync();

        var r = Dcmtk.Storescu(node.Port, ["-d"], Corpus.FullPath(Mr));

        // storescu -d prints the C-STORE-RSP status as DCMTK decodes it.
        (r.StdOut + r.StdErr).Should().MatchRegex(@"DIMSE Status\s*: 0xa700: Refused: Out of resources");
        node.WaitIdle();
        node.BlobFiles.Should().BeEmpty();
        node.Index.All.Should().BeEmpty();
    }
}
