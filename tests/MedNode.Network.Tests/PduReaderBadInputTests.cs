using System.Buffers;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Pdus;

namespace MedNode.Network.Tests;

[Trait("Conformance", "PS3.8 9.3.1")]
public class PduReaderBadInputTests
{
    private static DicomProtocolException ReadFails(byte[] bytes, uint maxPData = 16384)
    {
        var seq = new ReadOnlySequence<byte>(bytes);
        var act = () => PduReader.TryRead(ref seq, maxPData, 65536, out _);
        return act.Should().Throw<DicomProtocolException>().Which;
    }

    [Fact]
    public void TryRead_UnknownPduType_UnrecognizedPdu()
    {
        var e = ReadFails([0x09, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
        e.AbortSource.Should().Be(AAbortSource.ServiceProvider);
        e.AbortReason.Should().Be(AAbortReason.UnrecognizedPdu);
    }

    [Fact]
    public void TryRead_GarbageText_UnrecognizedPdu()
    {
        ReadFails("GET / HTTP/1.1\r\n"u8.ToArray()).AbortReason.Should().Be(AAbortReason.UnrecognizedPdu);
    }

    [Fact]
    public void TryRead_PDataLongerThanNegotiated_FailsOnTheHeaderAlone()
    {
        // Only the 6-byte header is present: the length is refused before any body is awaited or allocated.
        var e = ReadFails([0x04, 0, 0, 0, 0x40, 0x01], maxPData: 16384);
        e.AbortReason.Should().Be(AAbortReason.InvalidPduParameterValue);
    }

    [Fact]
    public void TryRead_PDataOfFourGigabytesWithNoLimit_RefusedByTheAbsoluteCap()
    {
        ReadFails([0x04, 0, 0xFF, 0xFF, 0xFF, 0xFF], maxPData: 0).AbortReason.Should().Be(AAbortReason.InvalidPduParameterValue);
    }

    [Fact]
    public void TryRead_AssociateRqOverItsLimit_Refused()
    {
        ReadFails([0x01, 0, 0, 0x10, 0, 0]).AbortReason.Should().Be(AAbortReason.InvalidPduParameterValue);
    }

    [Fact]
    public void TryRead_ReleaseRqWithWrongLength_InvalidParameterValue()
    {
        ReadFails([0x05, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0]).AbortReason.Should().Be(AAbortReason.InvalidPduParameterValue);
    }

    [Fact]
    public void TryRead_PdvItemLongerThanItsPdu_InvalidParameterValue()
    {
        // PDU length 8, PDV claims 100 bytes.
        ReadFails([0x04, 0, 0, 0, 0, 8, 0, 0, 0, 100, 1, 3, 0, 0]).AbortReason.Should().Be(AAbortReason.InvalidPduParameterValue);
    }

    [Fact]
    public void TryRead_ItemLongerThanItsPdu_InvalidParameterValue()
    {
        var rq = new AAssociateRq
        {
            CalledAeTitle = "A",
            CallingAeTitle = "B",
            PresentationContexts = [new PresentationContextRq(1, "1.2.840.10008.1.1", ["1.2.840.10008.1.2"])],
            UserInformation = new UserInformation { MaximumLength = 0 },
        }.ToBytes();
        // The application context item starts right after the 68 fixed bytes; make its length absurd.
        rq[6 + 68 + 2] = 0x7F;
        ReadFails(rq).AbortReason.Should().Be(AAbortReason.InvalidPduParameterValue);
    }

    [Fact]
    public void TryRead_UnknownItemInAssociateRq_UnrecognizedParameter()
    {
        var rq = new AAssociateRq
        {
            CalledAeTitle = "A",
            CallingAeTitle = "B",
            PresentationContexts = [new PresentationContextRq(1, "1.2.840.10008.1.1", ["1.2.840.10008.1.2"])],
            UserInformation = new UserInformation { MaximumLength = 0 },
        }.ToBytes();
        rq[6 + 68] = 0x60;
        ReadFails(rq).AbortReason.Should().Be(AAbortReason.UnrecognizedPduParameter);
    }

    [Fact]
    public void TryRead_UnknownUserInformationSubItem_Ignored()
    {
        var rq = new AAssociateRq
        {
            CalledAeTitle = "A",
            CallingAeTitle = "B",
            PresentationContexts = [new PresentationContextRq(1, "1.2.840.10008.1.1", ["1.2.840.10008.1.2"])],
            UserInformation = new UserInformation { MaximumLength = 4096 },
        }.ToBytes();
        // The user information item is last; its only sub-item (51H) starts 4 bytes into it: retype it as an unknown 5FH.
        var subItemType = rq.Length - 8;
        rq[subItemType].Should().Be(0x51);
        rq[subItemType] = 0x5F;
        var back = (AAssociateRq)TestPipes.ReadOne(rq);
        back.UserInformation.MaximumLength.Should().BeNull();
    }
}
