using MedNode.Dicom;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.Server;
using MedNode.TestSupport;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

/// <summary>Fault cases against DicomServer with MedNode's own SCU side: nothing half-written may remain.</summary>
public class DicomServerFaultTests
{
    /// <summary>Gives <paramref name="length"/> bytes, then fails: the sender stops mid-data set.</summary>
    private sealed class FailingStream(int length) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= length) throw new IOException("source failed mid-instance");
            var n = Math.Min(count, length - _position);
            Array.Fill(buffer, (byte)0x20, offset, n);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static AssociationRequest StoreRequest() => new("MEDNODE", "FAULTSCU",
    [
        new PresentationContextRq(1, Verification, [ImplicitLE]),
        new PresentationContextRq(3, CtImageStorage, [ExplicitLE]),
    ]);

    private static CStoreRq Store(ushort id) => new() { AffectedSopClassUid = CtImageStorage, AffectedSopInstanceUid = "1.2.3.4.5." + id, MessageId = id };

    [Theory]
    [Trait("Conformance", "PS3.8 7.3")]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StoreScp_PeerAbortsOrDropsMidInstance_NoFileAndNoTempFileLeft(bool sendAbort)
    {
        await using var node = await new TestNode(new DicomServerOptions { MaxPduLength = 16384 }).StartAsync();
        var transport = await SocketTransport.ConnectAsync("127.0.0.1", node.Port);
        var association = await Association.RequestAsync(transport, StoreRequest());
        var send = () => association.SendCommandAsync(3, Store(1), new FailingStream(200_000));
        await send.Should().ThrowAsync<IOException>();
        if (sendAbort) await association.AbortAsync();
        else await transport.DisposeAsync();
        node.WaitIdle();
        await association.DisposeAsync();

        node.TempFiles.Should().BeEmpty("an aborted instance leaves no spooled file");
        node.BlobFiles.Should().BeEmpty();
        node.Index.All.Should().BeEmpty();
    }

    [Fact]
    [Trait("Conformance", "PS3.4 B.2.3")]
    public async Task StoreScp_UnparseableDataSet_FailureStatusAndAssociationContinues()
    {
        await using var node = await new TestNode().StartAsync();
        await using var association = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", node.Port), StoreRequest());
        // An element header whose length runs past the end of the data set.
        byte[] garbage = [0x08, 0x00, 0x18, 0x00, (byte)'U', (byte)'I', 0xFF, 0x7F, 0x31];
        await association.SendCommandAsync(3, Store(1), new MemoryStream(garbage));
        var rsp = (CStoreRsp)(await association.ReceiveMessageAsync())!.DecodeCommand();
        DimseStatus.Categorize(rsp.Status).Should().Be(DimseStatusCategory.Failure);
        rsp.Status.Should().BeInRange((ushort)0xC000, (ushort)0xCFFF, "Error: Cannot understand (PS3.4 Table B.2-1)");

        await association.SendCommandAsync(1, new CEchoRq { AffectedSopClassUid = Verification, MessageId = 2 });
        var echo = (CEchoRsp)(await association.ReceiveMessageAsync())!.DecodeCommand();
        echo.Status.Should().Be(DimseStatus.Success);
        await association.ReleaseAsync();
        node.WaitIdle();
        node.TempFiles.Should().BeEmpty();
        node.BlobFiles.Should().BeEmpty();
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.3.4")]
    public async Task DicomServer_PerCallingAeLimitReached_RejectedTransientLocalLimit()
    {
        await using var node = await new TestNode(new DicomServerOptions { MaxAssociationsPerCallingAe = 1 }).StartAsync();
        await using var first = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", node.Port), StoreRequest());
        var second = async () => await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", node.Port), StoreRequest());
        var rejected = (await second.Should().ThrowAsync<AssociationRejectedException>()).Which.Reject;
        rejected.Result.Should().Be(AssociateRejectResult.RejectedTransient);
        rejected.Reason.Should().Be(AssociateRejectReason.LocalLimitExceeded);
        await first.ReleaseAsync();
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.1.5")]
    public async Task DicomServer_PeerSilentPastIdleTimeout_AssociationAbortedByServer()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var node = await new TestNode(new DicomServerOptions { IdleTimeout = TimeSpan.FromSeconds(60), TimeProvider = time }).StartAsync();
        await using var association = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", node.Port), StoreRequest());
        time.Advance(TimeSpan.FromSeconds(59));
        await association.SendCommandAsync(1, new CEchoRq { AffectedSopClassUid = Verification, MessageId = 1 });
        ((CEchoRsp)(await association.ReceiveMessageAsync())!.DecodeCommand()).Status.Should().Be(DimseStatus.Success, "59 s of silence is within the idle timeout");

        // The server re-arms its timer when it waits for the next message; advance until that wait has timed out.
        for (var i = 0; i < 100 && node.Server.ActiveAssociations > 0; i++)
        {
            time.Advance(TimeSpan.FromSeconds(61));
            SpinWait.SpinUntil(() => node.Server.ActiveAssociations == 0, TimeSpan.FromMilliseconds(100));
        }
        node.Server.ActiveAssociations.Should().Be(0);
        var receive = async () => await association.ReceiveMessageAsync();
        (await receive.Should().ThrowAsync<AssociationAbortedException>()).Which.ByPeer.Should().BeTrue();
    }
}
