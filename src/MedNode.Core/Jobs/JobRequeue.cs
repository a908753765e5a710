namespace MedNode.Core.Jobs;

/// <summary>The outcome of <see cref="IJobQueue.RequeueAsync"/>.</summary>
public enum RequeueOutcome
{
    /// <summary>The job is Queued again (same row, same idempotency key, its attempts kept).</summary>
    Requeued,

    /// <summary>No job has that id.</summary>
    NotFound,

    /// <summary>The job is not Skipped or Failed: queued or running (it would run twice at once), succeeded (never re-run) or superseded.</summary>
    NotSkippedOrFailed,

    /// <summary>A later version of the job's unit exists for the same model: that one holds every input, this one stays as it is.</summary>
    LaterVersionExists,
}

/// <summary>
/// Running skipped and failed jobs again, keeping the queue's guarantees: a job is the same row with the same idempotency
/// key (inputs and model hash), so no second job is made; only a Skipped or Failed job moves back to Queued, in one
/// conditional update, so a queued, running or succeeded job is never run again and of two concurrent requests one wins.
/// </summary>
public static class JobRequeue
{
    /// <summary>
    /// The error a job is skipped with when its model is disabled (recorded by <see cref="JobWorker"/>): the reason
    /// <see cref="RequeueSkippedForDisabledModelAsync"/> looks for, compared exactly, so a job skipped for another reason
    /// (its inputs deleted, the model declining the series) is not run again when the model is enabled.
    /// </summary>
    public static string ModelDisabledReason(string modelId) => $"model {modelId} is disabled";

    /// <summary>
    /// After a model is enabled again: requeues its jobs that were skipped because it was disabled, the latest version of
    /// each unit only (an earlier version's inputs are part of the later one). Returns the ids requeued.
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> RequeueSkippedForDisabledModelAsync(IJobQueue jobs, string modelId, CancellationToken cancellationToken)
    {
        var reason = ModelDisabledReason(modelId);
        // The queue filters by model, so every skipped job of that model is seen, however many other jobs are skipped.
        var skipped = await jobs.ListAsync(new JobFilter(JobState.Skipped, Limit: int.MaxValue, ModelId: modelId), cancellationToken)
            .Where(j => j.Error == reason).ToListAsync(cancellationToken);
        var requeued = new List<Guid>();
        foreach (var job in skipped.OrderBy(j => j.CreatedAt))
            if (await jobs.RequeueAsync(job.Id, cancellationToken) == RequeueOutcome.Requeued) requeued.Add(job.Id);
        return requeued;
    }
}
