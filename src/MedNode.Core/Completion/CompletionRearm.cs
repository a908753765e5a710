using MedNode.Core.Index;
using MedNode.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Completion;

/// <summary>
/// Re-arms completion after a restart. The tracker's state lives in memory, so instances received just before a stop or
/// a crash would otherwise wait until more of their unit arrived. At start-up the instances received within
/// <see cref="CompletionOptions.Retention"/> are grouped into units; a unit whose instances are all inputs of one of
/// its jobs was queued already (the job queue is durable) and is left alone; every other unit is made pending again
/// and completes after a fresh quiet period, as the next version of its last job.
/// </summary>
/// <remarks>
/// The index does not record the listening AE an instance was sent to: a re-armed unit takes it from the unit's last
/// job, else <c>defaultCalledAeTitle</c> (the node's own AE title). A unit that no rule sends to analysis has no job, so
/// it is completed (and its rules evaluated) again at each start within its retention.
/// </remarks>
public sealed class CompletionRearm(CompletionTracker tracker, IRecentInstances index, IJobQueue jobs, TimeProvider? timeProvider = null, ILogger<CompletionRearm>? logger = null)
{
    private const int JobsPerStudy = 10_000;
    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Re-arms the units not yet covered by a job; returns how many.</summary>
    public async Task<int> RearmAsync(string? defaultCalledAeTitle, CancellationToken cancellationToken)
    {
        var bySeries = tracker.Options.GroupBy == CompletionGrouping.Series;
        var since = (timeProvider ?? TimeProvider.System).GetUtcNow() - tracker.Options.Retention;
        var units = new Dictionary<(string? Channel, string Study, string? Series), List<InstanceRecord>>();
        await foreach (var r in index.ListReceivedSinceAsync(since, cancellationToken))
        {
            var id = (r.Channel, r.StudyInstanceUid, bySeries ? r.SeriesInstanceUid : null);
            if (!units.TryGetValue(id, out var list)) units[id] = list = [];
            list.Add(r);
        }
        var rearmed = 0;
        foreach (var ((channel, study, series), records) in units)
        {
            var unitJobs = new List<AnalysisJob>();
            await foreach (var job in jobs.ListAsync(new JobFilter(StudyInstanceUid: study, Limit: JobsPerStudy), cancellationToken))
                if (job.SeriesInstanceUid == series && job.UnitKey.StartsWith(channel + "|", StringComparison.Ordinal)) unitJobs.Add(job);
            var sops = records.Select(r => r.SopInstanceUid).ToHashSet(StringComparer.Ordinal);
            if (unitJobs.Any(j => sops.IsSubsetOf(j.InputSopInstanceUids))) continue;
            var last = unitJobs.MaxBy(j => j.Version);
            var representative = records[^1];
            var key = last?.UnitKey ?? tracker.UnitKey(channel, defaultCalledAeTitle, study, representative.SeriesInstanceUid);
            var calledAe = key.Split('|')[1];
            tracker.Rearm(key, last?.Version ?? 0, last == null ? sops : sops.Union(last.InputSopInstanceUids, StringComparer.Ordinal), representative, calledAe.Length == 0 ? null : calledAe);
            rearmed++;
        }
        if (rearmed > 0) _log.LogInformation("Completion re-armed for {Count} unit(s) received before the last stop and not yet analysed", rearmed);
        return rearmed;
    }
}
