using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using MedNode.Dicom;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

/// <summary>
/// The server's socket reads may continue on the runtime's socket engine thread (<see cref="DicomServerOptions.InlineSocketCompletions"/>);
/// what the node does with an instance or a query must still run on the thread pool, never on that shared thread.
/// </summary>
public sealed class InlineSocketCompletionTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-inline-");

    [Fact]
    public void TryPreferInlineCompletions_ThisRuntime_SetsTheSocketsSetting()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var property = typeof(Socket).GetProperty("PreferInlineCompletions", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        property.Should().NotBeNull("the runtime this node ships on has the per-socket setting; without it the option does nothing");
        property!.CanWrite.Should().BeTrue();

        SocketTransport.TryPreferInlineCompletions(socket).Should().BeTrue();
    }

    /// <summary>Records, for each C-STORE, whether the handler was entered on a thread-pool thread.</summary>
    private sealed class ThreadRecordingStore(string temp) : IStoreScpHandler
    {
        public ConcurrentQueue<bool> OnThreadPool { get; } = new();

        public string TempDirectory => temp;

        public Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken)
        {
            OnThreadPool.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
            return Task.FromResult(new StoreScpResult(DimseStatus.Success));
        }
    }

    /// <summary>Records whether each C-FIND reached the handler on a thread-pool thread, and answers with no match.</summary>
    private sealed class ThreadRecordingQuery : IQueryRetrieveScpHandler
    {
        public ConcurrentQueue<bool> OnThreadPool { get; } = new();

        public async IAsyncEnumerable<FindScpMatch> FindAsync(QueryRetrieveScpRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            OnThreadPool.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
            await Task.CompletedTask;
            yield break;
        }

        public Task<IReadOnlyList<RetrieveScpInstance>> RetrieveAsync(QueryRetrieveScpRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public DicomPeer? FindMoveDestination(string aeTitle) => null;
    }

    /// <summary>Records whether the end of each association was told on a thread-pool thread.</summary>
    private sealed class ThreadRecordingObserver : IAssociationObserver
    {
        public ConcurrentQueue<bool> OnThreadPool { get; } = new();

        public Task OnAssociationEndedAsync(AssociationEnded ended, CancellationToken cancellationToken)
        {
            OnThreadPool.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
            return Task.CompletedTask;
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DicomServer_StoresAndQueries_HandlersRunOnTheThreadPool(bool inline)
    {
        var store = new ThreadRecordingStore(_dir.Path);
        var query = new ThreadRecordingQuery();
        var observer = new ThreadRecordingObserver();
        await using var server = new DicomServer(new DicomServerOptions { BindAddress = IPAddress.Loopback, Port = 0, AeTitle = "MEDNODE", InlineSocketCompletions = inline }, store)
        {
            QueryRetrieveHandler = query,
            AssociationObserver = observer,
        };
        await server.StartAsync();
        await using var association = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", server.Port),
            new AssociationRequest("MEDNODE", "INLINESCU",
            [
                new PresentationContextRq(3, CtImageStorage, [ExplicitLE]),
            ]));

        // Data sets of 1 MiB: several 256 KiB P-DATA-TF PDUs each, so that the server's reads wait for the socket (the case
        // where a continuation runs on the socket engine's thread) rather than finding every byte already buffered.
        const int instances = 6;
        for (var i = 1; i <= instances; i++)
        {
            var rq = new CStoreRq { AffectedSopClassUid = CtImageStorage, AffectedSopInstanceUid = $"1.2.3.4.5.{i}", MessageId = (ushort)i };
            await association.SendCommandAsync(3, rq, new MemoryStream(RandomBytes(1 << 20, i)));
            var rsp = (CStoreRsp)(await association.ReceiveMessageAsync())!.DecodeCommand();
            rsp.Status.Should().Be(DimseStatus.Success);
        }
        await association.ReleaseAsync();
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        identifier.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, "");
        for (var i = 0; i < 3; i++)
        {
            var matches = 0;
            await foreach (var _ in new DicomClient("127.0.0.1", server.Port, "MEDNODE", "INLINESCU").FindAsync(QueryRetrieveSopClasses.StudyRootFind, identifier)) matches++;
            matches.Should().Be(0);
        }

        store.OnThreadPool.Should().HaveCount(instances).And.OnlyContain(onPool => onPool, "the ingest never runs on the socket engine's thread");
        query.OnThreadPool.Should().HaveCount(3).And.OnlyContain(onPool => onPool, "a query never runs on the socket engine's thread");
        SpinWait.SpinUntil(() => observer.OnThreadPool.Count == 4, TimeSpan.FromSeconds(30)).Should().BeTrue("four associations ended");
        observer.OnThreadPool.Should().OnlyContain(onPool => onPool, "the end of an association is told off the socket engine's thread");
    }

    /// <summary>A C-GET's sub-operations: each instance's check, run just before it is sent, records its thread.</summary>
    private sealed class ThreadRecordingRetrieve(QueryRetrieveData data) : IQueryRetrieveScpHandler
    {
        public ConcurrentQueue<bool> OnThreadPool { get; } = new();

        public IAsyncEnumerable<FindScpMatch> FindAsync(QueryRetrieveScpRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<RetrieveScpInstance>> RetrieveAsync(QueryRetrieveScpRequest request, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RetrieveScpInstance>>(
                QueryRetrieveData.Rows.Where(r => r.SopClass == QueryRetrieveData.CtImage)
                    .Select(r => new RetrieveScpInstance(r.SopClass, r.Sop, ExplicitLE, data.PathOf(r.Sop)) { Check = () => OnThreadPool.Enqueue(Thread.CurrentThread.IsThreadPoolThread) })
                    .ToList());

        public DicomPeer? FindMoveDestination(string aeTitle) => null;
    }

    /// <summary>
    /// C-GET reads each sub-operation's C-STORE-RSP on the association it serves, then checks and sends the next instance:
    /// that receive leaves the socket engine's thread as every public one does.
    /// </summary>
    [RequiresFact(null, "dump2dcm")]
    public async Task DicomServer_CGet_EachSubOperationIsPreparedOnTheThreadPool()
    {
        using var data = new QueryRetrieveData();
        var retrieve = new ThreadRecordingRetrieve(data);
        await using var server = new DicomServer(new DicomServerOptions { BindAddress = IPAddress.Loopback, Port = 0, AeTitle = "MEDNODE", InlineSocketCompletions = true }, new ThreadRecordingStore(_dir.Path))
        {
            QueryRetrieveHandler = retrieve,
        };
        await server.StartAsync();
        using var received = new TempDir("mednode-inline-get-");
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        identifier.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, QueryRetrieveData.S3);

        RetrieveProgress? last = null;
        await foreach (var p in new DicomClient("127.0.0.1", server.Port, "MEDNODE", "INLINESCU").GetAsync(QueryRetrieveSopClasses.StudyRootGet, identifier, new FolderStoreSink(received.Path), [QueryRetrieveData.CtImage]))
            last = p;

        var cts = QueryRetrieveData.Rows.Count(r => r.SopClass == QueryRetrieveData.CtImage);
        last!.Status.Should().Be(DimseStatus.Success);
        last.Completed.Should().Be((ushort)cts);
        retrieve.OnThreadPool.Should().HaveCount(cts).And.OnlyContain(onPool => onPool, "no sub-operation is prepared on the socket engine's thread");
    }

    /// <summary>Yields many large matches, recording for each whether the server asked for it on a thread-pool thread.</summary>
    private sealed class LargeMatchesQuery(int count) : IQueryRetrieveScpHandler
    {
        public ConcurrentQueue<bool> OnThreadPool { get; } = new();

        public async IAsyncEnumerable<FindScpMatch> FindAsync(QueryRetrieveScpRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                OnThreadPool.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
                var ds = new DicomDataset();
                ds.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY");
                ds.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, $"1.2.3.{i + 1}");
                ds.AddOrUpdate(DicomTags.PatientComments, DicomVR.LT, new string('x', 10_000));
                yield return new FindScpMatch(ds);
            }
            await Task.CompletedTask;
        }

        public Task<IReadOnlyList<RetrieveScpInstance>> RetrieveAsync(QueryRetrieveScpRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public DicomPeer? FindMoveDestination(string aeTitle) => null;
    }

    /// <summary>
    /// A requestor that stops reading makes the server's sends wait for the socket; such a send resumes on the socket engine's
    /// thread, and the server leaves it before asking the handler for the next match.
    /// </summary>
    [Fact]
    public async Task DicomServer_CFindToASlowReader_EachMatchIsAskedForOnTheThreadPool()
    {
        const int count = 2000; // about 20 MB of responses: more than the loopback socket buffers hold
        var query = new LargeMatchesQuery(count);
        await using var server = new DicomServer(new DicomServerOptions { BindAddress = IPAddress.Loopback, Port = 0, AeTitle = "MEDNODE", InlineSocketCompletions = true }, new ThreadRecordingStore(_dir.Path))
        {
            QueryRetrieveHandler = query,
        };
        await server.StartAsync();
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        identifier.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, "");
        identifier.AddOrUpdate(DicomTags.PatientComments, DicomVR.LT, "");

        var matches = 0;
        await foreach (var _ in new DicomClient("127.0.0.1", server.Port, "MEDNODE", "INLINESCU").FindAsync(QueryRetrieveSopClasses.StudyRootFind, identifier))
        {
            if (matches++ == 0) await Task.Delay(TimeSpan.FromSeconds(1)); // the server fills the socket buffers meanwhile
        }

        matches.Should().Be(count);
        query.OnThreadPool.Should().HaveCount(count).And.OnlyContain(onPool => onPool, "no match is produced on the socket engine's thread");
    }

    public void Dispose() => _dir.Dispose();
}
