using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.UpperLayer;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

/// <summary>A raw peer, associated with a real acceptor, then misbehaving in Sta6: AA-8 with the right reason (PS3.8 Table 9-26).</summary>
[Trait("Conformance", "PS3.8 9.2.3 AA-8")]
public class BadInputAssociationTests
{
    private static async Task<(RawPeer Peer, Association Acceptor)> AssociatedRawPeerAsync(uint acceptorMax = 16384)
    {
        var (a, b) = TestPipes.CreatePair();
        var accept = Association.AcceptAsync(b, Policy(), new AssociationOptions { MaxPduLength = acceptorMax });
        var peer = new RawPeer(a);
        var rq = Request();
        await peer.SendAsync(new AAssociateRq
        {
            CalledAeTitle = rq.CalledAeTitle,
            CallingAeTitle = rq.CallingAeTitle,
            PresentationContexts = rq.PresentationContexts,
            UserInformation = new UserInformation { MaximumLength = 16384, ImplementationClassUid = "1.2.3" },
        });
        (await peer.ReceiveAsync()).Pdu.Should().BeOfType<AAssociateAc>();
        return (peer, await accept);
    }

    private static async Task ExpectAbortAsync(RawPeer peer, Association acceptor, AAbortReason reason)
    {
        var receive = acceptor.ReceiveMessageAsync();
        (await peer.ReceiveAsync()).Pdu.Should().Be(new AAbort(AAbortSource.ServiceProvider, reason));
        acceptor.State.Should().Be(UpperLayerState.Sta13, "AA-8 waits for the transport to close");
        peer.Close();
        var e = (await receive.Invoking(t => t).Should().ThrowAsync<AssociationAbortedException>()).Which;
        e.AbortSource.Should().Be(AAbortSource.ServiceProvider);
        e.AbortReason.Should().Be(reason);
        e.ByPeer.Should().BeFalse();
        acceptor.State.Should().Be(UpperLayerState.Sta1);
    }

    [Fact]
    public async Task UnknownPduType_AbortsUnrecognizedPdu()
    {
        var (peer, acceptor) = await AssociatedRawPeerAsync();
        await peer.SendRawAsync([0x0A, 0, 0, 0, 0, 2, 0, 0]);
        await ExpectAbortAsync(peer, acceptor, AAbortReason.UnrecognizedPdu);
    }

    [Fact]
    public async Task GarbageBytes_AbortsUnrecognizedPdu()
    {
        var (peer, acceptor) = await AssociatedRawPeerAsync();
        await peer.SendRawAsync(RandomBytes(64, 3).Select((b, i) => i == 0 ? (byte)0xEE : b).ToArray());
        await ExpectAbortAsync(peer, acceptor, AAbortReason.UnrecognizedPdu);
    }

    [Fact]
    public async Task PDataLongerThanNegotiated_AbortsInvalidParameterValue()
    {
        var (peer, acceptor) = await AssociatedRawPeerAsync(acceptorMax: 4096);
        var big = new PDataTf([new PresentationDataValue(1, true, true, new byte[5000].AsMemory())]);
        await peer.SendAsync(big);
        await ExpectAbortAsync(peer, acceptor, AAbortReason.InvalidPduParameterValue);
    }

    [Fact]
    public async Task PDataOnRejectedContext_AbortsInvalidParameterValue()
    {
        var (peer, acceptor) = await AssociatedRawPeerAsync();
        await peer.SendAsync(new PDataTf([new PresentationDataValue(5, true, true, EchoRq(1).AsMemory())]));
        await ExpectAbortAsync(peer, acceptor, AAbortReason.InvalidPduParameterValue);
    }

    [Fact]
    public async Task ReleaseRpInSta6_AbortsUnexpectedPdu()
    {
        var (peer, acceptor) = await AssociatedRawPeerAsync();
        await peer.SendAsync(new AReleaseRp());
        await ExpectAbortAsync(peer, acceptor, AAbortReason.UnexpectedPdu);
    }

    [Fact]
    public async Task DataBeforeCommand_AbortsUnexpectedParameter()
    {
        var (peer, acceptor) = await AssociatedRawPeerAsync();
        await peer.SendAsync(new PDataTf([new PresentationDataValue(1, false, true, new byte[] { 1, 2 }.AsMemory())]));
        await ExpectAbortAsync(peer, acceptor, AAbortReason.UnexpectedPduParameter);
    }

    [Fact]
    public async Task PeerClosesMidAssociation_AcceptorSeesProviderAbort()
    {
        var (peer, acceptor) = await AssociatedRawPeerAsync();
        var receive = acceptor.ReceiveMessageAsync();
        peer.Close();
        var e = (await receive.Invoking(t => t).Should().ThrowAsync<AssociationAbortedException>()).Which;
        e.ByPeer.Should().BeTrue();
        acceptor.State.Should().Be(UpperLayerState.Sta1);
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.3.5")]
    public async Task CommandAndDataInOnePdu_BothDelivered()
    {
        var (peer, acceptor) = await AssociatedRawPeerAsync();
        await using (acceptor)
        {
            var command = StoreRq(3, "1.2.3");
            await peer.SendAsync(new PDataTf(
            [
                new PresentationDataValue(3, true, true, command.AsMemory()),
                new PresentationDataValue(3, false, false, new byte[] { 1, 2, 3 }.AsMemory()),
                new PresentationDataValue(3, false, true, new byte[] { 4, 5 }.AsMemory()),
            ]));
            var msg = await acceptor.ReceiveMessageAsync();
            msg!.Command.ToArray().Should().Equal(command);
            var data = new MemoryStream();
            await msg.CopyDataSetToAsync(data);
            data.ToArray().Should().Equal(1, 2, 3, 4, 5);
        }
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.1.5")]
    public async Task ReleaseAnsweredButPeerNeverCloses_ArtimClosesTheTransport()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var (a, b) = TestPipes.CreatePair();
        var accept = Association.AcceptAsync(b, Policy(), new AssociationOptions { TimeProvider = clock, ArtimTimeout = TimeSpan.FromSeconds(10) });
        var peer = new RawPeer(a);
        await peer.SendAsync(new AAssociateRq
        {
            CalledAeTitle = "MEDNODE",
            CallingAeTitle = "TESTSCU",
            PresentationContexts = [new PresentationContextRq(1, Verification, [ImplicitLE])],
            UserInformation = new UserInformation { MaximumLength = 16384 },
        });
        (await peer.ReceiveAsync()).Pdu.Should().BeOfType<AAssociateAc>();
        await using var acceptor = await accept;
        await peer.SendAsync(new AReleaseRq());
        (await acceptor.ReceiveMessageAsync()).Should().BeNull();
        var respond = acceptor.SendReleaseResponseAsync();
        (await peer.ReceiveAsync()).Pdu.Should().BeOfType<AReleaseRp>();
        acceptor.State.Should().Be(UpperLayerState.Sta13);
        respond.IsCompleted.Should().BeFalse("AR-4 waits for the requestor to close");
        clock.Advance(TimeSpan.FromSeconds(11));
        await respond.WaitAsync(TimeSpan.FromSeconds(5));
        acceptor.State.Should().Be(UpperLayerState.Sta1);
        (await peer.WaitClosedAsync().WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
    }
}
