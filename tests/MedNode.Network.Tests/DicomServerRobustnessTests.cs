using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.Server;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

/// <summary>
/// Bad input on one association ends that association only; the association limits and the storage transfer syntax
/// restriction hold at run time.
/// </summary>
public sealed class DicomServerRobustnessTests
{
    private static AssociationRequest Request(string callingAe) => new("MEDNODE", callingAe,
    [
        new PresentationContextRq(1, Verification, [ImplicitLE]),
        new PresentationContextRq(3, CtImageStorage, [ExplicitLE]),
    ]);

    private static async Task<Association> ConnectAsync(TestNode node, string callingAe) =>
        await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", node.Port), Request(callingAe));

    private static async Task EchoSucceedsAsync(Association association, ushort messageId)
    {
        await association.SendCommandAsync(1, new CEchoRq { AffectedSopClassUid = Verification, MessageId = messageId });
        var rsp = (CEchoRsp)(await association.ReceiveMessageAsync())!.DecodeCommand();
        rsp.Status.Should().Be(DimseStatus.Success);
        rsp.MessageIdBeingRespondedTo.Should().Be(messageId);
    }

    public static TheoryData<string> BadCommands => new() { "undecodable", "not-served" };

    [Theory]
    [MemberData(nameof(BadCommands))]
    [Trait("Conformance", "PS3.7 6.3, PS3.8 7.3")]
    public async Task DicomServer_BadCommandOnOneAssociation_ThatOneAbortedTheOtherKeepsServing(string kind)
    {
        await using var node = await new TestNode().StartAsync();
        await using var bystander = await ConnectAsync(node, "BYSTANDER");
        await using var offender = await ConnectAsync(node, "OFFENDER");
        await EchoSucceedsAsync(bystander, 1);

        byte[] command = kind == "undecodable"
            // Command Group Length (0000,0000) whose value length runs far past the end of the command set.
            ? [0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x7F, 0x01, 0x02, 0x03, 0x04]
            // A C-ECHO-RSP sent to the SCP: a well-formed command that the acceptor does not serve.
            : new CEchoRsp { AffectedSopClassUid = Verification, MessageIdBeingRespondedTo = 7, Status = DimseStatus.Success }.Encode();
        await offender.SendMessageAsync(1, command);

        var next = async () => await offender.ReceiveMessageAsync();
        (await next.Should().ThrowAsync<AssociationAbortedException>()).Which.ByPeer.Should().BeTrue("MedNode aborts the offending association");
        SpinWait.SpinUntil(() => node.Server.ActiveAssociations == 1, TimeSpan.FromSeconds(30)).Should().BeTrue("only the offender's association ends");

        await EchoSucceedsAsync(bystander, 2);
        await bystander.ReleaseAsync();
        node.WaitIdle();
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.3.4")]
    public async Task DicomServer_GlobalAssociationLimitReached_RejectedTransientLocalLimitAcrossCallingAes()
    {
        await using var node = await new TestNode(new DicomServerOptions { MaxAssociations = 2, MaxAssociationsPerCallingAe = 8 }).StartAsync();
        await using var first = await ConnectAsync(node, "FIRST");
        await using var second = await ConnectAsync(node, "SECOND");
        var third = async () => await ConnectAsync(node, "THIRD");
        var rejected = (await third.Should().ThrowAsync<AssociationRejectedException>()).Which.Reject;
        rejected.Result.Should().Be(AssociateRejectResult.RejectedTransient);
        rejected.Source.Should().Be(AssociateRejectSource.ServiceProviderPresentation);
        rejected.Reason.Should().Be(AssociateRejectReason.LocalLimitExceeded);

        await first.ReleaseAsync();
        SpinWait.SpinUntil(() => node.Server.ActiveAssociations == 1, TimeSpan.FromSeconds(30)).Should().BeTrue();
        await using var fourth = await ConnectAsync(node, "THIRD");
        await EchoSucceedsAsync(fourth, 1);
        await fourth.ReleaseAsync();
        await second.ReleaseAsync();
    }

    [Fact]
    [Trait("Conformance", "PS3.8 9.3.3.2")]
    public async Task DicomServer_StorageTransferSyntaxesRestricted_OnlyTheListedSyntaxesAccepted()
    {
        await using var node = await new TestNode(new DicomServerOptions { StorageTransferSyntaxes = new HashSet<string> { ExplicitLE } }).StartAsync();
        await using var association = await Association.RequestAsync(await SocketTransport.ConnectAsync("127.0.0.1", node.Port), new AssociationRequest("MEDNODE", "RESTRICT",
        [
            new PresentationContextRq(1, CtImageStorage, [JpegLossless]),
            new PresentationContextRq(3, CtImageStorage, [ImplicitLE]),
            new PresentationContextRq(5, CtImageStorage, [JpegLossless, ImplicitLE, ExplicitLE]),
        ]));
        var results = association.PresentationContexts.ToDictionary(p => p.Id);
        results[1].Result.Should().Be(PresentationContextResult.TransferSyntaxesNotSupported);
        results[3].Result.Should().Be(PresentationContextResult.TransferSyntaxesNotSupported);
        results[5].IsAccepted.Should().BeTrue();
        results[5].TransferSyntax.Should().Be(ExplicitLE, "the only listed syntax among those proposed");
        await association.ReleaseAsync();
    }
}
