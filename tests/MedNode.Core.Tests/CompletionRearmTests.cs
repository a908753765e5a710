using MedNode.Core.Completion;
using MedNode.Core.Index;
using MedNode.Core.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Core.Tests;

public class CompletionRearmTests
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

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    private InstanceRecord Record(string series, string sop, TimeSpan age) => new()
    {
        SopInstanceUid = sop,
        SopClassUid = "1.2.840.10008.5.1.4.1.1.2",
        SeriesInstanceUid = series,
        StudyInstanceUid = "1.1",
        TransferSyntaxUid = "1.2.840.10008.1.2.1",
        BlobKey = sop,
        Channel = "DIMSE",
        CallingAeTitle = "PACS",
        ReceivedAt = _clock.GetUtcNow() - age,
    };

    private static JobRequest Job(string series, int version, params string[] sops) =>
        new($"DIMSE|RESEARCH|1.1|{series}", version, "1.1", series, sops, "phantom-lesion", "ab12", "ct", []);

    [Fact]
    public async Task Rearm_UnitsWithoutACoveringJob_CompleteAfterTheQuietPeriod_CoveredAndOldOnesDoNot()
    {
        var index = new InMemoryInstanceIndex();
        var jobs = new InMemoryJobQueue(_clock);
        // 1.1.1: analysed already (its job covers every instance). 1.1.2: never completed. 1.1.3: version 1 covered "c1"
        // only; "c2" arrived just before the stop. 1.1.4: received before the retention window.
        foreach (var r in new[]
        {
            Record("1.1.1", "a1", TimeSpan.FromMinutes(5)), Record("1.1.1", "a2", TimeSpan.FromMinutes(5)),
            Record("1.1.2", "b1", TimeSpan.FromSeconds(10)),
            Record("1.1.3", "c1", TimeSpan.FromMinutes(20)), Record("1.1.3", "c2", TimeSpan.FromSeconds(5)),
            Record("1.1.4", "d1", TimeSpan.FromDays(2)),
        })
            await index.AddOrReplaceAsync(r, default);
        await jobs.EnqueueAsync(Job("1.1.1", 1, "a1", "a2"), default);
        await jobs.EnqueueAsync(Job("1.1.3", 1, "c1"), default);

        var sink = new Sink();
        using var tracker = new CompletionTracker(sink, new CompletionOptions { QuietPeriod = TimeSpan.FromSeconds(30), Retention = TimeSpan.FromDays(1) }, _clock);
        (await new CompletionRearm(tracker, index, jobs, _clock).RearmAsync("MEDNODE", default)).Should().Be(2);
        sink.Units.Should().BeEmpty("a re-armed unit waits for a fresh quiet period");
        _clock.Advance(TimeSpan.FromSeconds(30));

        sink.Units.Select(u => (u.SeriesInstanceUid, u.Version, string.Join(",", u.SopInstanceUids), u.Key)).Should().BeEquivalentTo(new[]
        {
            ("1.1.2", 1, "b1", "DIMSE|MEDNODE|1.1|1.1.2"),
            ("1.1.3", 2, "c1,c2", "DIMSE|RESEARCH|1.1|1.1.3"),
        });
        sink.Units.Single(u => u.SeriesInstanceUid == "1.1.3").CalledAeTitle.Should().Be("RESEARCH", "taken from the unit's last job");
    }
}
