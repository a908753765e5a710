using System.Collections.Concurrent;
using System.Net;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

/// <summary>
/// <see cref="DicomServer.AssociationObserver"/>: told once per accepted association when it ends, with Released true only
/// for a normal release (PS3.8 §7.2), and with the same association id that the C-STOREs on it carried.
/// </summary>
public sealed class AssociationObserverTests : IAsyncDisposable
{
    private const string Mr = "uncompressed/dcmqi__pm-example-slice.dcm";

    private sealed class Recorder : IAssociationObserver, IStoreScpHandler, IDisposable
    {
        private readonly TempDir _dir = new("mednode-observer-");

        public BlockingCollection<AssociationEnded> Ended { get; } = [];

        public ConcurrentQueue<string?> StoreAssociationIds { get; } = new();

        public string TempDirectory => _dir.Path;

        public Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken)
        {
            StoreAssociationIds.Enqueue(request.AssociationId);
            return Task.FromResult(new StoreScpResult(DimseStatus.Success));
        }

        public Task OnAssociationEndedAsync(AssociationEnded ended, CancellationToken cancellationToken)
        {
            Ended.Add(ended, cancellationToken);
            return Task.CompletedTask;
        }

        public AssociationEnded Next()
        {
            Ended.TryTake(out var ended, TimeSpan.FromSeconds(30)).Should().BeTrue("the server reports the association's end");
            return ended!;
        }

        public void Dispose()
        {
            Ended.Dispose();
            _dir.Dispose();
        }
    }

    private readonly Recorder _recorder = new();
    private readonly DicomServer _server;

    public AssociationObserverTests()
    {
        _server = new DicomServer(new DicomServerOptions { BindAddress = IPAddress.Loopback, Port = 0, AeTitle = "MEDNODE" }, _recorder) { AssociationObserver = _recorder };
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _recorder.Dispose();
    }

    [RequiresFact("corpus/" + Mr, "storescu")]
    [Trait("Conformance", "PS3.8 7.2")]
    public async Task Storescu_TwoInstancesThenRelease_ObserverToldReleased_WithTheStoresAssociationId()
    {
        await _server.StartAsync();
        var r = Dcmtk.Storescu(_server.Port, [], Corpus.FullPath(Mr), Corpus.FullPath(Mr));
        r.ExitCode.Should().Be(0, r.StdErr);
        var ended = _recorder.Next();
        ended.Released.Should().BeTrue();
        ended.CallingAeTitle.Should().Be("DCMTKSCU");
        ended.CalledAeTitle.Should().Be("MEDNODE");
        _recorder.StoreAssociationIds.Should().HaveCount(2).And.OnlyContain(id => id == ended.AssociationId);

        Dcmtk.Storescu(_server.Port, [], Corpus.FullPath(Mr)).ExitCode.Should().Be(0);
        _recorder.Next().AssociationId.Should().NotBe(ended.AssociationId, "each association has its own id");
    }

    [Fact]
    [Trait("Conformance", "PS3.8 7.3")]
    public async Task OwnScu_ReleaseThenAbort_ObserverToldReleasedThenNotReleased()
    {
        await _server.StartAsync();
        await using (var released = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", _server.Port), Request()))
            await released.ReleaseAsync();
        _recorder.Next().Released.Should().BeTrue();

        await using (var aborted = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", _server.Port), Request()))
            await aborted.AbortAsync();
        var ended = _recorder.Next();
        ended.Released.Should().BeFalse("an A-ABORT is not a release");
        ended.CallingAeTitle.Should().Be("TESTSCU");
    }
}
