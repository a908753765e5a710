using MedNode.Dicom.Network.Dimse;

namespace MedNode.Network.Tests;

/// <summary>Final status and counts of C-MOVE and C-GET, against PS3.4 C.4.2.1.5 and PS3.7 Tables 9.3-6 and 9.3-10.</summary>
public class RetrieveCountsTests
{
    private static RetrieveCounts Counts(int total, params ushort?[] statuses)
    {
        var c = new RetrieveCounts(total);
        for (var i = 0; i < statuses.Length; i++) c.Add("1.2." + i, statuses[i]);
        return c;
    }

    [Theory]
    [Trait("Conformance", "PS3.4 C.4.2.1.5")]
    [InlineData(new ushort[] { }, false, 0x0000)]
    [InlineData(new ushort[] { 0x0000, 0x0000 }, false, 0x0000)]
    [InlineData(new ushort[] { 0x0000, 0xA700 }, false, 0xB000)]
    [InlineData(new ushort[] { 0x0000, 0xB007 }, false, 0xB000)]
    [InlineData(new ushort[] { 0xB000, 0xA700 }, false, 0xB000)]
    [InlineData(new ushort[] { 0xA700, 0xC000 }, false, 0xA702)]
    [InlineData(new ushort[] { 0x0000, 0x0000 }, true, 0x0000)]
    public void FinalStatus_AllSent_FollowsTheStandard(ushort[] statuses, bool cancelled, int expected)
    {
        var c = Counts(statuses.Length, [.. statuses.Select(s => (ushort?)s)]);
        c.FinalStatus(cancelled).Should().Be((ushort)expected);
    }

    [Fact]
    [Trait("Conformance", "PS3.4 C.4.2.1.5")]
    public void FinalStatus_CancelledWithSubOperationsLeft_IsCancel()
    {
        var c = Counts(3, 0x0000);
        c.FinalStatus(cancelled: true).Should().Be(0xFE00);
        var rsp = c.Apply(new CMoveRsp { Status = 0xFE00 });
        rsp.RemainingSuboperations.Should().Be(2);
        rsp.CompletedSuboperations.Should().Be(1);
    }

    [Fact]
    public void Add_NotSent_CountsAsFailedAndListsTheInstance()
    {
        var c = Counts(2, null, 0x0000);
        c.Failed.Should().Be(1);
        c.Completed.Should().Be(1);
        c.FailedSopInstances.Should().Equal("1.2.0");
    }

    [Fact]
    [Trait("Conformance", "PS3.7 9.3.4.2")]
    public void Apply_PendingAndFinal_RemainingOnlyOnPending()
    {
        var c = Counts(3, 0x0000, 0xA700);
        var pending = c.Apply(new CGetRsp { Status = 0xFF00 });
        pending.RemainingSuboperations.Should().Be(1);
        pending.FailedSuboperations.Should().Be(1);
        c.Add("1.2.9", 0xB000);
        var final = c.Apply(new CGetRsp { Status = c.FinalStatus(false) });
        final.Status.Should().Be(0xB000);
        final.RemainingSuboperations.Should().BeNull();
        (final.CompletedSuboperations, final.FailedSuboperations, final.WarningSuboperations).Should().Be(((ushort?)1, (ushort?)1, (ushort?)1));
    }
}
