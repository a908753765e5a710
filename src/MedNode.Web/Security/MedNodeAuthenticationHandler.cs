using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MedNode.Web.Security;

/// <summary>
/// The one authentication scheme of the web endpoints. <c>Authorization: Bearer</c> goes to the JWT bearer handler;
/// <c>X-Api-Key</c> or <c>Authorization: ApiKey</c> is hashed with SHA-256 and compared in fixed time with the configured
/// hashes; a request with neither is anonymous when <see cref="SecurityOptions.AllowAnonymous"/> is on and unauthenticated
/// otherwise. Presented credentials that fail are a failure even when anonymous access is on.
/// </summary>
public sealed class MedNodeAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SecurityOptions security)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "MedNode";
    public const string ApiKeyHeader = "X-Api-Key";
    public const string ApiKeyAuthorizationScheme = "ApiKey";
    public const string AnonymousName = "anonymous";

    private readonly byte[][] _hashes = security.ApiKeys.Select(k => Convert.FromHexString(k.Sha256)).ToArray();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? authorization = Request.Headers.Authorization;
        if (authorization != null && authorization.StartsWith(JwtBearerDefaults.AuthenticationScheme + " ", StringComparison.OrdinalIgnoreCase))
            return await Context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);

        string? key = Request.Headers[ApiKeyHeader];
        if (key == null && authorization != null && authorization.StartsWith(ApiKeyAuthorizationScheme + " ", StringComparison.OrdinalIgnoreCase))
            key = authorization[(ApiKeyAuthorizationScheme.Length + 1)..].Trim();
        if (key != null) return AuthenticateApiKey(key);

        if (authorization != null) return AuthenticateResult.Fail(new AuthenticationFailure("unsupported Authorization scheme"));
        if (!security.AllowAnonymous) return AuthenticateResult.NoResult();
        var roles = security.AnonymousRoles.Length > 0 ? security.AnonymousRoles : MedNodeRoles.All;
        return Success(AnonymousName, "anonymous", roles);
    }

    private AuthenticateResult AuthenticateApiKey(string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        int match = -1;
        for (int i = 0; i < _hashes.Length; i++)
        {
            // Every configured hash is compared, in fixed time, so the timing tells nothing about which one is near.
            if (CryptographicOperations.FixedTimeEquals(hash, _hashes[i])) match = i;
        }
        if (match < 0) return AuthenticateResult.Fail(new AuthenticationFailure("unknown API key"));
        var entry = security.ApiKeys[match];
        return Success(entry.Name, ApiKeyAuthorizationScheme, entry.Roles);
    }

    private AuthenticateResult Success(string name, string authenticationType, IEnumerable<string> roles)
    {
        var identity = new ClaimsIdentity(authenticationType, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, name));
        foreach (var role in roles) identity.AddClaim(new Claim(ClaimTypes.Role, role.ToLowerInvariant()));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

/// <summary>Why credentials were refused, in words safe for a log and the audit trail: it never holds the credential.</summary>
public sealed class AuthenticationFailure(string reason) : Exception(reason);
