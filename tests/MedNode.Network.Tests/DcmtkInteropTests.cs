using System.Text.RegularExpressions;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.UpperLayer;
using MedNode.TestSupport;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

/// <summary>DCMTK's echoscu against MedNode's upper layer over real sockets (../shared/PEERS.md).</summary>
public class DcmtkInteropTests
{
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };

    // DCMTK prints well-known UIDs by its own names; these are their values in PS3.6 Annex A.
    private static readonly Dictionary<string, string> DcmtkUidNames = new()
    {
        ["=VerificationSOPClass"] = Verification,
        ["=LittleEndianImplicit"] = ImplicitLE,
        ["=LittleEndianExplicit"] = ExplicitLE,
        ["=BigEndianExplicit"] = "1.2.840.10008.1.2.2",
    };

    private static string Field(string output, string label)
    {
        var m = Regex.Match(output, "^D: " + Regex.Escape(label) + @":\s*(.*)$", RegexOptions.Multiline);
        m.Success.Should().BeTrue($"echoscu -d prints '{label}'");
        return m.Groups[1].Value.Trim();
    }

    [RequiresFact(null, "echoscu")]
    [Trait("Conformance", "PS3.8 9.3.2")]
    public async Task EchoscuAssociateRq_DecodedByPduReader_MatchesWhatDcmtkSaysItSent()
    {
        using var loopback = new Loopback();
        var echoscu = Task.Run(() => Tools.Run("echoscu", ["-d", "-aet", "MEDTEST", "-aec", "MEDNODE", "-pdu", "32768", "-pts", "3", "127.0.0.1", loopback.Port.ToString()], TimeSpan.FromSeconds(60), env: Env));
        var transport = await loopback.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var peer = new RawPeer(transport);
        var (pdu, _) = await peer.ReceiveAsync();
        await peer.SendAsync(new AAssociateRj(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CalledAeTitleNotRecognized));
        var result = await echoscu.WaitAsync(TimeSpan.FromSeconds(60));
        await transport.DisposeAsync();
        var output = result.StdOut + result.StdErr;

        var rq = pdu.Should().BeOfType<AAssociateRq>().Subject;
        rq.ProtocolVersion.Should().Be(1);
        rq.CallingAeTitle.Should().Be(Field(output, "Calling Application Name"));
        rq.CalledAeTitle.Should().Be(Field(output, "Called Application Name"));
        rq.ApplicationContextName.Should().Be(Field(output, "Application Context Name"));
        rq.UserInformation.MaximumLength.Should().Be(uint.Parse(Field(output, "Our Max PDU Receive Size")));
        rq.UserInformation.ImplementationClassUid.Should().Be(Field(output, "Our Implementation Class UID"));
        rq.UserInformation.ImplementationVersionName.Should().Be(Field(output, "Our Implementation Version Name"));

        var contextIds = Regex.Matches(output, @"Context ID:\s+(\d+) \(Proposed\)").Select(m => byte.Parse(m.Groups[1].Value)).ToList();
        rq.PresentationContexts.Select(p => p.Id).Should().Equal(contextIds);
        var abstractSyntax = Regex.Match(output, @"Abstract Syntax: (\S+)").Groups[1].Value;
        rq.PresentationContexts[0].AbstractSyntax.Should().Be(DcmtkUidNames[abstractSyntax]);
        var tsBlock = output[output.IndexOf("Proposed Transfer Syntax(es):", StringComparison.Ordinal)..];
        var proposed = Regex.Matches(tsBlock, @"^D:\s+(=\S+)\s*$", RegexOptions.Multiline).Select(m => DcmtkUidNames[m.Groups[1].Value]).ToList();
        proposed.Should().NotBeEmpty();
        rq.PresentationContexts[0].TransferSyntaxes.Should().Equal(proposed);

        // And echoscu understood our A-ASSOCIATE-RJ.
        result.ExitCode.Should().NotBe(0);
        output.Should().Contain("Rejected Permanent").And.Contain("Called AE Title Not Recognized");
    }

    [RequiresFact(null, "echoscu")]
    [Trait("Conformance", "PS3.4 A.4")]
    public async Task Echoscu_AgainstMedNodeAcceptor_ReceivesSuccessAndReleases()
    {
        using var loopback = new Loopback();
        var echoscu = Task.Run(() => Tools.Run("echoscu", ["-aet", "MEDTEST", "-aec", "MEDNODE", "127.0.0.1", loopback.Port.ToString()], TimeSpan.FromSeconds(60), env: Env));
        await using var ac = await Association.AcceptAsync(await loopback.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30)), Policy());
        var rq = await ac.ReceiveMessageAsync();
        rq!.HasDataSet.Should().BeFalse();
        ReadUs(rq.Command.Span, 0x0100).Should().Be(0x0030, "C-ECHO-RQ (PS3.7 Table 9.3-12)");
        await ac.SendMessageAsync(rq.PresentationContextId, EchoRsp(ReadUs(rq.Command.Span, 0x0110)));
        (await ac.ReceiveMessageAsync()).Should().BeNull("echoscu releases after its echo");
        await ac.SendReleaseResponseAsync();
        ac.State.Should().Be(UpperLayerState.Sta1);
        var result = await echoscu.WaitAsync(TimeSpan.FromSeconds(60));
        result.ExitCode.Should().Be(0, result.StdOut + result.StdErr);
    }

    [RequiresFact(null, "echoscu")]
    [Trait("Conformance", "PS3.8 Table 9-21")]
    public async Task Echoscu_WrongCalledAe_GetsOurRejectAndAcceptorEndsIdle()
    {
        using var loopback = new Loopback();
        var echoscu = Task.Run(() => Tools.Run("echoscu", ["-aet", "MEDTEST", "-aec", "NOTUS", "127.0.0.1", loopback.Port.ToString()], TimeSpan.FromSeconds(60), env: Env));
        var transport = await loopback.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var accept = () => Association.AcceptAsync(transport, Policy());
        (await accept.Should().ThrowAsync<AssociationRejectedException>()).Which.Reject.Reason.Should().Be(AssociateRejectReason.CalledAeTitleNotRecognized);
        var result = await echoscu.WaitAsync(TimeSpan.FromSeconds(60));
        (result.StdOut + result.StdErr).Should().Contain("Called AE Title Not Recognized");
    }

    /// <summary>
    /// The golden value is what DCMTK's own storescp receives from the same storescu command, written bit-preserving
    /// (-B): storescu re-encodes the file (explicit sequence lengths, trimmed padding), so the file itself is not it.
    /// </summary>
    [RequiresFact("corpus/uncompressed/dcmqi__pm-example-slice.dcm", "storescu", "storescp")]
    [Trait("Conformance", "PS3.8 Annex E")]
    public async Task Storescu_FileToMedNodeAcceptor_DataSetStreamsToFileAsStorescpReceivesIt()
    {
        var source = SharedData.Get("corpus/uncompressed/dcmqi__pm-example-slice.dcm");
        using var dir = new TempDir();
        var reference = await ReceiveWithStorescpAsync(source, dir.File("storescp"));

        const string mrImageStorage = "1.2.840.10008.5.1.4.1.1.4";
        var policy = new SimpleAcceptorPolicy("MEDNODE", new Dictionary<string, IReadOnlyList<string>> { [mrImageStorage] = [ExplicitLE, ImplicitLE] });
        using var loopback = new Loopback();
        var storescu = Task.Run(() => Tools.Run("storescu", ["-aet", "MEDTEST", "-aec", "MEDNODE", "-pdu", "4096", "127.0.0.1", loopback.Port.ToString(), source], TimeSpan.FromSeconds(60), env: Env));
        await using var ac = await Association.AcceptAsync(await loopback.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30)), policy, new AssociationOptions { MaxPduLength = 8192 });
        var rq = await ac.ReceiveMessageAsync();
        rq!.HasDataSet.Should().BeTrue();
        ReadUs(rq.Command.Span, 0x0100).Should().Be(0x0001, "C-STORE-RQ (PS3.7 Table 9.3-1)");
        rq.PresentationContext.TransferSyntax.Should().Be(ExplicitLE);
        var path = dir.File("received.bin");
        await using (var output = File.Create(path))
        {
            await rq.CopyDataSetToAsync(output);
        }
        await ac.SendMessageAsync(rq.PresentationContextId, StoreRsp(ReadUs(rq.Command.Span, 0x0110), ReadUi(rq.Command.Span, 0x0002), ReadUi(rq.Command.Span, 0x1000), 0x0000));
        (await ac.ReceiveMessageAsync()).Should().BeNull();
        await ac.SendReleaseResponseAsync();
        var result = await storescu.WaitAsync(TimeSpan.FromSeconds(60));
        result.ExitCode.Should().Be(0, result.StdOut + result.StdErr);
        (await File.ReadAllBytesAsync(path)).Should().Equal(reference);
    }

    /// <summary>Runs storescp -B on a free port, sends it the file with the same storescu options, and returns the data set it wrote.</summary>
    private static async Task<byte[]> ReceiveWithStorescpAsync(string source, string outDir)
    {
        Directory.CreateDirectory(outDir);
        int port;
        using (var probe = new Loopback()) port = probe.Port;
        var psi = new System.Diagnostics.ProcessStartInfo(Tools.Find("storescp")!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-B", "+xa", "-aet", "MEDNODE", "-od", outDir, port.ToString() }) psi.ArgumentList.Add(a);
        psi.Environment["TCP_NODELAY"] = "1";
        using var scp = System.Diagnostics.Process.Start(psi)!;
        try
        {
            for (var i = 0; i < 100; i++)
            {
                using var c = new System.Net.Sockets.TcpClient();
                try
                {
                    await c.ConnectAsync("127.0.0.1", port);
                    break;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    await Task.Delay(50);
                }
            }
            var r = Tools.Run("storescu", ["-aet", "MEDTEST", "-aec", "MEDNODE", "-pdu", "4096", "127.0.0.1", port.ToString(), source], TimeSpan.FromSeconds(60), env: Env);
            r.ExitCode.Should().Be(0, r.StdOut + r.StdErr);
        }
        finally
        {
            scp.Kill();
            await scp.WaitForExitAsync();
        }
        var written = await File.ReadAllBytesAsync(Directory.GetFiles(outDir).Should().ContainSingle().Subject);
        // PS3.10 §7.1: 128-byte preamble, "DICM", then (0002,0000) UL in Explicit VR LE gives the meta group's length.
        var metaLength = BitConverter.ToUInt32(written, 132 + 8);
        return written[(int)(132 + 12 + metaLength)..];
    }

    /// <summary>A C-ECHO SCP written with the DIMSE command types: echoscu gets Success.</summary>
    [RequiresFact(null, "echoscu")]
    [Trait("Conformance", "PS3.4 A.4")]
    public async Task EchoScp_WithDimseCommands_EchoscuGetsSuccess()
    {
        using var loopback = new Loopback();
        var echoscu = Task.Run(() => Tools.Run("echoscu", ["-v", "-aet", "MEDTEST", "-aec", "MEDNODE", "--repeat", "3", "127.0.0.1", loopback.Port.ToString()], TimeSpan.FromSeconds(60), env: Env));
        await using var ac = await Association.AcceptAsync(await loopback.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30)), Policy());
        var echoes = 0;
        while (await ac.ReceiveMessageAsync() is { } message)
        {
            var rq = message.DecodeCommand().Should().BeOfType<CEchoRq>().Subject;
            rq.AffectedSopClassUid.Should().Be(CEchoRq.VerificationSopClassUid);
            await ac.SendCommandAsync(message.PresentationContextId, rq.CreateResponse());
            echoes++;
        }
        await ac.SendReleaseResponseAsync();
        var result = await echoscu.WaitAsync(TimeSpan.FromSeconds(60));
        result.ExitCode.Should().Be(0, result.StdOut + result.StdErr);
        echoes.Should().Be(3);
        Regex.Count(result.StdOut + result.StdErr, @"Received Echo Response \(Success\)").Should().Be(3);
    }

    /// <summary>storescu's C-STORE-RQ decodes to the SOP Class and Instance UIDs that dcmdump reads from the file.</summary>
    [RequiresFact("corpus/uncompressed/dcmqi__23x38x3_image_IMG0001.dcm", "storescu", "dcmdump")]
    [Trait("Conformance", "PS3.7 9.3.1")]
    public async Task StoreScp_WithDimseCommands_DecodesStorescuRequestAndAnswersSuccess()
    {
        var source = SharedData.Get("corpus/uncompressed/dcmqi__23x38x3_image_IMG0001.dcm");
        var dump = Tools.Run("dcmdump", ["-Un", "+P", "SOPClassUID", "+P", "SOPInstanceUID", source]).StdOut;
        var uids = Regex.Matches(dump, @"UI \[([^\]]+)\]").Select(m => m.Groups[1].Value).ToList();
        uids.Should().HaveCount(2);

        using var loopback = new Loopback();
        var storescu = Task.Run(() => Tools.Run("storescu", ["-aet", "MEDTEST", "-aec", "MEDNODE", "127.0.0.1", loopback.Port.ToString(), source], TimeSpan.FromSeconds(60), env: Env));
        await using var ac = await Association.AcceptAsync(await loopback.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30)), Policy());
        var message = await ac.ReceiveMessageAsync();
        var rq = message!.DecodeCommand().Should().BeOfType<CStoreRq>().Subject;
        rq.AffectedSopClassUid.Should().Be(uids[0]);
        rq.AffectedSopInstanceUid.Should().Be(uids[1]);
        await message!.CopyDataSetToAsync(Stream.Null);
        await ac.SendCommandAsync(message.PresentationContextId, rq.CreateResponse(DimseStatus.Success));
        (await ac.ReceiveMessageAsync()).Should().BeNull();
        await ac.SendReleaseResponseAsync();
        var result = await storescu.WaitAsync(TimeSpan.FromSeconds(60));
        result.ExitCode.Should().Be(0, result.StdOut + result.StdErr);
    }

    /// <summary>
    /// findscu's C-FIND-RQ decodes with its identifier; our pending response, with an identifier written by the
    /// dataset writer, is what findscu extracts and dcmdump reads.
    /// </summary>
    [RequiresFact(null, "findscu", "dcmdump")]
    [Trait("Conformance", "PS3.4 C.4.1")]
    public async Task FindScp_WithDimseCommands_FindscuGetsPendingThenSuccess()
    {
        const string studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
        var policy = new SimpleAcceptorPolicy("MEDNODE", new Dictionary<string, IReadOnlyList<string>> { [studyRootFind] = [ExplicitLE, ImplicitLE] });
        using var loopback = new Loopback();
        using var dir = new TempDir();
        var findscu = Task.Run(() => Tools.Run("findscu", ["-S", "-X", "-od", dir.Path, "-aet", "MEDTEST", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientName=DOE*", "-k", "StudyInstanceUID", "127.0.0.1", loopback.Port.ToString()], TimeSpan.FromSeconds(60), env: Env));
        await using var ac = await Association.AcceptAsync(await loopback.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(30)), policy);
        var message = await ac.ReceiveMessageAsync();
        var rq = message!.DecodeCommand().Should().BeOfType<CFindRq>().Subject;
        rq.HasDataSet.Should().BeTrue();
        var identifierBytes = new MemoryStream();
        await message!.CopyDataSetToAsync(identifierBytes);
        var ts = DicomTransferSyntax.Lookup(message.PresentationContext.TransferSyntax!);
        var identifier = DicomFile.ParseDataset(identifierBytes.ToArray(), ts);
        identifier.GetString(DicomTags.QueryRetrieveLevel).Should().Be("STUDY");
        identifier.GetString(DicomTags.PatientName).Should().Be("DOE*");

        var match = new DicomDataset();
        match.AddOrUpdate(DicomTags.QueryRetrieveLevel, "STUDY");
        match.AddOrUpdate(DicomTags.PatientName, "DOE^JANE");
        match.AddOrUpdate(DicomTags.StudyInstanceUID, "1.2.826.0.1.3680043.10.1");
        var matchBytes = new MemoryStream();
        new DicomWriter(matchBytes, ts).WriteDataset(match);
        matchBytes.Position = 0;
        await ac.SendCommandAsync(message.PresentationContextId, rq.CreateResponse(DimseStatus.Pending), matchBytes);
        await ac.SendCommandAsync(message.PresentationContextId, rq.CreateResponse(DimseStatus.Success));
        (await ac.ReceiveMessageAsync()).Should().BeNull();
        await ac.SendReleaseResponseAsync();

        var result = await findscu.WaitAsync(TimeSpan.FromSeconds(60));
        result.ExitCode.Should().Be(0, result.StdOut + result.StdErr);
        var extracted = Directory.GetFiles(dir.Path, "rsp*.dcm").Should().ContainSingle().Subject;
        var dump = Tools.Run("dcmdump", ["-Un", extracted]).StdOut;
        dump.Should().Contain("[DOE^JANE]").And.Contain("[1.2.826.0.1.3680043.10.1]");
    }
}
