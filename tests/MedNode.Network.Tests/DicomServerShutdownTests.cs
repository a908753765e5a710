using System.Net;
using System.Net.Sockets;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

/// <summary>Graceful stop of DicomServer: the listener closes, the C-STORE in flight is answered, then the association is aborted.</summary>
public sealed class DicomServerShutdownTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-stop-");

    /// <summary>Holds each C-STORE until released, so that a stop arrives while one is in flight.</summary>
    private sealed class GatedHandler(string temp) : IStoreScpHandler
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string TempDirectory => temp;

        public async Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            return new StoreScpResult(DimseStatus.Success);
        }
    }

    [Fact]
    [Trait("Conformance", "PS3.8 7.3")]
    public async Task StopAsync_StoreInFlight_AnsweredThenAssociationAbortedAndListenerClosed()
    {
        var handler = new GatedHandler(_dir.Path);
        await using var server = new DicomServer(new DicomServerOptions { BindAddress = IPAddress.Loopback, Port = 0, AeTitle = "MEDNODE" }, handler);
        await server.StartAsync();
        var port = server.Port;
        await using var association = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", port),
            new AssociationRequest("MEDNODE", "STOPSCU", [new PresentationContextRq(3, CtImageStorage, [ExplicitLE])]));
        var store = new CStoreRq { AffectedSopClassUid = CtImageStorage, AffectedSopInstanceUid = "1.2.3.4.5.1", MessageId = 1 };
        await association.SendCommandAsync(3, store, new MemoryStream(new byte[4096]));
        await handler.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var stop = server.StopAsync();
        server.IsListening.Should().BeFalse();
        stop.IsCompleted.Should().BeFalse("the C-STORE in flight holds the stop until it is answered");
        var connect = async () => await (await SocketTransport.ConnectAsync("127.0.0.1", port)).DisposeAsync();
        await connect.Should().ThrowAsync<SocketException>("the listener is closed");

        handler.Release.SetResult();
        var rsp = (CStoreRsp)(await association.ReceiveMessageAsync())!.DecodeCommand();
        rsp.Status.Should().Be(DimseStatus.Success, "the instance received before the stop is answered");
        var next = () => association.ReceiveMessageAsync();
        await next.Should().ThrowAsync<AssociationAbortedException>("the server aborts the association at the next message boundary");
        await association.DisposeAsync(); // closes the transport, which the server waits for after its A-ABORT (ARTIM)
        await stop.WaitAsync(TimeSpan.FromSeconds(30));
        server.ActiveAssociations.Should().Be(0);
    }

    public void Dispose() => _dir.Dispose();
}
