using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;

namespace MedNode.Core.Audit.Export;

/// <summary>Who reports the events: AuditSourceIdentification (PS3.15 §A.5.1, §A.5.2).</summary>
/// <param name="AuditSourceId">The node's identity, e.g. its AE title or host name.</param>
/// <param name="EnterpriseSiteId">Optional AuditEnterpriseSiteID (e.g. the hospital).</param>
public sealed record AuditSource(string AuditSourceId, string? EnterpriseSiteId = null);

/// <summary>
/// Renders one row of the audit trail as a DICOM Audit Message (PS3.15 §A.5.1, the RFC 3881-derived schema) for an Audit
/// Record Repository. The message is built from the row (the authoritative, hash-chained record; its Patient ID is
/// already hashed when <see cref="AuditOptions.HashPatientIdentifiers"/> is set) and, for a Query, from the query
/// payload the event carried (§A.5.3.10). The XML is one line: line breaks inside values are written as character references.
/// </summary>
/// <remarks>
/// Mapping (PS3.15 §A.5.3): EventID from the row's code and scheme, EventTypeCode where §A.5.3 defines one (Application
/// Start/Stop 110120/110121; the alert type of a Security Alert, CID 403; Login 110122 for User Authentication),
/// EventOutcomeDescription from the row's detail when the outcome is not success. Active participants from the row,
/// with RoleIDCode Source 110153, Destination 110152, Application 110150 (CID 402), and for an Export (§A.5.3.4) Destination
/// Media 110154 with MediaIdentifier/MediaType 110037 URI (CID 405) for a download. Participant objects: the study
/// (type 2, role 3, ID type 110180, with SOPClass UID and NumberOfInstances per SOP class), the patient (type 1, role 1,
/// ID type 2 "Patient Number"), the query (type 2, role 3 and ID type 110181 SOP Class UID for C-FIND; role 24 and ID type "12" URI for QIDO-RS) and
/// for "analysis performed" the model (type 2, role 4 Resource, ID type MODEL in scheme 99MEDNODE, with its SHA-256 and
/// version as ParticipantObjectDetail). The schema text of PS3.15 §A.5.1.1 makes a ParticipantObjectName or a
/// ParticipantObjectQuery required; MedNode has no name for a study or a patient (it never records patient names), so
/// those carry an empty ParticipantObjectName.
/// </remarks>
public static partial class AuditMessageXml
{
    /// <summary>The XML of one row, without an XML declaration.</summary>
    /// <param name="hideQueryValues">Put the keys-only description in ParticipantObjectQuery instead of the query itself
    /// (set with <see cref="AuditOptions.HashPatientIdentifiers"/>, so that no typed-in patient identifier leaves the node).</param>
    public static string Write(AuditRecord row, AuditSource source, AuditQueryPayload? query = null, bool hideQueryValues = false)
    {
        var sb = new StringBuilder(1024);
        var settings = new XmlWriterSettings
        {
            OmitXmlDeclaration = true,
            Indent = false,
            NewLineHandling = NewLineHandling.Entitize,
            Encoding = Encoding.UTF8,
        };
        using (var w = XmlWriter.Create(sb, settings))
        {
            w.WriteStartElement("AuditMessage");
            WriteEvent(w, row);
            WriteParticipants(w, row, source);
            w.WriteStartElement("AuditSourceIdentification");
            if (!string.IsNullOrEmpty(source.EnterpriseSiteId)) w.WriteAttributeString("AuditEnterpriseSiteID", source.EnterpriseSiteId);
            w.WriteAttributeString("AuditSourceID", source.AuditSourceId);
            w.WriteStartElement("AuditSourceTypeCode");
            w.WriteAttributeString("csd-code", "4"); // Application Server process tier (PS3.15 §A.5.1.2.1)
            w.WriteEndElement();
            w.WriteEndElement();
            WriteObjects(w, row, query, hideQueryValues);
            w.WriteEndElement();
        }
        return sb.ToString();
    }

    private static void WriteEvent(XmlWriter w, AuditRecord row)
    {
        w.WriteStartElement("EventIdentification");
        w.WriteAttributeString("EventActionCode", row.Action);
        w.WriteAttributeString("EventDateTime", row.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteAttributeString("EventOutcomeIndicator", row.Outcome.ToString(CultureInfo.InvariantCulture));
        Coded(w, "EventID", row.EventCode, row.EventScheme, AuditEventType.Find(row.EventCode)?.Meaning ?? row.EventCode);
        if (EventTypeCode(row) is { } type) Coded(w, "EventTypeCode", type.Code, "DCM", type.Meaning);
        if (row.Outcome != 0 && !string.IsNullOrEmpty(row.Detail)) w.WriteElementString("EventOutcomeDescription", row.Detail);
        w.WriteEndElement();
    }

    /// <summary>The Event Type Code of §A.5.3.1 (Application Activity), §A.5.3.11 (CID 403, named in the row's detail as "(DCM 1101xx)") and §A.5.3.12.</summary>
    private static (string Code, string Meaning)? EventTypeCode(AuditRecord row)
    {
        var detail = row.Detail ?? "";
        if (row.EventCode == AuditEventType.ApplicationActivity.Code)
        {
            if (detail.Contains("started", StringComparison.Ordinal)) return ("110120", "Application Start");
            if (detail.Contains("stopped", StringComparison.Ordinal)) return ("110121", "Application Stop");
            return null;
        }
        if (row.EventCode == AuditEventType.UserAuthentication.Code) return ("110122", "Login");
        if (row.EventCode == AuditEventType.SecurityAlert.Code && AlertCode().Match(detail) is { Success: true } m)
        {
            return m.Groups[1].Value switch
            {
                "110126" => ("110126", "Node Authentication"),
                "110132" => ("110132", "Use of Restricted Function"),
                "110133" => ("110133", "Audit Recording Stopped"),
                _ => null,
            };
        }
        return null;
    }

    private static void WriteParticipants(XmlWriter w, AuditRecord row, AuditSource source)
    {
        var lines = row.Participants.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) lines = [$"{source.AuditSourceId}||-|Application"]; // the schema needs one
        foreach (var line in lines)
        {
            var f = line.Split('|');
            string user = f[0], address = f.Length > 1 ? f[1] : "", role = f.Length > 3 ? f[3] : "";
            w.WriteStartElement("ActiveParticipant");
            w.WriteAttributeString("UserID", user.Length == 0 ? "unknown" : user);
            w.WriteAttributeString("UserIsRequestor", f.Length > 2 && f[2] == "R" ? "true" : "false");
            if (address.Length > 0)
            {
                w.WriteAttributeString("NetworkAccessPointID", address);
                w.WriteAttributeString("NetworkAccessPointTypeCode", IPAddress.TryParse(address, out _) ? "2" : "1");
            }
            switch (role)
            {
                case "Source": Coded(w, "RoleIDCode", "110153", "DCM", "Source Role ID"); break;
                case "Destination": Coded(w, "RoleIDCode", "110152", "DCM", "Destination Role ID"); break;
                case "Application": Coded(w, "RoleIDCode", "110150", "DCM", "Application"); break;
                case "DestinationMedia":
                    // §A.5.3.4 (Export): the media the data went to; a download is media type URI (CID 405).
                    Coded(w, "RoleIDCode", "110154", "DCM", "Destination Media");
                    w.WriteStartElement("MediaIdentifier");
                    Coded(w, "MediaType", "110037", "DCM", "URI");
                    w.WriteEndElement();
                    break;
            }
            w.WriteEndElement();
        }
    }

    private static void WriteObjects(XmlWriter w, AuditRecord row, AuditQueryPayload? query, bool hideQueryValues)
    {
        var detail = row.Detail ?? "";
        if (row.EventCode == AuditEventType.Query.Code) WriteQuery(w, detail, query, hideQueryValues);
        if (row.EventCode == AuditEventType.AnalysisPerformed.Code && ModelDetail().Match(detail) is { Success: true } model)
        {
            StartObject(w, model.Groups["model"].Value, "2", "4");
            Coded(w, "ParticipantObjectIDTypeCode", "MODEL", AuditEventType.AnalysisPerformed.Scheme, "Analysis Model");
            w.WriteElementString("ParticipantObjectName", model.Groups["model"].Value);
            ValuePair(w, "SHA-256", model.Groups["sha"].Value);
            ValuePair(w, "Version", model.Groups["version"].Value);
            w.WriteEndElement();
        }
        if (row.StudyInstanceUid is { Length: > 0 } study)
        {
            StartObject(w, study, "2", "3");
            Coded(w, "ParticipantObjectIDTypeCode", "110180", "DCM", "Study Instance UID");
            w.WriteElementString("ParticipantObjectName", "");
            var classes = SopClass().Matches(detail);
            if (classes.Count > 0)
            {
                w.WriteStartElement("ParticipantObjectDescription");
                foreach (Match c in classes)
                {
                    w.WriteStartElement("SOPClass");
                    w.WriteAttributeString("UID", c.Groups[1].Value);
                    w.WriteAttributeString("NumberOfInstances", c.Groups[2].Value);
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        if (row.PatientId is { Length: > 0 } patient)
        {
            StartObject(w, patient, "1", "1");
            Coded(w, "ParticipantObjectIDTypeCode", "2", "RFC-3881", "Patient Number");
            w.WriteElementString("ParticipantObjectName", "");
            w.WriteEndElement();
        }
    }

    /// <summary>§A.5.3.10: the SOP class of the query model (or the QIDO-RS route), with the query in base64.</summary>
    private static void WriteQuery(XmlWriter w, string detail, AuditQueryPayload? query, bool hideQueryValues)
    {
        var head = detail.Split("; ", 2)[0];
        var keysAt = detail.IndexOf("): ", StringComparison.Ordinal);
        var keys = keysAt < 0 ? "" : detail[(keysAt + 3)..];
        bool cfind = head.StartsWith("C-FIND SOP Class ", StringComparison.Ordinal);
        // §A.5.3.10 "SOP Queried": system object, role Report; a QIDO-RS query (Note 2 there) as role Query.
        StartObject(w, cfind ? head["C-FIND SOP Class ".Length..] : head, "2", cfind ? "3" : "24");
        if (cfind) Coded(w, "ParticipantObjectIDTypeCode", "110181", "DCM", "SOP Class UID");
        else Coded(w, "ParticipantObjectIDTypeCode", "12", "RFC-3881", "URI");
        byte[] body = query != null && !hideQueryValues ? query.Query : Encoding.UTF8.GetBytes(keys);
        w.WriteStartElement("ParticipantObjectQuery");
        w.WriteBase64(body, 0, body.Length);
        w.WriteEndElement();
        if (query is { TransferSyntaxUid: { } ts } && !hideQueryValues) ValuePair(w, "TransferSyntax", ts);
        else if (!cfind || hideQueryValues) ValuePair(w, "QueryEncoding", "UTF-8");
        w.WriteEndElement();
    }

    private static void StartObject(XmlWriter w, string id, string typeCode, string role)
    {
        w.WriteStartElement("ParticipantObjectIdentification");
        w.WriteAttributeString("ParticipantObjectID", id);
        w.WriteAttributeString("ParticipantObjectTypeCode", typeCode);
        w.WriteAttributeString("ParticipantObjectTypeCodeRole", role);
    }

    private static void ValuePair(XmlWriter w, string type, string value)
    {
        w.WriteStartElement("ParticipantObjectDetail");
        w.WriteAttributeString("type", type);
        w.WriteAttributeString("value", Convert.ToBase64String(Encoding.UTF8.GetBytes(value)));
        w.WriteEndElement();
    }

    private static void Coded(XmlWriter w, string element, string code, string scheme, string meaning)
    {
        w.WriteStartElement(element);
        w.WriteAttributeString("csd-code", code);
        w.WriteAttributeString("codeSystemName", scheme);
        w.WriteAttributeString("originalText", meaning);
        w.WriteEndElement();
    }

    [GeneratedRegex(@"ContainsSOPClass ([0-9.]+) NumberOfInstances ([0-9]+)")]
    private static partial Regex SopClass();

    [GeneratedRegex(@"\((?:DCM )?(1101[0-9]{2})\)")]
    private static partial Regex AlertCode();

    [GeneratedRegex(@"^model=(?<model>[^;]*); sha256=(?<sha>[^;]*); version=(?<version>[^;]*)")]
    private static partial Regex ModelDetail();
}
