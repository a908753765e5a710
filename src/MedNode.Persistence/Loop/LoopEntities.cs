namespace MedNode.Persistence.Loop;

/// <summary>A row of the Job table (the durable analysis queue). Times are Unix milliseconds on both providers.</summary>
public sealed class JobEntity
{
    public Guid Id { get; set; }
    public string IdempotencyKey { get; set; } = "";
    public string UnitKey { get; set; } = "";
    public int Version { get; set; }
    public string StudyInstanceUid { get; set; } = "";
    public string? SeriesInstanceUid { get; set; }
    /// <summary>JSON array of SOP Instance UIDs.</summary>
    public string Inputs { get; set; } = "[]";
    public string ModelId { get; set; } = "";
    public string ModelSha256 { get; set; } = "";
    public string? RuleName { get; set; }
    /// <summary>JSON array of {name, format}.</summary>
    public string Destinations { get; set; } = "[]";
    public int State { get; set; }
    public int Attempts { get; set; }
    public string? Error { get; set; }
    public string? LeaseOwner { get; set; }
    public long? LeaseExpiresAtMs { get; set; }
    public long CreatedAtMs { get; set; }
    public long UpdatedAtMs { get; set; }
    /// <summary>JSON object stage → milliseconds.</summary>
    public string StageTimings { get; set; } = "{}";
    public string? ResultJson { get; set; }
}

/// <summary>A row of the Outbox table: one result instance for one destination.</summary>
public sealed class OutboxEntity
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }
    public string Destination { get; set; } = "";
    public int Kind { get; set; }
    public string SopClassUid { get; set; } = "";
    public string SopInstanceUid { get; set; } = "";
    public string StudyInstanceUid { get; set; } = "";
    public string BlobKey { get; set; } = "";
    public int State { get; set; }
    public int Attempts { get; set; }
    public long NextAttemptAtMs { get; set; }
    public string? LastError { get; set; }
    public long? DeliveredAtMs { get; set; }

    /// <summary>A <c>CommitmentState</c>; null when storage commitment was not requested.</summary>
    public int? Commitment { get; set; }
    public string? CommitmentTransactionUid { get; set; }
    public long? CommitmentRequestedAtMs { get; set; }
    public int? CommitmentFailureReason { get; set; }
}

/// <summary>A row of the append-only Audit table (hash-chained; UPDATE and DELETE are refused by triggers).</summary>
public sealed class AuditEntity
{
    public long Sequence { get; set; }
    public long TimeUtcTicks { get; set; }
    public string EventCode { get; set; } = "";
    public string EventScheme { get; set; } = "";
    public string Action { get; set; } = "";
    public int Outcome { get; set; }
    public string Participants { get; set; } = "";
    public string? StudyInstanceUid { get; set; }
    public string? PatientId { get; set; }
    public string? Detail { get; set; }
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";
}
