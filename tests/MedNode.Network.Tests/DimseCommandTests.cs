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
}
