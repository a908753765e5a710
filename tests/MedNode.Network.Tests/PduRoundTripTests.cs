using System.Buffers;
using MedNode.Dicom.Network.Pdus;

namespace MedNode.Network.Tests;

[Trait("Conformance", "PS3.8 9.3")]
public class PduRoundTripTests
{
    private static UserInformation FullUserInformation(bool ac) => new()
    {
        MaximumLength = 16384,
        ImplementationClassUid = "1.2.3.4.5",
        ImplementationVersionName = "TEST_1",
        AsynchronousOperationsWindow = new AsynchronousOperationsWindow(3, 5),
        RoleSelections = [new ScpScuRoleSelection("1.2.840.10008.5.1.4.1.1.2", true, true), new ScpScuRoleSelection("1.2.840.10008.5.1.4.1.1.4", false, true)],
        ExtendedNegotiations = [new SopClassExtendedNegotiation("1.2.840.10008.5.1.4.1.2.2.1", [1, 0, 1])],
        CommonExtendedNegotiations = ac ? [] : [new SopClassCommonExtendedNegotiation("1.2.840.10008.5.1.4.1.1.88.22", "1.2.840.10008.4.2", ["1.2.840.10008.5.1.4.1.1.88.11", "1.2.840.10008.5.1.4.1.1.88.33"])],
        UserIdentityRq = ac ? null : new UserIdentityRq(UserIdentityType.UsernameAndPasscode, true, "user"u8.ToArray(), "secret"u8.ToArray()),
        UserIdentityAc = ac ? new UserIdentityAc("token"u8.ToArray()) : null,
    };

    [Fact]
    public void AAssociateRq_WithEverySubItem_RoundTrips()
    {
        var rq = new AAssociateRq
        {
            CalledAeTitle = "MEDNODE",
            CallingAeTitle = "MODALITY_01",
            PresentationContexts =
            [
                new PresentationContextRq(1, "1.2.840.10008.1.1", ["1.2.840.10008.1.2"]),
                new PresentationContextRq(3, "1.2.840.10008.5.1.4.1.1.2", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.4.70"]),
            ],
            UserInformation = FullUserInformation(ac: false),
        };
        var back = TestPipes.ReadOne(rq.ToBytes());
        back.Should().BeOfType<AAssociateRq>().Which.Should().BeEquivalentTo(rq);
    }

    [Fact]
    public void AAssociateAc_WithEverySubItem_RoundTrips()
    {
        var ac = new AAssociateAc
        {
            CalledAeTitle = "MEDNODE",
            CallingAeTitle = "MODALITY_01",
            PresentationContexts =
            [
                new PresentationContextAc(1, PresentationContextResult.Acceptance, "1.2.840.10008.1.2"),
                new PresentationContextAc(3, PresentationContextResult.AbstractSyntaxNotSupported, ""),
                new PresentationContextAc(5, PresentationContextResult.TransferSyntaxesNotSupported, ""),
            ],
            UserInformation = FullUserInformation(ac: true),
        };
        var back = TestPipes.ReadOne(ac.ToBytes());
        back.Should().BeOfType<AAssociateAc>().Which.Should().BeEquivalentTo(ac);
    }

    [Theory]
    [InlineData(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CalledAeTitleNotRecognized)]
    [InlineData(AssociateRejectResult.RejectedTransient, AssociateRejectSource.ServiceProviderPresentation, AssociateRejectReason.LocalLimitExceeded)]
    [InlineData(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceProviderAcse, AssociateRejectReason.ProtocolVersionNotSupported)]
    public void AAssociateRj_RoundTrips(AssociateRejectResult result, AssociateRejectSource source, AssociateRejectReason reason)
    {
        var rj = new AAssociateRj(result, source, reason);
        TestPipes.ReadOne(rj.ToBytes()).Should().Be(rj);
    }

    [Fact]
    public void AAssociateRj_Bytes_AreTable9_21Layout()
    {
        // PS3.8 Table 9-21: type 03, reserved, length 4, reserved, result, source, reason.
        new AAssociateRj(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CalledAeTitleNotRecognized).ToBytes()
            .Should().Equal(0x03, 0, 0, 0, 0, 4, 0, 1, 1, 7);
    }

    [Fact]
    public void AReleaseRqAndRp_Bytes_AreTables9_24And9_25Layout()
    {
        new AReleaseRq().ToBytes().Should().Equal(0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0);
        new AReleaseRp().ToBytes().Should().Equal(0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0);
        TestPipes.ReadOne(new AReleaseRq().ToBytes()).Should().BeOfType<AReleaseRq>();
        TestPipes.ReadOne(new AReleaseRp().ToBytes()).Should().BeOfType<AReleaseRp>();
    }

    [Theory]
    [InlineData(AAbortSource.ServiceUser, AAbortReason.ReasonNotSpecified)]
    [InlineData(AAbortSource.ServiceProvider, AAbortReason.UnrecognizedPdu)]
    [InlineData(AAbortSource.ServiceProvider, AAbortReason.InvalidPduParameterValue)]
    public void AAbort_RoundTrips_WithTable9_26Layout(AAbortSource source, AAbortReason reason)
    {
        var abort = new AAbort(source, reason);
        abort.ToBytes().Should().Equal(0x07, 0, 0, 0, 0, 4, 0, 0, (byte)source, (byte)reason);
        TestPipes.ReadOne(abort.ToBytes()).Should().Be(abort);
    }

    [Fact]
    public void PDataTf_TwoValues_RoundTripWithAnnexE2Headers()
    {
        var pdu = new PDataTf(
        [
            new PresentationDataValue(1, true, true, new byte[] { 0xAA, 0xBB }.AsMemory()),
            new PresentationDataValue(1, false, false, new byte[] { 0x01 }.AsMemory()),
        ]);
        var bytes = pdu.ToBytes();
        // PS3.8 Table 9-22/9-23 and Annex E.2: item length, context ID, message control header (bit 0 command, bit 1 last).
        bytes.Should().Equal(0x04, 0, 0, 0, 0, 15, 0, 0, 0, 4, 1, 0x03, 0xAA, 0xBB, 0, 0, 0, 3, 1, 0x00, 0x01);
        var back = (PDataTf)TestPipes.ReadOne(bytes);
        back.Values.Should().HaveCount(2);
        back.Values[0].IsCommand.Should().BeTrue();
        back.Values[0].IsLastFragment.Should().BeTrue();
        back.Values[0].Data.ToArray().Should().Equal(0xAA, 0xBB);
        back.Values[1].IsCommand.Should().BeFalse();
        back.Values[1].IsLastFragment.Should().BeFalse();
        back.Values[1].Data.ToArray().Should().Equal(0x01);
    }

    [Fact]
    public void PduReader_BytesArrivingOneAtATime_NeedsMoreUntilComplete()
    {
        var bytes = new AAbort(AAbortSource.ServiceProvider, AAbortReason.UnexpectedPdu).ToBytes();
        for (var n = 0; n < bytes.Length; n++)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, n);
            PduReader.TryRead(ref partial, 0, 1024, out var none).Should().BeFalse();
            none.Should().BeNull();
            partial.Length.Should().Be(n, "nothing is consumed while a PDU is incomplete");
        }
    }

    [Fact]
    public void PduReader_TwoPdusInOneBuffer_ReadsThemInOrder()
    {
        var bytes = new AReleaseRq().ToBytes().Concat(new AAbort(AAbortSource.ServiceUser, 0).ToBytes()).ToArray();
        var seq = new ReadOnlySequence<byte>(bytes);
        PduReader.TryRead(ref seq, 0, 1024, out var first).Should().BeTrue();
        PduReader.TryRead(ref seq, 0, 1024, out var second).Should().BeTrue();
        first.Should().BeOfType<AReleaseRq>();
        second.Should().BeOfType<AAbort>();
        seq.Length.Should().Be(0);
    }
}
