using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace MedNode.Web.Security;

/// <summary>
/// Answers refused requests in one place: 401 with <c>WWW-Authenticate</c> (RFC 9110 §11.6.1; the Bearer challenge with
/// <c>error="invalid_token"</c> as RFC 6750 §3.1 says) and 403, both as problem+json (RFC 9457), and writes them to the
/// audit trail through <see cref="SecurityAuditor"/>.
/// </summary>
public sealed class SecurityResultHandler(SecurityAuditor auditor) : IAuthorizationMiddlewareResultHandler
{
    public const string Realm = "MedNode";

    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            // The scheme's result is cached for the request, so this does not validate the credential again.
            var result = await context.AuthenticateAsync(MedNodeAuthenticationHandler.SchemeName);
            var (reason, bearerError) = Describe(result);
            await auditor.AuthenticationFailedAsync(context, reason);
            var bearer = $"Bearer realm=\"{Realm}\"";
            if (bearerError != null) bearer += $", error=\"invalid_token\", error_description=\"{bearerError}\"";
            context.Response.Headers.Append("WWW-Authenticate", bearer);
            context.Response.Headers.Append("WWW-Authenticate", $"{MedNodeAuthenticationHandler.ApiKeyAuthorizationScheme} realm=\"{Realm}\", header=\"{MedNodeAuthenticationHandler.ApiKeyHeader}\"");
            await WriteProblemAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "Authentication is required: " + reason + ".");
            return;
        }
        if (authorizeResult.Forbidden)
        {
            var role = policy.Requirements.OfType<RoleRequirement>().FirstOrDefault()?.Role ?? "unknown";
            await auditor.AccessDeniedAsync(context, role);
            await WriteProblemAsync(context, StatusCodes.Status403Forbidden, "Forbidden", $"The role {role} is needed for this request.");
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    /// <summary>The reason in words for the audit trail and, for a JWT, the RFC 6750 error description; never the credential.</summary>
    private static (string Reason, string? BearerError) Describe(AuthenticateResult result) => result.Failure switch
    {
        null => ("no credentials", null),
        AuthenticationFailure f => (f.Message, null),
        SecurityTokenExpiredException => ("JWT expired", "The token expired"),
        SecurityTokenNotYetValidException => ("JWT not yet valid", "The token is not yet valid"),
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => ("JWT signature invalid", "The signature is invalid"),
        SecurityTokenInvalidIssuerException => ("JWT issuer not accepted", "The issuer is not accepted"),
        SecurityTokenInvalidAudienceException => ("JWT audience not accepted", "The audience is not accepted"),
        SecurityTokenInvalidAlgorithmException => ("JWT algorithm not accepted", "The algorithm is not accepted"),
        SecurityTokenNoExpirationException => ("JWT without expiry", "The token has no expiry"),
        SecurityTokenMalformedException or ArgumentException => ("JWT malformed", "The token is malformed"),
        _ => ("JWT invalid", "The token is invalid"),
    };

    internal static Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["type"] = "about:blank", ["title"] = title, ["status"] = status, ["detail"] = detail });
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
