namespace MedNode.Core.Export;

/// <summary>A stored result instance of a job.</summary>
public sealed record StoredResult(ResultKind Kind, string SopClassUid, string SopInstanceUid, string StudyInstanceUid, string BlobKey);

/// <summary>Builds a job's outbox items for its destinations, per the format each rule gives it.</summary>
public static class OutboxItemFactory
{
    /// <param name="format">"SegSr", "Fallback" or "Both".</param>
    public static IEnumerable<OutboxItem> Create(Guid jobId, string destination, string format, bool allowFallback, IReadOnlyList<StoredResult> results, DateTimeOffset now)
    {
        var primary = results.Where(r => r.Kind is ResultKind.Segmentation or ResultKind.StructuredReport);
        var fallback = results.Where(r => r.Kind is ResultKind.SecondaryCapture or ResultKind.KeyObjectSelection);
        IEnumerable<(StoredResult R, bool Standby)> chosen = format switch
        {
            "Fallback" => fallback.Select(r => (r, false)),
            "Both" => results.Select(r => (r, false)),
            _ => primary.Select(r => (r, false)).Concat(allowFallback ? fallback.Select(r => (r, true)) : []),
        };
        foreach (var (r, standby) in chosen)
        {
            yield return new OutboxItem
            {
                Id = Guid.NewGuid(),
                JobId = jobId,
                Destination = destination,
                Kind = r.Kind,
                SopClassUid = r.SopClassUid,
                SopInstanceUid = r.SopInstanceUid,
                StudyInstanceUid = r.StudyInstanceUid,
                BlobKey = r.BlobKey,
                State = standby ? OutboxState.Standby : OutboxState.Pending,
                NextAttemptAt = now,
            };
        }
    }
}
