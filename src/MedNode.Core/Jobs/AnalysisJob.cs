using System.Security.Cryptography;
using System.Text;

namespace MedNode.Core.Jobs;

/// <summary>Job states. Succeeded, Failed, Skipped and Superseded are final.</summary>
public enum JobState { Queued, Running, Succeeded, Failed, Skipped, Superseded }

/// <summary>What a completed unit asks for: analyse these inputs with this model and push to these destinations.</summary>
public sealed record JobRequest(
    string UnitKey,
    int Version,
    string StudyInstanceUid,
    string? SeriesInstanceUid,
    IReadOnlyList<string> InputSopInstanceUids,
    string ModelId,
    string ModelSha256,
    string? RuleName,
    IReadOnlyList<JobDestination> Destinations)
{
    /// <summary>
    /// The idempotency key: SHA-256 over the sorted input SOP Instance UIDs and the model's hash. The same inputs and
    /// model never produce two jobs, however often the unit completes.
    /// </summary>
    public string IdempotencyKey => ComputeKey(InputSopInstanceUids, ModelSha256);

    public static string ComputeKey(IEnumerable<string> sopInstanceUids, string modelSha256)
    {
        var sb = new StringBuilder();
        foreach (var uid in sopInstanceUids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)) sb.Append(uid).Append('\n');
        sb.Append("model:").Append(modelSha256.ToLowerInvariant());
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(sb.ToString())));
    }
}

/// <summary>A destination of a job's results and the form they take there ("SegSr", "Fallback" or "Both").</summary>
public sealed record JobDestination(string Name, string Format);

/// <summary>A durable analysis job (a row of the jobs table).</summary>
public sealed record AnalysisJob
{
    public required Guid Id { get; init; }
    public required string IdempotencyKey { get; init; }
    public required string UnitKey { get; init; }
    public required int Version { get; init; }
    public required string StudyInstanceUid { get; init; }
    public string? SeriesInstanceUid { get; init; }
    public required IReadOnlyList<string> InputSopInstanceUids { get; init; }
    public required string ModelId { get; init; }
    public required string ModelSha256 { get; init; }
    public string? RuleName { get; init; }
    public IReadOnlyList<JobDestination> Destinations { get; init; } = [];
    public JobState State { get; init; }
    public int Attempts { get; init; }
    public string? Error { get; init; }
    public string? LeaseOwner { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Milliseconds per stage: assemble, infer, measure, encode, export.</summary>
    public IReadOnlyDictionary<string, double> StageTimings { get; init; } = new Dictionary<string, double>();

    /// <summary>The results as JSON (SEG/SR UIDs, measurements), when succeeded.</summary>
    public string? ResultJson { get; init; }

    public bool IsFinal => State is JobState.Succeeded or JobState.Failed or JobState.Skipped or JobState.Superseded;

    public static AnalysisJob FromRequest(JobRequest r, Guid id, DateTimeOffset now) => new()
    {
        Id = id,
        IdempotencyKey = r.IdempotencyKey,
        UnitKey = r.UnitKey,
        Version = r.Version,
        StudyInstanceUid = r.StudyInstanceUid,
        SeriesInstanceUid = r.SeriesInstanceUid,
        InputSopInstanceUids = r.InputSopInstanceUids,
        ModelId = r.ModelId,
        ModelSha256 = r.ModelSha256,
        RuleName = r.RuleName,
        Destinations = r.Destinations,
        State = JobState.Queued,
        CreatedAt = now,
        UpdatedAt = now,
    };
}

/// <summary>
/// Filters for listing jobs; all optional. <see cref="Modality"/> (0008,0060) keeps the jobs whose unit (its series, or
/// its study when grouped by study) holds received instances of that modality; the job row does not carry it, so the
/// queue answers it from the index (<see cref="Matches"/> does not look at it). <see cref="ModelId"/> keeps the jobs of
/// one model (compared exactly).
/// </summary>
public sealed record JobFilter(JobState? State = null, string? StudyInstanceUid = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 100, string? Modality = null, string? ModelId = null)
{
    /// <summary>Whether the job passes every filter but <see cref="Modality"/>.</summary>
    public bool Matches(AnalysisJob j) =>
        (State == null || j.State == State) && (StudyInstanceUid == null || j.StudyInstanceUid == StudyInstanceUid) &&
        (ModelId == null || string.Equals(j.ModelId, ModelId, StringComparison.Ordinal)) &&
        (From == null || j.CreatedAt >= From) && (To == null || j.CreatedAt <= To);
}
