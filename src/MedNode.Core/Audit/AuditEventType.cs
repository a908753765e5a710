namespace MedNode.Core.Audit;

/// <summary>
/// An audit event's identity: the Event ID code of DICOM PS3.15 §A.5.3 (scheme DCM, from CID 400 "Audit Event ID"),
/// and, for MedNode's own "analysis performed" event, a code in MedNode's private scheme.
/// </summary>
public sealed record AuditEventType(string Code, string Scheme, string Meaning)
{
    /// <summary>PS3.15 §A.5.3.1 Application Activity (start and stop of the node).</summary>
    public static readonly AuditEventType ApplicationActivity = new("110100", "DCM", "Application Activity");

    /// <summary>PS3.15 §A.5.3.3 Begin Transferring DICOM Instances (the intent, before the sending starts).</summary>
    public static readonly AuditEventType BeginTransferringDicomInstances = new("110102", "DCM", "Begin Transferring DICOM Instances");

    /// <summary>PS3.15 §A.5.3.6 DICOM Instances Accessed (instances viewed, used, updated or deleted).</summary>
    public static readonly AuditEventType DicomInstancesAccessed = new("110103", "DCM", "DICOM Instances Accessed");

    /// <summary>PS3.15 §A.5.3.7 DICOM Instances Transferred (received or sent).</summary>
    public static readonly AuditEventType DicomInstancesTransferred = new("110104", "DCM", "DICOM Instances Transferred");

    /// <summary>PS3.15 §A.5.3.8 DICOM Study Deleted (a whole study and all its instances, in one action).</summary>
    public static readonly AuditEventType DicomStudyDeleted = new("110105", "DCM", "DICOM Study Deleted");

    /// <summary>PS3.15 §A.5.3.4 Data Export (data leaving the security domain: media, print, e-mail).</summary>
    public static readonly AuditEventType Export = new("110106", "DCM", "Export");

    /// <summary>PS3.15 §A.5.3.10 Query.</summary>
    public static readonly AuditEventType Query = new("110112", "DCM", "Query");

    /// <summary>PS3.15 §A.5.3.11 Security Alert (e.g. a rejected association).</summary>
    public static readonly AuditEventType SecurityAlert = new("110113", "DCM", "Security Alert");

    /// <summary>PS3.15 §A.5.3.12 User Authentication (login success or failure).</summary>
    public static readonly AuditEventType UserAuthentication = new("110114", "DCM", "User Authentication");

    /// <summary>Not in PS3.15: an analysis ran. Its details carry the model id, version and SHA-256.</summary>
    public static readonly AuditEventType AnalysisPerformed = new("ANALYSIS", "99MEDNODE", "Analysis Performed");

    public static IReadOnlyList<AuditEventType> All { get; } =
        [ApplicationActivity, BeginTransferringDicomInstances, DicomInstancesAccessed, DicomInstancesTransferred, DicomStudyDeleted, Export, Query, SecurityAlert, UserAuthentication, AnalysisPerformed];

    public static AuditEventType? Find(string code) => All.FirstOrDefault(t => t.Code == code);
}

/// <summary>Event Action Code (PS3.15 §A.5.1, RFC 3881 §5.1.2): Create, Read, Update, Delete, Execute.</summary>
public enum AuditAction { C, R, U, D, E }

/// <summary>Event Outcome Indicator (PS3.15 §A.5.1, RFC 3881 §5.1.4).</summary>
public enum AuditOutcome
{
    Success = 0,
    MinorFailure = 4,
    SeriousFailure = 8,
    MajorFailure = 12,
}
