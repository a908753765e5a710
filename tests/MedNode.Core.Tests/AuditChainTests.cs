using MedNode.Core.Audit;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

public class AuditChainTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private static async Task<InMemoryAuditTrail> TrailWithAsync(int rows, AuditOptions? options = null)
    {
        var trail = new InMemoryAuditTrail(Clock, options);
        for (var i = 0; i < rows; i++)
        {
            await trail.AppendAsync(new AuditEvent(AuditEventType.DicomInstancesTransferred, AuditAction.C, AuditOutcome.Success,
                [new AuditParticipant("PACS", "127.0.0.1", true, "Source"), new AuditParticipant("MEDNODE", null, false, "Destination")],
                "1.2.3." + i, "PAT" + i), CancellationToken.None);
            Clock.Advance(TimeSpan.FromSeconds(1));
        }
        return trail;
    }

    private static Task<AuditVerification> VerifyAsync(InMemoryAuditTrail trail) => AuditChain.VerifyAsync(trail.ReadAsync(AuditQuery.All, CancellationToken.None), CancellationToken.None);

    [Fact]
    public async Task Verify_UntouchedChain_IsIntact()
    {
        var result = await VerifyAsync(await TrailWithAsync(5));
        result.IsIntact.Should().BeTrue(result.Problem);
        result.RowsChecked.Should().Be(5);
    }

    [Theory]
    [InlineData("StudyInstanceUid")]
    [InlineData("Outcome")]
    [InlineData("Participants")]
    [InlineData("Time")]
    public async Task Verify_OneFieldChanged_NamesThatRow(string field)
    {
        var trail = await TrailWithAsync(5);
        var rows = await trail.ReadAsync(AuditQuery.All, CancellationToken.None).ToListAsync();
        var row = rows[2];
        trail.Overwrite(field switch
        {
            "StudyInstanceUid" => row with { StudyInstanceUid = "9.9.9" },
            "Outcome" => row with { Outcome = 8 },
            "Participants" => row with { Participants = "INTRUDER|10.0.0.1|R|Source" },
            _ => row with { Time = row.Time.AddMinutes(-5) },
        });
        var result = await VerifyAsync(trail);
        result.IsIntact.Should().BeFalse();
        result.FirstBadSequence.Should().Be(3);
        result.Problem.Should().Contain("altered");
    }

    [Fact]
    public async Task Verify_RowRehashedAfterChange_BreaksTheNextRow()
    {
        var trail = await TrailWithAsync(4);
        var rows = await trail.ReadAsync(AuditQuery.All, CancellationToken.None).ToListAsync();
        var forged = rows[1] with { Outcome = 12 };
        trail.Overwrite(forged with { Hash = forged.ComputeHash() });
        var result = await VerifyAsync(trail);
        result.FirstBadSequence.Should().Be(3, "row 3 still names the original hash of row 2");
    }

    [Fact]
    public async Task Verify_MissingRow_IsReported()
    {
        var trail = await TrailWithAsync(4);
        var rows = await trail.ReadAsync(AuditQuery.All, CancellationToken.None).ToListAsync();
        var withoutSecond = rows.Where(r => r.Sequence != 2).ToAsyncEnumerable();
        var result = await AuditChain.VerifyAsync(withoutSecond, CancellationToken.None);
        result.FirstBadSequence.Should().Be(2);
        result.Problem.Should().Contain("missing");
    }

    [Fact]
    public async Task Append_HashPatientIdentifiers_StoresNoPlainPatientId()
    {
        var trail = await TrailWithAsync(2, new AuditOptions { HashPatientIdentifiers = true });
        var rows = await trail.ReadAsync(AuditQuery.All, CancellationToken.None).ToListAsync();
        rows.Should().OnlyContain(r => r.PatientId!.StartsWith("sha256:") && !r.PatientId.Contains("PAT"));
        rows[0].PatientId.Should().NotBe(rows[1].PatientId);
        (await VerifyAsync(trail)).IsIntact.Should().BeTrue();
    }

    [Fact]
    public void EventTypes_UseThePs315EventIdCodes()
    {
        // PS3.16 CID 400 "Audit Event ID": the codes PS3.15 A.5.3 assigns to each message.
        var codes = AuditEventType.All.Where(t => t.Scheme == "DCM").ToDictionary(t => t.Meaning, t => t.Code);
        codes.Should().Contain(new Dictionary<string, string>
        {
            ["Application Activity"] = "110100",
            ["Begin Transferring DICOM Instances"] = "110102",
            ["DICOM Instances Accessed"] = "110103",
            ["DICOM Instances Transferred"] = "110104",
            ["DICOM Study Deleted"] = "110105",
            ["Export"] = "110106",
            ["Query"] = "110112",
            ["Security Alert"] = "110113",
            ["User Authentication"] = "110114",
        });
    }
}
