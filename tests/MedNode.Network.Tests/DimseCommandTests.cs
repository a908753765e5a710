using MedNode.Dicom.Network.Dimse;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

[Trait("Conformance", "PS3.7 9.3")]
public class DimseCommandTests
{
    [Fact]
    public void CEchoRsp_Encode_EqualsTheHandEncodedTable9_3_13Command()
    {
        var rsp = new CEchoRq { AffectedSopClassUid = Verification, MessageId = 7 }.CreateResponse();
        rsp.Encode().Should().Equal(EchoRsp(7));
    }

    [Fact]
    public void CEchoRq_Encode_EqualsTheHandEncodedTable9_3_12Command()
    {
        new CEchoRq { AffectedSopClassUid = Verification, MessageId = 300 }.Encode().Should().Equal(EchoRq(300));
    }

    [Fact]
    public void CStoreRq_Encode_EqualsTheHandEncodedTable9_3_1Command()
    {
        new CStoreRq { AffectedSopClassUid = CtImageStorage, AffectedSopInstanceUid = "1.2.3.4", MessageId = 9 }.Encode().Should().Equal(StoreRq(9, "1.2.3.4"));
    }

    [Fact]
    public void CStoreRsp_Encode_EqualsTheHandEncodedTable9_3_2Command()
    {
        var rsp = new CStoreRsp { AffectedSopClassUid = CtImageStorage, AffectedSopInstanceUid = "1.2.3.45", MessageIdBeingRespondedTo = 9, Status = DimseStatus.CannotUnderstand };
        rsp.Encode().Should().Equal(StoreRsp(9, CtImageStorage, "1.2.3.45", 0xC000));
    }

    [Fact]
    public void Decode_HandEncodedCommands_GivesTheTypedCommands()
    {
        var echo = DimseCommand.Decode(EchoRq(12)).Should().BeOfType<CEchoRq>().Subject;
        echo.MessageId.Should().Be(12);
        echo.HasDataSet.Should().BeFalse();

        var store = DimseCommand.Decode(StoreRq(4, "1.2.3.4.5")).Should().BeOfType<CStoreRq>().Subject;
        store.AffectedSopInstanceUid.Should().Be("1.2.3.4.5");
        store.AffectedSopClassUid.Should().Be(CtImageStorage);
        store.HasDataSet.Should().BeTrue();
        store.Priority.Should().Be(DimsePriority.Medium);

        var rsp = DimseCommand.Decode(StoreRsp(4, CtImageStorage, "1.2.3.4.5", 0xB007)).Should().BeOfType<CStoreRsp>().Subject;
        rsp.Status.Should().Be(DimseStatus.DataSetDoesNotMatchSopClassWarning);
        rsp.StatusCategory.Should().Be(DimseStatusCategory.Warning);
        rsp.MessageIdBeingRespondedTo.Should().Be(4);
    }

    [Fact]
    public void Decode_CommandWithoutCommandField_FormatException()
    {
        var act = () => DimseCommand.Decode(Command((0x0002, Verification), (0x0800, (ushort)0x0101)));
        act.Should().Throw<FormatException>();
    }

    [Theory]
    [Trait("Conformance", "PS3.7 Annex C")]
    [InlineData(0x0000, DimseStatusCategory.Success)]
    [InlineData(0xFF00, DimseStatusCategory.Pending)]
    [InlineData(0xFF01, DimseStatusCategory.Pending)]
    [InlineData(0xFE00, DimseStatusCategory.Cancel)]
    [InlineData(0xB000, DimseStatusCategory.Warning)]
    [InlineData(0xB007, DimseStatusCategory.Warning)]
    [InlineData(0x0107, DimseStatusCategory.Warning)]
    [InlineData(0xA700, DimseStatusCategory.Failure)]
    [InlineData(0xA9FF, DimseStatusCategory.Failure)]
    [InlineData(0xC123, DimseStatusCategory.Failure)]
    [InlineData(0x0122, DimseStatusCategory.Failure)]
    [InlineData(0x0211, DimseStatusCategory.Failure)]
    public void Categorize_StatusValues_AsPs3_7AnnexC(int status, DimseStatusCategory expected)
    {
        DimseStatus.Categorize((ushort)status).Should().Be(expected);
    }

    private const string StudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    private const string StudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
    private const string StorageCommitment = "1.2.840.10008.1.20.1";
    private const string StorageCommitmentInstance = "1.2.840.10008.1.20.1.1";

    [Fact]
    public void CFindRq_Encode_EqualsTheHandEncodedTable9_3_3Command()
    {
        new CFindRq { AffectedSopClassUid = StudyRootFind, MessageId = 3, Priority = DimsePriority.High }.Encode()
            .Should().Equal(Command((0x0002, StudyRootFind), (0x0100, (ushort)0x0020), (0x0110, (ushort)3), (0x0700, (ushort)1), (0x0800, (ushort)0)));
    }

    [Fact]
    public void CMoveRq_Encode_EqualsTheHandEncodedTable9_3_9Command()
    {
        var bytes = new CMoveRq { AffectedSopClassUid = StudyRootMove, MessageId = 4, MoveDestination = "STORESCP" }.Encode();
        bytes.Should().Equal(Command((0x0002, StudyRootMove), (0x0100, (ushort)0x0021), (0x0110, (ushort)4), (0x0600, new Ae("STORESCP")), (0x0700, (ushort)0), (0x0800, (ushort)0)));
        DimseCommand.Decode(bytes).Should().BeOfType<CMoveRq>().Which.MoveDestination.Should().Be("STORESCP");
    }

    [Fact]
    public void CMoveRsp_Counts_RoundTripAsTable9_3_10()
    {
        var rsp = new CMoveRsp { AffectedSopClassUid = StudyRootMove, MessageIdBeingRespondedTo = 4, Status = DimseStatus.Pending, RemainingSuboperations = 7, CompletedSuboperations = 2, FailedSuboperations = 1, WarningSuboperations = 0 };
        rsp.Encode().Should().Equal(Command((0x0002, StudyRootMove), (0x0100, (ushort)0x8021), (0x0120, (ushort)4), (0x0800, (ushort)0x0101), (0x0900, (ushort)0xFF00),
            (0x1020, (ushort)7), (0x1021, (ushort)2), (0x1022, (ushort)1), (0x1023, (ushort)0)));
        DimseCommand.Decode(rsp.Encode()).Should().Be(rsp);
    }

    [Fact]
    public void CCancelRq_Encode_HasNoSopClassAsTable9_3_7()
    {
        var bytes = new CCancelRq { MessageIdBeingRespondedTo = 5 }.Encode();
        bytes.Should().Equal(Command((0x0100, (ushort)0x0FFF), (0x0120, (ushort)5), (0x0800, (ushort)0x0101)));
        DimseCommand.Decode(bytes).Should().BeOfType<CCancelRq>().Which.MessageIdBeingRespondedTo.Should().Be(5);
    }

    [Fact]
    [Trait("Conformance", "PS3.4 J.3.2")]
    public void NActionRq_Encode_EqualsTheHandEncodedTable10_3_7Command()
    {
        var rq = new NActionRq { MessageId = 6, RequestedSopClassUid = StorageCommitment, RequestedSopInstanceUid = StorageCommitmentInstance, ActionTypeId = 1, HasDataSet = true };
        rq.Encode().Should().Equal(Command((0x0003, StorageCommitment), (0x0100, (ushort)0x0130), (0x0110, (ushort)6), (0x0800, (ushort)0), (0x1001, StorageCommitmentInstance), (0x1008, (ushort)1)));
        DimseCommand.Decode(rq.Encode()).Should().Be(rq);
        var rsp = rq.CreateResponse(DimseStatus.Success);
        DimseCommand.Decode(rsp.Encode()).Should().Be(rsp);
    }

    [Fact]
    [Trait("Conformance", "PS3.4 J.3.3")]
    public void NEventReportRq_Encode_EqualsTheHandEncodedTable10_3_1Command()
    {
        var rq = new NEventReportRq { AffectedSopClassUid = StorageCommitment, AffectedSopInstanceUid = StorageCommitmentInstance, MessageId = 8, EventTypeId = 2, HasDataSet = true };
        rq.Encode().Should().Equal(Command((0x0002, StorageCommitment), (0x0100, (ushort)0x0100), (0x0110, (ushort)8), (0x0800, (ushort)0), (0x1000, StorageCommitmentInstance), (0x1002, (ushort)2)));
        DimseCommand.Decode(rq.Encode()).Should().Be(rq);
        var rsp = rq.CreateResponse(DimseStatus.Success);
        DimseCommand.Decode(rsp.Encode()).Should().Be(rsp);
    }
}
