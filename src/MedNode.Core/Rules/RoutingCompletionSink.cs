using MedNode.Core.Completion;
using MedNode.Core.Jobs;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Rules;

/// <summary>The current rules (configuration plus API changes, which take effect without a restart).</summary>
public interface IRuleSource
{
    RuleEngine Current { get; }
}

/// <summary>A rule set that can be replaced at run time; a replacement that fails validation changes nothing.</summary>
public sealed class RuleSource(RuleEngine initial) : IRuleSource
{
    private volatile RuleEngine _current = initial;

    public RuleEngine Current => _current;

    public void Replace(RuleEngine engine) => _current = engine;
}

/// <summary>
/// Decides what happens to a completed unit: reads one of its instances, evaluates the routing rules, and queues an
/// analysis job when a rule says so. The job's idempotency key (inputs + model hash) makes a repeated completion of
/// the same inputs a no-op; a new version supersedes the unit's earlier job.
/// </summary>
public sealed class RoutingCompletionSink(IRuleSource rules, IJobQueue jobs, IAnalysisRunner models, IBlobStore blobs, ILogger<RoutingCompletionSink>? logger = null) : ICompletionSink
{
    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>The last decision per unit key (for the API and tests).</summary>
    public event Action<CompletedUnit, RuleDecision, EnqueueResult?>? Decided;

    public async Task OnCompletedAsync(CompletedUnit unit, CancellationToken cancellationToken)
    {
        var dataset = DicomFile.Open(blobs.GetCheckedPath(unit.Representative.BlobKey, unit.Representative.Sha256), new DicomReadOptions { StopAtPixelData = true }).Dataset;
        var decision = rules.Current.Evaluate(new RuleSubject(dataset, unit.CallingAeTitle, unit.CalledAeTitle, unit.SopInstanceUids.Count));
        EnqueueResult? enqueued = null;
        if (decision.Analyze && decision.Rule is { } rule)
        {
            var modelId = rule.Action.Model!;
            var sha = models.ModelSha256(modelId);
            if (sha == null)
            {
                _log.LogError("Rule {Rule} names model {Model}, which is not installed; the unit is not analysed", rule.Name, modelId);
            }
            else
            {
                enqueued = await jobs.EnqueueAsync(new JobRequest(unit.Key, unit.Version, unit.StudyInstanceUid, unit.SeriesInstanceUid, unit.SopInstanceUids, modelId, sha, rule.Name,
                    rule.Action.Destinations.Select(d => new JobDestination(d.Name, d.Format.ToString())).ToList()), cancellationToken);
                _log.LogInformation("Unit version {Version} matched rule {Rule}: job {JobId} {Created}", unit.Version, rule.Name, enqueued.Job.Id, enqueued.Created ? "queued" : "already exists");
            }
        }
        else
        {
            _log.LogInformation("Unit version {Version}: {Explanation}", unit.Version, decision.Explanation);
        }
        Decided?.Invoke(unit, decision, enqueued);
    }
}
