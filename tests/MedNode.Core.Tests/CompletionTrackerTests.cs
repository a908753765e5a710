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

    private static InstanceStored Stored(string study, string series, string sop, string called = "MEDNODE", string? association = null, string modality = "CT", string description = "") => new(new InstanceRecord
    {
        SopInstanceUid = sop,
        SopClassUid = "1.2.840.10008.5.1.4.1.1.2",
        SeriesInstanceUid = series,
        StudyInstanceUid = study,
        TransferSyntaxUid = "1.2.840.10008.1.2.1",
        BlobKey = sop,
        Channel = "DIMSE",
        CallingAeTitle = "PACS",
        Modality = modality,
        SeriesDescription = description,
    }, false, called, association);

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
    public async Task CompleteStudyOrSeriesNow_CompletesOnlyThePendingUnitsThatHoldIt_AndEachOnce()
    {
        using var tracker = Tracker();
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.2", "b"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.2", "1.2.1", "c"), default);
        tracker.Pending().Select(p => (p.StudyInstanceUid, p.SeriesInstanceUid, p.Instances, p.NextVersion)).Should().Equal(("1.1", "1.1.1", 1, 1), ("1.1", "1.1.2", 1, 1), ("1.2", "1.2.1", 1, 1));

        (await tracker.CompleteSeriesNowAsync("1.1.2", default)).Select(u => u.SeriesInstanceUid).Should().Equal("1.1.2");
        (await tracker.CompleteSeriesNowAsync("1.1.2", default)).Should().BeEmpty("it completed once");
        (await tracker.CompleteStudyNowAsync("1.1", default)).Select(u => u.SeriesInstanceUid).Should().Equal("1.1.1");
        (await tracker.CompleteStudyNowAsync("9.9", default)).Should().BeEmpty();
        _sink.Units.Select(u => u.SeriesInstanceUid).Should().Equal("1.1.2", "1.1.1");
        tracker.Pending().Select(p => p.StudyInstanceUid).Should().Equal("1.2");
        _clock.Advance(TimeSpan.FromSeconds(31));
        _sink.Units.Select(u => u.SeriesInstanceUid).Should().Equal("1.1.2", "1.1.1", "1.2.1");
    }

    [Fact]
    public async Task CompleteSeriesNow_GroupedByStudy_CompletesTheStudyThatHoldsIt()
    {
        using var tracker = Tracker(CompletionGrouping.Study);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.2", "b"), default);
        var units = await tracker.CompleteSeriesNowAsync("1.1.2", default);
        units.Should().ContainSingle();
        units[0].SeriesInstanceUid.Should().BeNull();
        units[0].SopInstanceUids.Should().Equal("a", "b");
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

    private CompletionTracker ReleaseTracker(params string[] aeTitles) =>
        new(_sink, new CompletionOptions { QuietPeriod = TimeSpan.FromMinutes(10), CompleteOnAssociationRelease = [.. aeTitles] }, _clock);

    [Fact]
    public async Task AssociationReleased_UnitOfThatAssociation_CompletesWithoutTheQuietPeriod()
    {
        using var tracker = ReleaseTracker("MEDNODE");
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a", association: "A1"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "b", association: "A1"), default);
        _sink.Units.Should().BeEmpty("the association is still open");
        await tracker.OnAssociationEndedAsync("A1", released: true, default);
        var unit = _sink.Units.Should().ContainSingle().Subject;
        unit.SopInstanceUids.Should().Equal("a", "b");
        _clock.Advance(TimeSpan.FromMinutes(11));
        _sink.Units.Should().ContainSingle("the quiet period does not complete it a second time");
    }

    [Fact]
    public async Task AssociationAborted_UnitWaitsForTheQuietPeriod()
    {
        using var tracker = ReleaseTracker("*");
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a", association: "A1"), default);
        await tracker.OnAssociationEndedAsync("A1", released: false, default);
        _sink.Units.Should().BeEmpty("an aborted association may have left the unit incomplete");
        _clock.Advance(TimeSpan.FromMinutes(10));
        _sink.Units.Should().ContainSingle();
    }

    [Fact]
    public async Task AssociationReleased_UnitAlsoFedByAnotherOpenAssociation_WaitsForThatOneToo()
    {
        using var tracker = ReleaseTracker("*");
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a", association: "A1"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "b", association: "A2"), default);
        await tracker.OnAssociationEndedAsync("A1", released: true, default);
        _sink.Units.Should().BeEmpty("A2 is still sending");
        await tracker.OnAssociationEndedAsync("A2", released: true, default);
        _sink.Units.Should().ContainSingle().Which.SopInstanceUids.Should().Equal("a", "b");
    }

    [Fact]
    public async Task AssociationReleased_OnAnAeNotConfigured_OrInstancesWithoutAnAssociation_WaitForTheQuietPeriod()
    {
        using var tracker = ReleaseTracker("MEDNODE");
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a", called: "RESEARCH", association: "A1"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.2", "b", association: "A2"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.2", "c"), default); // e.g. STOW-RS: no association
        await tracker.OnAssociationEndedAsync("A1", released: true, default);
        await tracker.OnAssociationEndedAsync("A2", released: true, default);
        _sink.Units.Should().BeEmpty();
        _clock.Advance(TimeSpan.FromMinutes(10));
        _sink.Units.Should().HaveCount(2);
    }

    [Fact]
    public async Task AssociationReleased_LateInstancesOnANewAssociation_MakeVersionTwoOnItsRelease()
    {
        using var tracker = ReleaseTracker("MEDNODE");
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a", association: "A1"), default);
        await tracker.OnAssociationEndedAsync("A1", released: true, default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "b", association: "A2"), default);
        await tracker.OnAssociationEndedAsync("A2", released: true, default);
        _sink.Units.Select(u => (u.Version, string.Join(",", u.SopInstanceUids))).Should().Equal((1, "a"), (2, "a,b"));
    }

    [Fact]
    public async Task RequiredSeries_AllPresent_StudyCompletesAtOnce()
    {
        using var tracker = new CompletionTracker(_sink, new CompletionOptions
        {
            GroupBy = CompletionGrouping.Study,
            QuietPeriod = TimeSpan.FromMinutes(10),
            RequiredSeries = [new() { Modality = "CT", SeriesDescription = "*AXIAL*", MinInstances = 2 }, new() { Modality = "SR" }],
        }, _clock);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a", description: "Chest axial 1mm"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.2", "b", modality: "SR"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.3", "c", description: "Scout"), default);
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.3", "d", description: "Scout"), default);
        _sink.Units.Should().BeEmpty("the axial series has one instance of the two required; the scout does not match");
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "a", description: "Chest axial 1mm"), default);
        _sink.Units.Should().BeEmpty("a repeated instance is not a second one");
        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "e", description: "Chest axial 1mm"), default);
        _sink.Units.Should().ContainSingle().Which.SopInstanceUids.Should().Equal("a", "b", "c", "d", "e");

        await tracker.OnInstanceStoredAsync(Stored("1.1", "1.1.1", "f", description: "Chest axial 1mm"), default);
        _sink.Units.Should().ContainSingle("a later instance waits for the quiet period");
        _clock.Advance(TimeSpan.FromMinutes(10));
        _sink.Units.Select(u => u.Version).Should().Equal(1, 2);
    }

    [Fact]
    public void Options_RequiredSeriesWithoutStudyGrouping_OrWithABadPattern_AreRefused()
    {
        var errors = new CompletionOptions { RequiredSeries = [new() { SeriesDescription = "re:(" }, new() { MinInstances = 0 }] }.Validate();
        errors.Should().Contain(e => e.Contains("GroupBy Study", StringComparison.Ordinal))
            .And.Contain(e => e.Contains("RequiredSeries:0:SeriesDescription", StringComparison.Ordinal))
            .And.Contain(e => e.Contains("RequiredSeries:1:MinInstances", StringComparison.Ordinal))
            .And.Contain(e => e.Contains("RequiredSeries:1: give a Modality", StringComparison.Ordinal));
        FluentActions.Invoking(() => new CompletionTracker(_sink, new CompletionOptions { QuietPeriod = TimeSpan.Zero }, _clock))
            .Should().Throw<ArgumentException>().WithMessage("*QuietPeriod*");
    }
}
