using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.UpperLayer;
using Microsoft.Extensions.Time.Testing;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

public class AssociationTests
{
    [Fact]
    [Trait("Conformance", "PS3.8 7.1.1.13")]
    public async Task Associate_MixedProposals_EachContextGetsTheRightResult()
    {
        var (rq, ac) = await AssociateAsync(new AssociationOptions { MaxPduLength = 8192 }, new AssociationOptions { MaxPduLength = 32768 });
        await using (rq)
        await using (ac)
        {
            foreach (var side in new[] { rq, ac })
            {
                side.State.Should().Be(UpperLayerState.Sta6);
                side.GetPresentationContext(1)!.TransferSyntax.Should().Be(ImplicitLE);
                side.GetPresentationContext(3)!.TransferSyntax.Should().Be(ExplicitLE, "the acceptor's preference wins among proposed syntaxes");
                side.GetPresentationContext(5)!.Result.Should().Be(PresentationContextResult.AbstractSyntaxNotSupported);
                side.GetPresentationContext(7)!.Result.Should().Be(PresentationContextResult.TransferSyntaxesNotSupported);
                side.GetPresentationContext(7)!.IsAccepted.Should().BeFalse();
            }
            rq.PeerMaxPduLength.Should().Be(32768);
            ac.PeerMaxPduLength.Should().Be(8192);
            ac.CallingAeTitle.Should().Be("TESTSCU");
            ac.Request.UserInformation.ImplementationClassUid.Should().Be(MedNode.Dicom.DicomImplementation.ClassUid);
        }
    }

    [Theory]
    [Trait("Conformance", "PS3.8 Table 9-21")]
    [InlineData("WRONG", "TESTSCU", AssociateRejectReason.CalledAeTitleNotRecognized)]
    [InlineData("MEDNODE", "STRANGER", AssociateRejectReason.CallingAeTitleNotRecognized)]
    public async Task Associate_AeTitleNotAccepted_PermanentRejectFromServiceUser(string called, string calling, AssociateRejectReason reason)
    {
        var (a, b) = TestPipes.CreatePair();
        var accept = Association.AcceptAsync(b, Policy(new HashSet<string> { "TESTSCU" }));
        var requested = () => Association.RequestAsync(a, Request(called, calling));
        var rj = (await requested.Should().ThrowAsync<AssociationRejectedException>()).Which;
        rj.ByPeer.Should().BeTrue();
        rj.Reject.Should().Be(new AAssociateRj(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, reason));
        var local = (await accept.Invoking(t => t).Should().ThrowAsync<AssociationRejectedException>()).Which;
        local.ByPeer.Should().BeFalse();
        local.Reject.Reason.Should().Be(reason);
    }

    [Fact]
    [Trait("Conformance", "PS3.8 Table 9-21")]
    public async Task Accept_UnknownApplicationContext_RejectsWithReason2FromServiceUser()
    {
        var (a, b) = TestPipes.CreatePair();
        var accept = Association.AcceptAsync(b, Policy());
        var peer = new RawPeer(a);
        await peer.SendAsync(new AAssociateRq
        {
            CalledAeTitle = "MEDNODE",
            CallingAeTitle = "TESTSCU",
            ApplicationContextName = "1.2.3.4",
            PresentationContexts = [new PresentationContextRq(1, Verification, [ImplicitLE])],
            UserInformation = new UserInformation { MaximumLength = 16384 },
        });
        (await peer.ReceiveAsync()).Pdu.Should().Be(new AAssociateRj(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.ApplicationContextNameNotSupported));
        peer.Close();
        await accept.Invoking(t => t).Should().ThrowAsync<AssociationRejectedException>();
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.2.2 AE-6")]
    public async Task Accept_ProtocolVersionWithoutBit0_RejectsWithReason2FromServiceProviderAcse()
    {
        var (a, b) = TestPipes.CreatePair();
        var accept = Association.AcceptAsync(b, Policy());
        var peer = new RawPeer(a);
        await peer.SendAsync(new AAssociateRq
        {
            ProtocolVersion = 2,
            CalledAeTitle = "MEDNODE",
            CallingAeTitle = "TESTSCU",
            PresentationContexts = [new PresentationContextRq(1, Verification, [ImplicitLE])],
            UserInformation = new UserInformation { MaximumLength = 16384 },
        });
        (await peer.ReceiveAsync()).Pdu.Should().Be(new AAssociateRj(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceProviderAcse, AssociateRejectReason.ProtocolVersionNotSupported));
        peer.Close();
        await accept.Invoking(t => t).Should().ThrowAsync<AssociationRejectedException>();
    }

    [Fact]
    [Trait("Conformance", "PS3.7 D.3.3.4")]
    public async Task Associate_RoleSelectionProposed_AcceptedRolesOnBothSides()
    {
        var request = Request() with { RoleSelections = [new ScpScuRoleSelection(CtImageStorage, true, true)] };
        var (rq, ac) = await AssociateAsync(request: request);
        await using (rq)
        await using (ac)
        {
            rq.GetPresentationContext(3)!.ScpRole.Should().BeTrue();
            ac.GetPresentationContext(3)!.ScpRole.Should().BeTrue();
            rq.GetPresentationContext(1)!.ScpRole.Should().BeFalse("no role was proposed for Verification");
            rq.Accept.UserInformation.RoleSelections.Should().ContainSingle().Which.Should().Be(new ScpScuRoleSelection(CtImageStorage, true, true));
        }
    }

    private sealed class NoScpRolePolicy : IAssociationAcceptorPolicy
    {
        private readonly SimpleAcceptorPolicy _inner = Policy();

        public AssociationRejection? Check(AAssociateRq request) => _inner.Check(request);

        public PresentationContextDecision Decide(PresentationContextRq proposed) => _inner.Decide(proposed);

        public ScpScuRoleSelection DecideRole(ScpScuRoleSelection proposed) => proposed with { ScpRole = false };
    }

    [Fact]
    [Trait("Conformance", "PS3.7 D.3.3.4")]
    public async Task Associate_AcceptorRefusesScpRole_RequestorIsScuOnly()
    {
        var request = Request() with { RoleSelections = [new ScpScuRoleSelection(CtImageStorage, true, true)] };
        var (rq, ac) = await AssociateAsync(request: request, policy: new NoScpRolePolicy());
        await using (rq)
        await using (ac)
        {
            rq.GetPresentationContext(3)!.ScpRole.Should().BeFalse();
            rq.GetPresentationContext(3)!.ScuRole.Should().BeTrue();
        }
    }

    [Fact]
    [Trait("Conformance", "PS3.8 7.2")]
    public async Task EchoThenRelease_ByRequestor_BothSidesEndIdle()
    {
        var (rq, ac) = await AssociateAsync();
        await rq.SendMessageAsync(1, EchoRq(7));
        var msg = await ac.ReceiveMessageAsync();
        msg!.HasDataSet.Should().BeFalse();
        msg.PresentationContextId.Should().Be(1);
        msg.Command.ToArray().Should().Equal(EchoRq(7));
        await ac.SendMessageAsync(1, EchoRsp(ReadUs(msg.Command.Span, 0x0110)));
        var rsp = await rq.ReceiveMessageAsync();
        ReadUs(rsp!.Command.Span, 0x0120).Should().Be(7);
        ReadUs(rsp.Command.Span, 0x0900).Should().Be(0);

        var release = rq.ReleaseAsync();
        (await ac.ReceiveMessageAsync()).Should().BeNull("the peer asked to release");
        ac.IsReleaseRequested.Should().BeTrue();
        ac.State.Should().Be(UpperLayerState.Sta8);
        await ac.SendReleaseResponseAsync();
        await release;
        rq.State.Should().Be(UpperLayerState.Sta1);
        ac.State.Should().Be(UpperLayerState.Sta1);
    }

    [Fact]
    [Trait("Conformance", "PS3.8 7.2")]
    public async Task Release_ByAcceptor_RequestorAnswers()
    {
        var (rq, ac) = await AssociateAsync();
        var release = ac.ReleaseAsync();
        (await rq.ReceiveMessageAsync()).Should().BeNull();
        await rq.SendReleaseResponseAsync();
        await release;
        rq.State.Should().Be(UpperLayerState.Sta1);
        ac.State.Should().Be(UpperLayerState.Sta1);
    }

    [Fact]
    [Trait("Conformance", "PS3.8 7.2.2")]
    public async Task Release_CollisionFromBothSides_BothEndIdle()
    {
        var (rq, ac) = await AssociateAsync();
        await Task.WhenAll(rq.ReleaseAsync(), ac.ReleaseAsync()).WaitAsync(TimeSpan.FromSeconds(10));
        rq.State.Should().Be(UpperLayerState.Sta1);
        ac.State.Should().Be(UpperLayerState.Sta1);
    }

    [Fact]
    [Trait("Conformance", "PS3.8 7.3")]
    public async Task Abort_ByRequestor_AcceptorSeesServiceUserAbort()
    {
        var (rq, ac) = await AssociateAsync();
        var receive = ac.ReceiveMessageAsync();
        await rq.AbortAsync();
        var e = (await receive.Invoking(t => t).Should().ThrowAsync<AssociationAbortedException>()).Which;
        e.ByPeer.Should().BeTrue();
        e.AbortSource.Should().Be(AAbortSource.ServiceUser);
        rq.State.Should().Be(UpperLayerState.Sta1);
        ac.State.Should().Be(UpperLayerState.Sta1);
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.1.5")]
    public async Task Accept_NoAssociateRqBeforeArtim_TransportClosed()
    {
        var clock = new FakeTimeProvider();
        var (a, b) = TestPipes.CreatePair();
        var accept = Association.AcceptAsync(b, Policy(), new AssociationOptions { TimeProvider = clock, ArtimTimeout = TimeSpan.FromSeconds(30) });
        var peer = new RawPeer(a);
        accept.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(31));
        var e = (await accept.Invoking(t => t).Should().ThrowAsync<AssociationAbortedException>()).Which;
        e.Message.Should().Contain("ARTIM");
        (await peer.WaitClosedAsync().WaitAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.2.3")]
    public async Task Accept_GarbageBeforeAssociateRq_AbortsAsAa1()
    {
        var (a, b) = TestPipes.CreatePair();
        var accept = Association.AcceptAsync(b, Policy());
        var peer = new RawPeer(a);
        await peer.SendRawAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        // Sta2 + Evt19 is AA-1 in Table 9-10, whose A-ABORT names the service-user as source (Table 9-9).
        (await peer.ReceiveAsync()).Pdu.Should().Be(new AAbort(AAbortSource.ServiceUser, AAbortReason.ReasonNotSpecified));
        peer.Close();
        await accept.Invoking(t => t).Should().ThrowAsync<AssociationAbortedException>();
    }
}
