using MedNode.Core.Completion;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

public class CompletionTrackerTests
{
    private sealed class Sink : ICompletionSink
    {
        public List<CompletedUnit> Units { get; } = [];

        public Task OnCompletedAsync(CompletedUnit unit, CancellationToken cancellationToken)
        {
            lock (Units) Units.Add(unit);
            return Task.CompletedTask;
        }
    }

    private static InstanceStored Stored(string study, string series, string sop, string called = "MEDNODE") => new(new InstanceRecord
    {
        SopInstanceUid = sop,
        SopClassUid = "1.2.840.10008.5.1.4.1.1.2",
        SeriesInstanceUid = series,
        StudyInstanceUid = study,
        TransferSyntaxUid = "1.2.840.10008.1.2.1",
        BlobKey = sop,
        Channel = "DIMSE",
        CallingAeTitle = "PACS",
    }, false, called);

    private readonly FakeTimeProvider _clock = new();
    private readonly Sink _sink = new();

    private CompletionTracker Tracker(CompletionGrouping grouping = CompletionGrouping.Series) =>
        new(_sink, new CompletionOptions { GroupBy = grouping, QuietPeriod = TimeSpan.FromSeconds(30) }, _clock);

    [Fact]
    public async Task QuietPeriod_RestartsWithEachInstance_UnitCompletesOnceAfterTheLast()
    {
        using var tracker = Tracker();
        for (var i = 0; i < 5; i++)
        {
            await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", $"1.1.1.{i}"), default);
            _clock.Advance(TimeSpan.FromSeconds(20));
        }
        _sink.Units.Should().BeEmpty("20 s gaps are shorter than the 30 s quiet period");
        _clock.Advance(TimeSpan.FromSeconds(10));
        var unit = _sink.Units.Should().ContainSingle().Subject;
        unit.Version.Should().Be(1);
        unit.SopInstanceUids.Should().HaveCount(5);
        unit.CalledAeTitle.Should().Be("MEDNODE");
        _clock.Advance(TimeSpan.FromMinutes(10));
        _sink.Units.Should().ContainSingle("a quiet unit does not complete again");
    }

    [Fact]
    public async Task LateInstance_ProducesASecondVersionWithAllInputs()
    {
        using var tracker = Tracker();
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "b"), default);
        _clock.Advance(TimeSpan.FromSeconds(31));
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "c"), default);
        _clock.Advance(TimeSpan.FromSeconds(31));
        _sink.Units.Select(u => u.Version).Should().Equal(1, 2);
        _sink.Units[1].SopInstanceUids.Should().Equal("a", "b", "c");
    }

    [Fact]
    public async Task GroupBySeries_KeepsSeriesApart_GroupByStudy_JoinsThem()
    {
        using (var bySeries = Tracker())
        {
            await bySeries.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a"), default);
            await bySeries.OnInstanceStoredAsync(Stored("1.1", "1.1.2", "b"), default);
            _clock.Advance(TimeSpan.FromSeconds(31));
        }
        _sink.Units.Should().HaveCount(2).And.OnlyContain(u => u.SeriesInstanceUid != null);
        _sink.Units.Clear();
        using var byStudy = Tracker(CompletionGrouping.Study);
        await byStudy.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a"), default);
        await byStudy.OnInstanceStoredAsync(Stored("1.1", "1.1.2", "b"), default);
        _clock.Advance(TimeSpan.FromSeconds(31));
        _sink.Units.Should().ContainSingle().Which.SopInstanceUids.Should().Equal("a", "b");
    }

    [Fact]
    public async Task SameSeriesToTwoListeningAes_CompletesPerAe()
    {
        using var tracker = Tracker();
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a", "MEDNODE"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "b", "RESEARCH"), default);
        _clock.Advance(TimeSpan.FromSeconds(31));
        _sink.Units.Select(u => u.CalledAeTitle).Should().BeEquivalentTo("MEDNODE", "RESEARCH");
    }

    [Fact]
    public async Task CompleteNow_FiresWithoutWaiting_AndOnlyOnce()
    {
        using var tracker = Tracker();
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a"), default);
        var key = tracker.PendingKeys().Single();
        (await tracker.CompleteNowAsync(key, default)).Should().BeTrue();
        (await tracker.CompleteNowAsync(key, default)).Should().BeFalse();
        _clock.Advance(TimeSpan.FromSeconds(31));
        _sink.Units.Should().ContainSingle();
        tracker.PendingCount.Should().Be(0);
    }

    [Fact]
    public async Task CompletedUnit_IsForgottenAfterItsRetention_AndALaterInstanceStartsAfresh()
    {
        using var tracker = new CompletionTracker(_sink, new CompletionOptions { QuietPeriod = TimeSpan.FromSeconds(30), Retention = TimeSpan.FromHours(1) }, _clock);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a"), default);
        _clock.Advance(TimeSpan.FromSeconds(31));
        tracker.TrackedCount.Should().Be(1, "a completed unit is remembered for late instances");
        _clock.Advance(TimeSpan.FromMinutes(59));
        tracker.TrackedCount.Should().Be(1);
        _clock.Advance(TimeSpan.FromMinutes(2));
        tracker.TrackedCount.Should().Be(0, "its retention has passed");
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "b"), default);
        _clock.Advance(TimeSpan.FromSeconds(31));
        _sink.Units.Select(u => (u.Version, string.Join(",", u.SopInstanceUids))).Should().Equal((1, "a"), (1, "b"));
    }
}
