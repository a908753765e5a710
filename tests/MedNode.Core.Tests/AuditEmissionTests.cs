using MedNode.Core.Audit;
using MedNode.Dicom;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

/// <summary>The background audit writer of the hot paths, and the query description that keeps values out of the trail.</summary>
public sealed class AuditEmissionTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private static AuditEvent Query(string n) => DicomAuditEvents.Query(new AuditParticipant("SCU", "127.0.0.1", true), new AuditParticipant("MEDNODE", null, false),
        "C-FIND SOP Class 1.2.840.10008.5.1.4.1.2.2.1", "query " + n, AuditOutcome.Success);

    private static Task<List<AuditRecord>> RowsAsync(IAuditTrail trail) => trail.ReadAsync(AuditQuery.All, CancellationToken.None).ToListAsync().AsTask();

    [Fact]
    [Trait("Conformance", "PS3.15 A.5.1 EventDateTime")]
    public async Task Post_TheEventTimeIsWhenItWasPosted_NotWhenItWasAppended()
    {
        var trail = new InMemoryAuditTrail(_clock);
        var writer = new BackgroundAuditWriter(trail, _clock);
        var posted = _clock.GetUtcNow();
        writer.Post(Query("1")).Should().BeTrue();
        _clock.Advance(TimeSpan.FromMinutes(5));
        (await RowsAsync(trail)).Should().BeEmpty("Post does not wait for the append");

        await writer.DrainAsync();

        var row = (await RowsAsync(trail)).Should().ContainSingle().Subject;
        row.Time.Should().Be(posted);
        row.EventCode.Should().Be("110112");
        row.Participants.Should().Be("SCU|127.0.0.1|R|Source\nMEDNODE||-|Destination");
    }

    [Fact]
    [Trait("Conformance", "PS3.15 A.5.3.11 Security Alert")]
    public async Task Post_QueueFull_TheLossIsAuditedAsAuditRecordingStopped_AndTheChainVerifies()
    {
        var trail = new InMemoryAuditTrail(_clock);
        var writer = new BackgroundAuditWriter(trail, _clock, capacity: 2);
        writer.Post(Query("1")).Should().BeTrue();
        writer.Post(Query("2")).Should().BeTrue();
        writer.Post(Query("3")).Should().BeFalse("the queue holds two");

        await writer.DrainAsync();

        var rows = await RowsAsync(trail);
        rows.Select(r => r.EventCode).Should().Equal("110113", "110112", "110112");
        rows[0].Outcome.Should().Be((int)AuditOutcome.SeriousFailure);
        rows[0].Detail.Should().Contain("110133").And.Contain("1 audit event(s) lost");
        rows.Skip(1).Select(r => r.Detail).Should().Equal(Query("1").Detail, Query("2").Detail);
        (await AuditChain.VerifyAsync(trail.ReadAsync(AuditQuery.All, CancellationToken.None), CancellationToken.None)).IsIntact.Should().BeTrue();
    }

    [Fact]
    public async Task RunAsync_Stopped_AppendsWhatWasStillQueued()
    {
        var trail = new InMemoryAuditTrail(_clock);
        var writer = new BackgroundAuditWriter(trail, _clock);
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        writer.Post(Query("1"));
        writer.Post(Query("2"));

        await writer.RunAsync(stop.Token);

        (await RowsAsync(trail)).Should().HaveCount(2);
    }

    [Fact]
    [Trait("Conformance", "PS3.15 A.5.3.10 Query")]
    public void DescribeKeys_CFindIdentifier_NamesTagsNeverValues()
    {
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        identifier.AddOrUpdate(DicomTags.PatientName, DicomVR.PN, "Doe^Jane");
        identifier.AddOrUpdate(DicomTags.PatientBirthDate, DicomVR.DA, "19700101");
        identifier.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, "");

        var keys = DicomAuditEvents.DescribeKeys(identifier);

        keys.Should().Be("level STUDY; matching (0010,0010),(0010,0030); returned (0020,000D)");
    }

    [Fact]
    public void DescribeKeys_TextInTheLevel_IsNotCopied()
    {
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "DOE JANE");
        DicomAuditEvents.DescribeKeys(identifier).Should().NotContain("DOE").And.Contain("(not a defined level)");
    }
}
