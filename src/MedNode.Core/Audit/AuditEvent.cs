namespace MedNode.Core.Audit;

/// <summary>An Active Participant (PS3.15 §A.5.2): who or what took part, and whether it requested the event.</summary>
/// <param name="UserId">An AE title, a user name, or a process id.</param>
/// <param name="NetworkAddress">An IP address or host name.</param>
/// <param name="Role">A role such as "Source", "Destination", "Application" (DCM 1101xx role id codes, by meaning).</param>
public sealed record AuditParticipant(string UserId, string? NetworkAddress, bool IsRequestor, string? Role = null);

/// <summary>
/// One audit event, as the application reports it. The trail adds the sequence number, the time (unless the event
/// carries <paramref name="OccurredAt"/>, as events queued through <see cref="IAuditSink"/> do) and the hash chain.
/// Patient identifiers may be stored hashed (<see cref="AuditOptions.HashPatientIdentifiers"/>).
/// </summary>
/// <param name="OccurredAt">EventDateTime (PS3.15 §A.5.1) when the event happened before it was appended; null: the append time.</param>
/// <param name="Query">For a Query event only: the query itself, for the ParticipantObjectQuery of the PS3.15 XML export
/// (§A.5.3.10). Not stored in the trail row nor covered by its hash (the row keeps the keys without values).</param>
public sealed record AuditEvent(
    AuditEventType Type,
    AuditAction Action,
    AuditOutcome Outcome,
    IReadOnlyList<AuditParticipant> Participants,
    string? StudyInstanceUid = null,
    string? PatientId = null,
    string? Detail = null,
    DateTimeOffset? OccurredAt = null,
    AuditQueryPayload? Query = null);

/// <summary>
/// The query of a Query event as PS3.15 §A.5.3.10 wants it in ParticipantObjectQuery: the C-FIND identifier encoded in
/// <paramref name="TransferSyntaxUid"/> (also sent as the ParticipantObjectDetail "TransferSyntax"), or for a non-DICOM
/// query such as QIDO-RS the request's query string in UTF-8 (<paramref name="TransferSyntaxUid"/> null).
/// </summary>
public sealed record AuditQueryPayload(byte[] Query, string? TransferSyntaxUid);

public sealed class AuditOptions
{
    /// <summary>Store a SHA-256 of the Patient ID instead of the value.</summary>
    public bool HashPatientIdentifiers { get; set; }
}
