using System.Net;
using System.Net.Sockets;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.UpperLayer;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

/// <summary>A listening socket on 127.0.0.1, port 0.</summary>
internal sealed class Loopback : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public Loopback()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(8);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public async Task<SocketTransport> AcceptAsync() => new(await _listener.AcceptAsync());

    public void Dispose() => _listener.Dispose();
}

public class SocketAssociationTests
{
    [Fact]
    [Trait("Conformance", "PS3.8 9.1")]
    public async Task Associate_OverLoopbackSockets_StoreEchoAndRelease()
    {
        using var loopback = new Loopback();
        var data = RandomBytes(2_000_000, 11);
        var acceptor = Task.Run(async () =>
        {
            var transport = await loopback.AcceptAsync();
            transport.NoDelay.Should().BeTrue();
            await using var ac = await Association.AcceptAsync(transport, Policy(), new AssociationOptions { MaxPduLength = 16384 });
            var store = await ac.ReceiveMessageAsync();
            var received = new MemoryStream();
            await store!.CopyDataSetToAsync(received);
            var echo = await ac.ReceiveMessageAsync();
            await ac.SendMessageAsync(echo!.PresentationContextId, EchoRsp(ReadUs(echo.Command.Span, 0x0110)));
            (await ac.ReceiveMessageAsync()).Should().BeNull();
            await ac.SendReleaseResponseAsync();
            ac.State.Should().Be(UpperLayerState.Sta1);
            return received.ToArray();
        });

        var client = await SocketTransport.ConnectAsync("127.0.0.1", loopback.Port);
        client.NoDelay.Should().BeTrue();
        await using var rq = await Association.RequestAsync(client, Request());
        await rq.SendMessageAsync(3, StoreRq(1, "1.2.3.4"), new MemoryStream(data));
        await rq.SendMessageAsync(1, EchoRq(2));
        var rsp = await rq.ReceiveMessageAsync();
        ReadUs(rsp!.Command.Span, 0x0900).Should().Be(0);
        await rq.ReleaseAsync();
        rq.State.Should().Be(UpperLayerState.Sta1);
        (await acceptor.WaitAsync(TimeSpan.FromSeconds(30))).Should().Equal(data);
    }

    [Fact]
    [Trait("Conformance", "PS3.8 7.3")]
    public async Task PeerSocketClosedMidDataSet_AcceptorAbortsAndEndsIdle()
    {
        using var loopback = new Loopback();
        var acceptor = Task.Run(async () =>
        {
            await using var ac = await Association.AcceptAsync(await loopback.AcceptAsync(), Policy(), new AssociationOptions { MaxPduLength = 16384 });
            var store = await ac.ReceiveMessageAsync();
            var act = () => store!.CopyDataSetToAsync(Stream.Null);
            var e = (await act.Should().ThrowAsync<AssociationAbortedException>()).Which;
            ac.State.Should().Be(UpperLayerState.Sta1);
            return e;
        });
        var client = await SocketTransport.ConnectAsync("127.0.0.1", loopback.Port);
        var rq = await Association.RequestAsync(client, Request());
        // Send the command and the first part of a data set by hand, then drop the connection.
        var stream = new BlockingAfter(RandomBytes(100_000, 1), 50_000);
        using var cts = new CancellationTokenSource();
        var send = rq.SendMessageAsync(3, StoreRq(1, "1.2.3"), stream, cts.Token);
        await stream.Reached.WaitAsync(TimeSpan.FromSeconds(10));
        await client.DisposeAsync();
        (await acceptor.WaitAsync(TimeSpan.FromSeconds(30))).ByPeer.Should().BeTrue();
        await cts.CancelAsync();
        await send.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
        await rq.DisposeAsync();
    }

    /// <summary>A stream that serves its first bytes, then blocks forever, like a sender killed mid-instance.</summary>
    private sealed class BlockingAfter(byte[] data, int served) : Stream
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _position;

        public Task Reached => _reached.Task;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= served)
            {
                _reached.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            var n = Math.Min(buffer.Length, served - _position);
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
