using System.Globalization;
using MedNode.Core.Audit;
using MedNode.Core.Index;
using MedNode.Core.Query;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.DicomWeb;

/// <summary>
/// The audit events of the DICOMweb services, posted to <see cref="IAuditSink"/> without waiting (nothing is posted when no
/// sink is registered): QIDO-RS searches as Query (PS3.15 §A.5.3.10, Note 2 there: a non-DICOM query), WADO-RS retrieves
/// of studies, series and instances as Begin Transferring DICOM Instances (§A.5.3.3) before the first part and DICOM
/// Instances Transferred (§A.5.3.7) after the last, WADO-RS metadata reads as DICOM
/// Instances Accessed, action Read (§A.5.3.6). The requestor is the authenticated user (else "anonymous") at the client's
/// address; the node is named by the DICOMweb base URL. Transactions are named by their route pattern, which holds no UID.
/// </summary>
internal static class DicomWebAudit
{
    public static void Query(HttpContext http, DicomQuery? query, string? study, AuditOutcome outcome, string? failure)
    {
        if (http.RequestServices.GetService<IAuditSink>() is not { } sink) return;
        // Without a parsed query only the parameter names are known; their values are never recorded.
        var keys = query != null ? DicomAuditEvents.DescribeKeys(query) : "parameters " + string.Join(',', http.Request.Query.Keys);
        sink.Post(DicomAuditEvents.Query(Requestor(http), Node(http), "QIDO-RS " + Route(http), keys, outcome, study, failure,
            new AuditQueryPayload(System.Text.Encoding.UTF8.GetBytes(http.Request.QueryString.Value?.TrimStart('?') ?? ""), null)));
    }

    public static void BeginTransferring(HttpContext http, IReadOnlyList<InstanceRecord> instances)
    {
        if (http.RequestServices.GetService<IAuditSink>() is not { } sink) return;
        foreach (var study in AuditStudy.From(instances))
            sink.Post(DicomAuditEvents.BeginTransferring(Node(http), Requestor(http), [], study, "WADO-RS " + Route(http)));
    }

    /// <summary>The retrieve's last part has been written: DICOM Instances Transferred (§A.5.3.7, action R). An aborted retrieve leaves only its Begin.</summary>
    public static void Transferred(HttpContext http, IReadOnlyList<InstanceRecord> instances)
    {
        if (http.RequestServices.GetService<IAuditSink>() is not { } sink) return;
        foreach (var study in AuditStudy.From(instances))
            sink.Post(DicomAuditEvents.InstancesTransferred(Node(http), Requestor(http), [], study, AuditOutcome.Success, "WADO-RS " + Route(http)));
    }

    public static void InstancesRead(HttpContext http, IReadOnlyList<InstanceRecord> instances)
    {
        if (http.RequestServices.GetService<IAuditSink>() is not { } sink) return;
        foreach (var study in AuditStudy.From(instances))
            sink.Post(DicomAuditEvents.InstancesAccessed(AuditAction.R, AuditOutcome.Success, Requestor(http), study, "WADO-RS " + Route(http)));
    }

    /// <summary>
    /// Pixel and bulk data reads (WADO-RS frames, rendered, thumbnail, bulkdata) as DICOM Instances Accessed, action Read
    /// (§A.5.3.6). A viewer asks for these once per frame, so at most one event per requestor, client address, study and route
    /// is posted in <see cref="DicomWebAccessCoalescer.Window"/>; the event says so. Without a coalescer registered every read is posted.
    /// </summary>
    public static void InstancesUsed(HttpContext http, IReadOnlyList<InstanceRecord> instances)
    {
        if (http.RequestServices.GetService<IAuditSink>() is not { } sink) return;
        var requestor = Requestor(http);
        var route = Route(http);
        var coalescer = http.RequestServices.GetService<DicomWebAccessCoalescer>();
        foreach (var study in AuditStudy.From(instances))
        {
            if (coalescer != null && !coalescer.Admit($"{requestor.UserId}|{requestor.NetworkAddress}|{study.StudyInstanceUid}|{route}")) continue;
            var how = coalescer == null ? "WADO-RS " + route
                : string.Create(CultureInfo.InvariantCulture, $"WADO-RS {route} (first read in {coalescer.Window.TotalSeconds:0} s; later reads of this study on this route by this requestor in that window are not recorded)");
            sink.Post(DicomAuditEvents.InstancesAccessed(AuditAction.R, AuditOutcome.Success, requestor, study, how));
        }
    }

    private static AuditParticipant Requestor(HttpContext http) =>
        new(SecurityAuditor.UserName(http) ?? "anonymous", SecurityAuditor.ClientAddress(http), true);

    private static AuditParticipant Node(HttpContext http) => new(DicomWebEndpoints.BaseUrl(http.Request), null, false);

    private static string Route(HttpContext http) => (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Method;
}

/// <summary>
/// Keeps the per-frame reads of a viewer from flooding the audit trail: <see cref="Admit"/> is true for the first read of a key
/// in <see cref="Window"/> (TimeProvider time), false for the rest. At most <see cref="MaxKeys"/> keys are tracked; when full,
/// expired keys are dropped, and a key that still finds no room is admitted (recorded rather than lost).
/// </summary>
public sealed class DicomWebAccessCoalescer(TimeProvider time)
{
    public const int MaxKeys = 10_000;

    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(60);

    public bool Admit(string key)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_seen.TryGetValue(key, out var first) && now - first < Window) return false;
            if (_seen.Count >= MaxKeys)
            {
                foreach (var stale in _seen.Where(kv => now - kv.Value >= Window).Select(kv => kv.Key).ToList()) _seen.Remove(stale);
            }
            if (_seen.Count < MaxKeys || _seen.ContainsKey(key)) _seen[key] = now;
            return true;
        }
    }
}
