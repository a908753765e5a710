using MedNode.Core.Audit;
using MedNode.Core.Index;
using MedNode.Core.Retention;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

/// <summary>Retention by age (<see cref="StudyRetention"/>) on a fake clock: which studies go, when, and what the trail says.</summary>
public sealed class StudyRetentionTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryInstanceIndex _index = new();
    private readonly string _temp = Directory.CreateTempSubdirectory("mednode-retention-").FullName;

    public void Dispose() => Directory.Delete(_temp, true);

    private async Task AddAsync(string study, string sop, TimeSpan age) => await _index.AddOrReplaceAsync(new InstanceRecord
    {
        SopInstanceUid = sop,
        SopClassUid = "1.2.840.10008.5.1.4.1.1.2",
        SeriesInstanceUid = study + ".1",
        StudyInstanceUid = study,
        PatientId = "PAT-" + study,
        TransferSyntaxUid = "1.2.840.10008.1.2.1",
        BlobKey = Path.Combine(_temp, sop),
        Channel = "DIMSE",
        ReceivedAt = _clock.GetUtcNow() - age,
    }, default);

    [Fact]
    public async Task RunOnce_StudiesWhoseNewestInstanceIsOlderThanTheMaxAge_AreDeletedAndAuditedAsStudyDeleted()
    {
        var trail = new InMemoryAuditTrail(_clock);
        var retention = new StudyRetention(_index, new StudyDeletionService(_index, new PathBlobs(_temp), trail),
            new RetentionOptions { MaxStudyAge = TimeSpan.FromDays(30) }, _clock);
        await AddAsync("1.1", "a1", TimeSpan.FromDays(31));
        await AddAsync("1.1", "a2", TimeSpan.FromDays(40));
        await AddAsync("1.2", "b1", TimeSpan.FromDays(10));
        await AddAsync("1.3", "c1", TimeSpan.FromDays(35));
        await AddAsync("1.3", "c2", TimeSpan.FromDays(5)); // a late instance keeps the study

        (await retention.RunOnceAsync(default)).Select(d => (d.StudyInstanceUid, d.Instances)).Should().Equal(("1.1", 2));
        _index.All.Select(r => r.StudyInstanceUid).Distinct().Order().Should().Equal("1.2", "1.3");
        var rows = await trail.ReadAsync(AuditQuery.All, default).ToListAsync();
        var deleted = rows.Should().ContainSingle(r => r.EventCode == AuditEventType.DicomStudyDeleted.Code).Subject;
        deleted.StudyInstanceUid.Should().Be("1.1");
        deleted.Action.Should().Be("D");
        deleted.Participants.Should().StartWith("mednode retention|");

        _clock.Advance(TimeSpan.FromDays(21));
        (await retention.RunOnceAsync(default)).Select(d => d.StudyInstanceUid).Should().Equal("1.2");
        _clock.Advance(TimeSpan.FromDays(5));
        (await retention.RunOnceAsync(default)).Select(d => d.StudyInstanceUid).Should().Equal("1.3");
        _index.All.Should().BeEmpty();
    }

    [Fact]
    public async Task Run_LooksEveryInterval_OnTheNodesClock_AndNotWithoutAMaxAge()
    {
        await AddAsync("1.1", "a1", TimeSpan.FromDays(2));
        var retention = new StudyRetention(_index, new StudyDeletionService(_index, new PathBlobs(_temp)),
            new RetentionOptions { MaxStudyAge = TimeSpan.FromDays(1), Interval = TimeSpan.FromHours(1) }, _clock);
        using var cts = new CancellationTokenSource();
        var running = retention.RunAsync(cts.Token);
        _index.All.Should().HaveCount(1, "the first look comes after one interval");

        _clock.Advance(TimeSpan.FromHours(1));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_index.All.Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        _index.All.Should().BeEmpty("the look after one interval deleted the study");
        await cts.CancelAsync();
        await running;

        var off = new StudyRetention(_index, new StudyDeletionService(_index, new PathBlobs(_temp)), new RetentionOptions(), _clock);
        off.RunAsync(default).IsCompletedSuccessfully.Should().BeTrue("no MaxStudyAge: retention is off");
    }

    [Fact]
    public void Options_NonPositiveValues_AreRefusedNamingTheSetting()
    {
        new RetentionOptions { MaxStudyAge = TimeSpan.Zero, Interval = TimeSpan.Zero, BatchSize = 0 }.Validate()
            .Should().HaveCount(3).And.Contain(e => e.Contains("MedNode:Retention:MaxStudyAge", StringComparison.Ordinal));
        new RetentionOptions().Validate().Should().BeEmpty();
    }
}
