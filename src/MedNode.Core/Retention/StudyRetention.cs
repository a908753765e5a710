using MedNode.Core.Index;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Retention;

/// <summary>The <c>MedNode:Retention</c> settings: how long a study is kept after its last instance arrived.</summary>
public sealed class RetentionOptions
{
    public const string Section = "MedNode:Retention";

    /// <summary>A study whose newest instance was received longer ago than this is deleted; null (the default): kept for ever.</summary>
    public TimeSpan? MaxStudyAge { get; set; }

    /// <summary>How often the node looks for such studies.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Studies deleted per look at most (the rest wait for the next).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>The problems, each naming its setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxStudyAge is { } age && age <= TimeSpan.Zero) errors.Add($"{Section}:MaxStudyAge must be positive (leave it out to keep studies for ever).");
        if (Interval <= TimeSpan.Zero) errors.Add($"{Section}:Interval must be positive.");
        if (BatchSize < 1) errors.Add($"{Section}:BatchSize must be at least 1.");
        return errors;
    }
}

/// <summary>
/// Retention by age: every <see cref="RetentionOptions.Interval"/> (on <see cref="TimeProvider"/>) deletes the studies whose
/// every instance was received more than <see cref="RetentionOptions.MaxStudyAge"/> ago, through
/// <see cref="StudyDeletionService"/>, which writes DICOM Study Deleted (PS3.15 §A.5.3.8) naming MedNode's retention as the
/// deleting process.
/// </summary>
public sealed class StudyRetention(IStudyAges ages, StudyDeletionService deletion, RetentionOptions options, TimeProvider time, ILogger<StudyRetention>? logger = null)
{
    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>One look: deletes the studies past their age (at most a batch); returns them.</summary>
    public async Task<IReadOnlyList<StudyDeletion>> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (options.MaxStudyAge is not { } age) return [];
        var due = await ages.ListStudiesReceivedBeforeAsync(time.GetUtcNow() - age, options.BatchSize, cancellationToken);
        var deleted = new List<StudyDeletion>();
        foreach (var study in due) deleted.Add(await deletion.DeleteStudyAsync(study, cancellationToken));
        if (deleted.Count > 0) _log.LogInformation("Retention deleted {Studies} study(ies) older than {MaxStudyAge}", deleted.Count, age);
        return deleted;
    }

    /// <summary>Looks every interval until cancelled; a failed look is logged and the next one comes.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.MaxStudyAge == null) return;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Interval, time, cancellationToken);
                await RunOnceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Retention failed; trying again after {Interval}", options.Interval);
            }
        }
    }
}
