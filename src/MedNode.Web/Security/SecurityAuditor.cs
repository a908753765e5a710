using System.Globalization;
using MedNode.Core.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedNode.Web.Security;

/// <summary>
/// Writes refused web requests to the audit trail: a failed authentication as User Authentication (PS3.15 §A.5.3.12,
/// 110114) and a missing role as Security Alert (PS3.15 §A.5.3.11, 110113; alert type "Use of Restricted Function",
/// 110132, in the detail). To keep a flood from flooding the trail, at most one record per client and event type is
/// written in <see cref="SecurityOptions.AuditWindowSeconds"/>; the next record says how many were left out. The detail
/// names the route pattern (no UIDs from the path) and the reason, never the credential.
/// </summary>
public sealed partial class SecurityAuditor(IServiceProvider services, SecurityOptions options, TimeProvider time, ILogger<SecurityAuditor> log)
{
    private const int MaxTrackedClients = 10_000;

    private readonly Dictionary<(string Code, string Client), Window> _windows = [];
    private readonly Lock _gate = new();

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public int Suppressed;
    }

    public Task AuthenticationFailedAsync(HttpContext http, string reason)
    {
        var client = ClientAddress(http);
        LogAuthenticationFailed(log, client, reason, http.Request.Method, Route(http));
        return AppendAsync(http, AuditEventType.UserAuthentication, client,
            new AuditParticipant("unauthenticated", client, true, "Source"),
            $"Login failed: {reason} ({http.Request.Method} {Route(http)})");
    }

    public Task AccessDeniedAsync(HttpContext http, string requiredRole)
    {
        var user = UserName(http) ?? "unknown";
        LogAccessDenied(log, user, ClientAddress(http), requiredRole, http.Request.Method, Route(http));
        return AppendAsync(http, AuditEventType.SecurityAlert, "user:" + user,
            new AuditParticipant(user, ClientAddress(http), true, "Source"),
            $"Use of Restricted Function (110132): '{user}' lacks the role {requiredRole} ({http.Request.Method} {Route(http)})");
    }

    private async Task AppendAsync(HttpContext http, AuditEventType type, string client, AuditParticipant who, string detail)
    {
        var trail = services.GetService<IAuditTrail>();
        if (trail == null) return;
        if (!Admit(type.Code, client, out int suppressed)) return;
        if (suppressed > 0) detail += string.Create(CultureInfo.InvariantCulture, $"; {suppressed} more from this client in the previous window not recorded");
        var e = new AuditEvent(type, AuditAction.E, AuditOutcome.MinorFailure, [who, new AuditParticipant("mednode", http.Request.Host.Host, false, "Destination")], Detail: detail);
        try
        {
            await trail.AppendAsync(e, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAuditFailed(log, ex);
        }
    }

    /// <summary>Whether to write a record now; <paramref name="suppressed"/> counts those left out in the window before.</summary>
    private bool Admit(string code, string client, out int suppressed)
    {
        suppressed = 0;
        var now = time.GetUtcNow();
        var span = TimeSpan.FromSeconds(options.AuditWindowSeconds);
        lock (_gate)
        {
            if (_windows.TryGetValue((code, client), out var w) && now - w.Start < span)
            {
                w.Suppressed++;
                return false;
            }
            if (w != null)
            {
                suppressed = w.Suppressed;
                w.Start = now;
                w.Suppressed = 0;
                return true;
            }
            if (_windows.Count >= MaxTrackedClients)
            {
                foreach (var stale in _windows.Where(kv => now - kv.Value.Start >= span).Select(kv => kv.Key).ToList()) _windows.Remove(stale);
            }
            if (_windows.Count < MaxTrackedClients) _windows[(code, client)] = new Window(now);
            return true;
        }
    }

    internal static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    internal static string? UserName(HttpContext http) => http.User.Identity is { IsAuthenticated: true } id ? id.Name ?? "unnamed" : null;

    private static string Route(HttpContext http) => (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";

    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "Authentication failed from {Client}: {Reason} ({Method} {Route})")]
    private static partial void LogAuthenticationFailed(ILogger logger, string client, string reason, string method, string route);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Access denied to {User} from {Client}: the role {Role} is needed ({Method} {Route})")]
    private static partial void LogAccessDenied(ILogger logger, string user, string client, string role, string method, string route);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Error, Message = "Could not write a security event to the audit trail")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception);
}
