using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using MedNode.Dicom;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;
using static MedNode.Network.Tests.QueryRetrieveData;

namespace MedNode.Network.Tests;

/// <summary>MedNode's Query/Retrieve SCU against DCMTK's dcmqrscp, and C-CANCEL between MedNode's SCU and SCP.</summary>
public class QueryRetrieveClientTests
{
    /// <summary>A dcmqrscp whose database holds the test data (indexed by dcmqridx) and which knows MEDNODE at <paramref name="mednodePort"/>.</summary>
    private sealed class Dcmqrscp : IDisposable
    {
        private readonly TempDir _dir = new("mednode-dcmqrscp-");
        private readonly Process _process;

        public Dcmqrscp(QueryRetrieveData data, int mednodePort)
        {
            var db = Directory.CreateDirectory(_dir.File("db")).FullName;
            var files = data.AllFiles.Select(f =>
            {
                var copy = Path.Combine(db, Path.GetFileName(f));
                File.Copy(f, copy);
                return copy;
            }).ToList();
            var idx = Tools.Run("dcmqridx", [db, .. files], TimeSpan.FromSeconds(60));
            idx.ExitCode.Should().Be(0, idx.StdErr);
            var config = _dir.File("dcmqrscp.cfg");
            File.WriteAllText(config, $"""
                NetworkTCPPort  = 0
                MaxPDUSize      = 16384
                MaxAssociations = 16
                HostTable BEGIN
                mednode = (MEDNODE, 127.0.0.1, {mednodePort})
                HostTable END
                VendorTable BEGIN
                VendorTable END
                AETable BEGIN
                DCMQR  {db}  RW  (200, 1024mb)  ANY
                AETable END
                """);
            Port = Dcmtk.FreePort();
            var psi = new ProcessStartInfo(Tools.Find("dcmqrscp")!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in (string[])["-c", config, Port.ToString()]) psi.ArgumentList.Add(a);
            psi.Environment["TCP_NODELAY"] = "1";
            _process = Process.Start(psi)!;
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            SpinWait.SpinUntil(() => CanConnect(Port), TimeSpan.FromSeconds(20)).Should().BeTrue("dcmqrscp starts listening");
        }

        public int Port { get; }

        public DicomClient Client() => new("127.0.0.1", Port, "DCMQR", "MEDNODE");

        private static bool CanConnect(int port)
        {
            using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                s.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                Thread.Sleep(50);
                return false;
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
            _dir.Dispose();
        }
    }

    private static DicomDataset Identifier(string level, params (DicomTag Tag, DicomVR VR, string Value)[] keys)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, level);
        foreach (var (tag, vr, value) in keys) ds.AddOrUpdate(tag, vr, value.Length == 0 ? [] : [value]);
        return ds;
    }

    [RequiresFact(null, "dcmqrscp", "dcmqridx", "dump2dcm")]
    [Trait("Conformance", "PS3.4 C.4.1")]
    public async Task FindAsync_StudyRootAgainstDcmqrscp_ReturnsThePatientsStudies()
    {
        using var data = new QueryRetrieveData();
        using var qr = new Dcmqrscp(data, Dcmtk.FreePort());

        var studies = new List<string>();
        await foreach (var match in qr.Client().FindAsync(QueryRetrieveSopClasses.StudyRootFind, Identifier("STUDY", (DicomTags.PatientID, DicomVR.LO, "P1"), (DicomTags.StudyInstanceUID, DicomVR.UI, ""))))
            studies.Add(match.GetString(DicomTags.StudyInstanceUID)!);

        studies.Should().BeEquivalentTo([S1, S2]);
    }

    [RequiresFact(null, "dcmqrscp", "dcmqridx", "dump2dcm", "storescu")]
    [Trait("Conformance", "PS3.4 C.4.2")]
    public async Task MoveAsync_DcmqrscpToMedNode_InstancesArriveIdentical()
    {
        using var data = new QueryRetrieveData();
        await using var node = await new TestNode().StartAsync();
        using var qr = new Dcmqrscp(data, node.Port);

        var responses = new List<RetrieveProgress>();
        await foreach (var p in qr.Client().MoveAsync(QueryRetrieveSopClasses.StudyRootMove, "MEDNODE", Identifier("STUDY", (DicomTags.StudyInstanceUID, DicomVR.UI, S3))))
            responses.Add(p);

        responses[^1].Status.Should().Be(0x0000);
        responses[^1].Completed.Should().Be(2);
        responses.Take(responses.Count - 1).Should().OnlyContain(p => p.Status == 0xFF00);
        node.WaitIdle();
        node.Index.All.Select(r => r.SopInstanceUid).Should().BeEquivalentTo([I4, I5]);
        foreach (var uid in new[] { I4, I5 })
            Dcmtk.DataSetBytes(node.StoredPath(uid)).Should().Equal(Dcmtk.DataSetBytes(data.PathOf(uid)));
    }

    [RequiresFact(null, "dcmqrscp", "dcmqridx", "dump2dcm")]
    [Trait("Conformance", "PS3.4 C.4.3")]
    public async Task GetAsync_DcmqrscpSeries_InstancesArriveInTheFolderIdentical()
    {
        using var data = new QueryRetrieveData();
        using var qr = new Dcmqrscp(data, Dcmtk.FreePort());
        using var dir = new TempDir();

        RetrieveProgress? last = null;
        await foreach (var p in qr.Client().GetAsync(QueryRetrieveSopClasses.StudyRootGet, Identifier("SERIES", (DicomTags.StudyInstanceUID, DicomVR.UI, S1), (DicomTags.SeriesInstanceUID, DicomVR.UI, Se11)), new FolderStoreSink(dir.Path), [CtImage]))
            last = p;

        last!.Status.Should().Be(0x0000);
        last.Completed.Should().Be(2);
        var files = Directory.GetFiles(dir.Path, "*.dcm");
        files.Select(Path.GetFileNameWithoutExtension).Should().BeEquivalentTo([I1, I2]);
        foreach (var f in files)
            Dcmtk.DataSetBytes(f).Should().Equal(Dcmtk.DataSetBytes(data.PathOf(Path.GetFileNameWithoutExtension(f))));
    }

    /// <summary>Yields one match, then waits until the SCP cancels it: the C-CANCEL must reach the handler while it works.</summary>
    private sealed class OneMatchThenWaitHandler : IQueryRetrieveScpHandler
    {
        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async IAsyncEnumerable<FindScpMatch> FindAsync(QueryRetrieveScpRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var ds = new DicomDataset();
            ds.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY");
            ds.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, S1);
            yield return new FindScpMatch(ds);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                Cancelled.TrySetResult();
            }
        }

        public Task<IReadOnlyList<RetrieveScpInstance>> RetrieveAsync(QueryRetrieveScpRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public DicomPeer? FindMoveDestination(string aeTitle) => null;
    }

    private static DicomServer CancelServer(OneMatchThenWaitHandler handler, TempDir dir) =>
        new(new DicomServerOptions { BindAddress = IPAddress.Loopback, Port = 0, AeTitle = "MEDNODE" }, new FolderStoreSink(dir.Path)) { QueryRetrieveHandler = handler };

    [Fact]
    [Trait("Conformance", "PS3.7 9.3.2.3")]
    public async Task FindAsync_CancelledAfterFirstMatch_SendsCCancelAndTheScpStops()
    {
        var handler = new OneMatchThenWaitHandler();
        using var dir = new TempDir();
        await using var server = CancelServer(handler, dir);
        await server.StartAsync();
        using var cts = new CancellationTokenSource();
        var seen = new List<DicomDataset>();

        var act = async () =>
        {
            await foreach (var match in new DicomClient("127.0.0.1", server.Port, "MEDNODE", "SCU").FindAsync(QueryRetrieveSopClasses.StudyRootFind, Identifier("STUDY", (DicomTags.StudyInstanceUID, DicomVR.UI, "")), cts.Token))
            {
                seen.Add(match);
                await cts.CancelAsync();
            }
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        seen.Should().ContainSingle();
        await handler.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        SpinWait.SpinUntil(() => server.ActiveAssociations == 0, TimeSpan.FromSeconds(30)).Should().BeTrue("the association was released after the Cancel response");
    }

    [RequiresFact(null, "findscu")]
    [Trait("Conformance", "PS3.7 9.3.2.3")]
    public async Task Findscu_CancelAfterOneResponse_ScpAnswersCancel()
    {
        var handler = new OneMatchThenWaitHandler();
        using var dir = new TempDir();
        await using var server = CancelServer(handler, dir);
        await server.StartAsync();

        var r = Tools.Run("findscu", ["-S", "-v", "--cancel", "1", "-aet", "DCMTKSCU", "-aec", "MEDNODE", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID", "127.0.0.1", server.Port.ToString()], TimeSpan.FromSeconds(60), env: Dcmtk.Env);

        r.ExitCode.Should().Be(0, r.StdErr);
        await handler.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        (r.StdOut + r.StdErr).Should().Contain("Received Final Find Response (Cancel: MatchingTerminatedDueToCancelRequest)", "DCMTK names status FE00H so");
    }
}
