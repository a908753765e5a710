using System.Globalization;
using System.Text;
using MedNode.Core.Index;
using MedNode.Core.Query;
using MedNode.Dicom;

namespace MedNode.Core.Audit;

/// <summary>One study of a transfer or an access: the participant object of PS3.15 §A.5.3.3 and §A.5.3.6 (Study Instance UID,
/// with ContainsSOPClass, one entry per SOP Class UID and its NumberOfInstances, PS3.15 §A.5.2).</summary>
public sealed record AuditStudy(string StudyInstanceUid, string? PatientId, IReadOnlyList<(string SopClassUid, int Instances)> SopClasses)
{
    public int Instances => SopClasses.Sum(s => s.Instances);

    /// <summary>The instances grouped by study, in the order the studies first appear.</summary>
    public static IReadOnlyList<AuditStudy> From(IEnumerable<InstanceRecord> instances) =>
        [.. instances.GroupBy(i => i.StudyInstanceUid, StringComparer.Ordinal).Select(g => new AuditStudy(g.Key,
            g.Select(i => i.PatientId).FirstOrDefault(p => p.Length > 0),
            [.. g.GroupBy(i => i.SopClassUid, StringComparer.Ordinal).Select(c => (c.Key, c.Count()))]))];

    /// <summary>"ContainsSOPClass 1.2.840.10008.5.1.4.1.1.2 NumberOfInstances 3; …".</summary>
    public string Describe() =>
        string.Join("; ", SopClasses.Select(s => string.Create(CultureInfo.InvariantCulture, $"ContainsSOPClass {s.SopClassUid} NumberOfInstances {s.Instances}")));
}

/// <summary>
/// Builds the DICOM-specific audit events of PS3.15 §A.5.3 that the query and retrieve paths emit. The detail carries what
/// the trail has no column for (the participant object's SOP classes, counts and query); it never carries a query's values.
/// </summary>
public static class DicomAuditEvents
{
    /// <summary>
    /// Query (PS3.15 §A.5.3.10, EV 110112, action E): the requestor has the Source role, the node the Destination role.
    /// The participant object is the SOP class of the query model, or for a non-DICOM query such as QIDO-RS the
    /// transaction (Note 2 there). PS3.15 puts the whole query in ParticipantObjectQuery; MedNode records the query's
    /// structure (level, the matching keys' tags and matching kinds, the return keys' tags) and never the values, so
    /// the trail holds no patient name, birth date or ID typed into a query. A query scoped to one study by its path
    /// (QIDO-RS <c>/studies/{study}/…</c>) names that study.
    /// </summary>
    /// <param name="query">The query with its values, for the PS3.15 XML export only (<see cref="AuditEvent.Query"/>); never in the trail.</param>
    public static AuditEvent Query(AuditParticipant requestor, AuditParticipant responder, string queryObject, string keys, AuditOutcome outcome,
        string? studyInstanceUid = null, string? failure = null, AuditQueryPayload? query = null) =>
        new(AuditEventType.Query, AuditAction.E, outcome, [requestor with { Role = "Source" }, responder with { Role = "Destination" }], studyInstanceUid,
            Detail: $"{queryObject}; ParticipantObjectQuery (keys only, values not recorded): {keys}" + (failure == null ? "" : "; failed: " + failure),
            Query: query);

    /// <summary>A C-FIND identifier as §A.5.3.10 wants it: encoded in Explicit VR Little Endian, with that transfer syntax named.</summary>
    public static AuditQueryPayload QueryPayload(DicomDataset identifier)
    {
        using var ms = new MemoryStream();
        DicomFileWriter.WriteDataset(ms, identifier, DicomTransferSyntax.ExplicitVRLittleEndian);
        return new AuditQueryPayload(ms.ToArray(), DicomTransferSyntax.ExplicitVRLittleEndian.Uid);
    }

    /// <summary>
    /// Begin Transferring DICOM Instances (PS3.15 §A.5.3.3, EV 110102, action E), one event per study (the message holds one
    /// patient): the sending process (Source), the receiving one (Destination), and other known participants such as the
    /// C-MOVE requestor.
    /// </summary>
    public static AuditEvent BeginTransferring(AuditParticipant source, AuditParticipant destination, IReadOnlyList<AuditParticipant> others, AuditStudy study, string how) =>
        new(AuditEventType.BeginTransferringDicomInstances, AuditAction.E, AuditOutcome.Success,
            [source with { Role = "Source" }, destination with { Role = "Destination" }, .. others], study.StudyInstanceUid, study.PatientId,
            string.Create(CultureInfo.InvariantCulture, $"{how}: {study.Instances} instance(s) to send; {study.Describe()}"));

    /// <summary>
    /// DICOM Instances Transferred (PS3.15 §A.5.3.7, EV 110104) by the sender, action R (the sender does not know whether the
    /// receiver held them before), after a transfer that a Begin Transferring announced; same participants.
    /// </summary>
    public static AuditEvent InstancesTransferred(AuditParticipant source, AuditParticipant destination, IReadOnlyList<AuditParticipant> others, AuditStudy study,
        AuditOutcome outcome, string how) =>
        new(AuditEventType.DicomInstancesTransferred, AuditAction.R, outcome,
            [source with { Role = "Source" }, destination with { Role = "Destination" }, .. others], study.StudyInstanceUid, study.PatientId,
            string.Create(CultureInfo.InvariantCulture, $"{how}: {study.Instances} instance(s) sent; {study.Describe()}"));

    /// <summary>
    /// DICOM Instances Accessed (PS3.15 §A.5.3.6, EV 110103): instances viewed, used, updated or deleted; one event per study.
    /// The participant is the person or process accessing them.
    /// </summary>
    public static AuditEvent InstancesAccessed(AuditAction action, AuditOutcome outcome, AuditParticipant accessor, AuditStudy study, string how) =>
        new(AuditEventType.DicomInstancesAccessed, action, outcome, [accessor], study.StudyInstanceUid, study.PatientId,
            string.Create(CultureInfo.InvariantCulture, $"{how}: {study.Instances} instance(s); {study.Describe()}"));

    /// <summary>The keys of a C-FIND identifier, without values: a key with a value is a matching key, an empty one a return key (PS3.4 C.4.1.1.3).</summary>
    public static string DescribeKeys(DicomDataset identifier)
    {
        // Only the defined levels (PS3.4 C.6): anything else typed there is not copied into the trail.
        var level = identifier.GetString(DicomTags.QueryRetrieveLevel)?.Trim();
        if (level is not (null or "" or "PATIENT" or "STUDY" or "SERIES" or "IMAGE")) level = "(not a defined level)";
        var matching = new List<string>();
        var returned = new List<string>();
        foreach (var item in identifier)
        {
            if (item.Tag == DicomTags.QueryRetrieveLevel || item.Tag == DicomTags.SpecificCharacterSet) continue;
            bool hasValue = item switch
            {
                DicomElement e => e.Length > 0,
                DicomSequence s => s.Items.Count > 0,
                _ => false,
            };
            (hasValue ? matching : returned).Add(item.Tag.ToString());
        }
        return Keys(level, matching, returned);
    }

    /// <summary>The keys of a parsed query (QIDO-RS), without values: matching keys with their matching kind (PS3.4 C.2.2.2).</summary>
    public static string DescribeKeys(DicomQuery query)
    {
        var returned = query.ReturnKeys.Select(t => t.ToString()).ToList();
        if (query.IncludeAll) returned.Add("all");
        return Keys(query.Level switch { QueryLevel.Image => "IMAGE", _ => query.Level.ToString().ToUpperInvariant() },
            [.. query.MatchingKeys.Select(k => $"{k.Tag} {k.Kind}")], returned);
    }

    private static string Keys(string? level, IReadOnlyList<string> matching, IReadOnlyList<string> returned)
    {
        var sb = new StringBuilder();
        sb.Append("level ").Append(string.IsNullOrEmpty(level) ? "(none)" : level);
        sb.Append("; matching ").Append(matching.Count == 0 ? "(none)" : string.Join(',', matching));
        sb.Append("; returned ").Append(returned.Count == 0 ? "(none)" : string.Join(',', returned));
        return sb.ToString();
    }
}
