using System.Globalization;

namespace MedNode.Web.Security;

/// <summary>
/// Web security, section <c>MedNode:Security</c>: who may call DICOMweb (<c>/dicomweb</c>) and the REST API
/// (<c>/api/v1</c>). Callers present a JWT (<c>Authorization: Bearer</c>, RFC 6750) or an API key (<c>X-Api-Key</c> or
/// <c>Authorization: ApiKey</c>). <c>/health/live</c>, <c>/health/ready</c>, <c>/metrics</c> and the OpenAPI document stay open.
/// </summary>
public sealed class SecurityOptions
{
    public const string Section = "MedNode:Security";

    /// <summary>Let requests without credentials in, with <see cref="AnonymousRoles"/>. Off by default; a warning is logged at start when on.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>The roles an anonymous caller gets when <see cref="AllowAnonymous"/> is on; empty: all roles.</summary>
    public string[] AnonymousRoles { get; set; } = [];

    public JwtSettings Jwt { get; set; } = new();

    /// <summary>The role <c>/metrics</c> needs; empty: open, as health is (scrapers such as Prometheus can send
    /// <c>Authorization: ApiKey</c>).</summary>
    public string MetricsRole { get; set; } = "";

    /// <summary>API keys, each stored as the SHA-256 of the key; the key itself is never configured, stored or logged.</summary>
    public ApiKeySettings[] ApiKeys { get; set; } = [];

    public RateLimitSettings RateLimit { get; set; } = new();

    /// <summary>At most one audit record per client and event type in this many seconds; the next record counts the ones left out.</summary>
    public int AuditWindowSeconds { get; set; } = 60;

    /// <summary>Every problem with these options, each naming its setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        List<string> problems = [];
        foreach (var role in AnonymousRoles.Where(r => !MedNodeRoles.All.Contains(r, StringComparer.OrdinalIgnoreCase)))
            problems.Add($"{Section}:AnonymousRoles: '{role}' is not a role (reader, sender, admin).");
        if (MetricsRole.Length > 0 && !MedNodeRoles.All.Contains(MetricsRole, StringComparer.OrdinalIgnoreCase))
            problems.Add($"{Section}:MetricsRole: '{MetricsRole}' is not a role (reader, sender, admin) nor empty.");
        Jwt.Validate(problems);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ApiKeys.Length; i++)
        {
            var key = ApiKeys[i];
            var at = $"{Section}:ApiKeys:{i.ToString(CultureInfo.InvariantCulture)}";
            if (string.IsNullOrWhiteSpace(key.Name)) problems.Add($"{at}:Name is missing.");
            else if (!names.Add(key.Name)) problems.Add($"{at}:Name '{key.Name}' is used twice.");
            if (key.Sha256 is not { Length: 64 } || !key.Sha256.All(char.IsAsciiHexDigit))
                problems.Add($"{at}:Sha256 must be the SHA-256 of the key as 64 hex digits (e.g. printf %s KEY | sha256sum).");
            if (key.Roles.Length == 0) problems.Add($"{at}:Roles is empty.");
            foreach (var role in key.Roles.Where(r => !MedNodeRoles.All.Contains(r, StringComparer.OrdinalIgnoreCase)))
                problems.Add($"{at}:Roles: '{role}' is not a role (reader, sender, admin).");
        }
        RateLimit.Validate(problems);
        if (AuditWindowSeconds < 0) problems.Add($"{Section}:AuditWindowSeconds must not be negative.");
        return problems;
    }

    /// <summary>Whether any way to authenticate is configured.</summary>
    public bool HasCredentials => ApiKeys.Length > 0 || Jwt.SymmetricKeys.Length > 0 || Jwt.PublicKeys.Length > 0 || Jwt.PublicKeyFiles.Length > 0;
}

/// <summary>JWT bearer validation (RFC 7519, RFC 6750), section <c>MedNode:Security:Jwt</c>.</summary>
public sealed class JwtSettings
{
    /// <summary>The issuers accepted in <c>iss</c>; required when keys are configured.</summary>
    public string[] Issuers { get; set; } = [];

    /// <summary>The audiences accepted in <c>aud</c>; required when keys are configured.</summary>
    public string[] Audiences { get; set; } = [];

    /// <summary>HMAC keys (HS256/384/512), each base64, at least 32 bytes. A secret: set it through the environment, not a file in a repository.</summary>
    public string[] SymmetricKeys { get; set; } = [];

    /// <summary>RSA or EC public keys (RS*, PS*, ES*) as PEM text (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    public string[] PublicKeys { get; set; } = [];

    /// <summary>Files holding RSA or EC public keys in PEM.</summary>
    public string[] PublicKeyFiles { get; set; } = [];

    /// <summary>The claims whose values name roles (a JSON array gives one claim per element; space-separated values count each);
    /// empty: <c>role</c> and <c>roles</c>. (Empty rather than a default list, because binding appends to an array.)</summary>
    public string[] RoleClaims { get; set; } = [];

    internal IReadOnlyList<string> EffectiveRoleClaims => RoleClaims.Length > 0 ? RoleClaims : ["role", "roles"];

    /// <summary>The claim that names the caller in the audit trail and the rate limiter.</summary>
    public string NameClaim { get; set; } = "sub";

    /// <summary>Tolerance for <c>exp</c> and <c>nbf</c> between clocks.</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    internal void Validate(List<string> problems)
    {
        const string at = SecurityOptions.Section + ":Jwt";
        bool keys = SymmetricKeys.Length > 0 || PublicKeys.Length > 0 || PublicKeyFiles.Length > 0;
        if (keys && Issuers.Length == 0) problems.Add($"{at}:Issuers is empty; a JWT's issuer must be checked.");
        if (keys && Audiences.Length == 0) problems.Add($"{at}:Audiences is empty; a JWT's audience must be checked.");
        for (int i = 0; i < SymmetricKeys.Length; i++)
        {
            var bytes = new byte[SymmetricKeys[i].Length];
            if (!Convert.TryFromBase64String(SymmetricKeys[i], bytes, out int n) || n < 32)
                problems.Add($"{at}:SymmetricKeys:{i.ToString(CultureInfo.InvariantCulture)} must be base64 of at least 32 bytes.");
        }
        for (int i = 0; i < PublicKeys.Length; i++)
        {
            if (!JwtKeys.TryLoadPublicKey(PublicKeys[i], out _))
                problems.Add($"{at}:PublicKeys:{i.ToString(CultureInfo.InvariantCulture)} is not an RSA or EC public key in PEM.");
        }
        for (int i = 0; i < PublicKeyFiles.Length; i++)
        {
            var name = $"{at}:PublicKeyFiles:{i.ToString(CultureInfo.InvariantCulture)}";
            if (!File.Exists(PublicKeyFiles[i])) problems.Add($"{name}: {PublicKeyFiles[i]} does not exist.");
            else if (!JwtKeys.TryLoadPublicKey(File.ReadAllText(PublicKeyFiles[i]), out _)) problems.Add($"{name}: {PublicKeyFiles[i]} is not an RSA or EC public key in PEM.");
        }
        if (string.IsNullOrWhiteSpace(NameClaim)) problems.Add($"{at}:NameClaim is empty.");
        if (ClockSkewSeconds is < 0 or > 3600) problems.Add($"{at}:ClockSkewSeconds must be 0 to 3600.");
    }
}

/// <summary>One API key: a name (the caller's identity in the audit trail), the key's SHA-256 in hex, and its roles.</summary>
public sealed class ApiKeySettings
{
    public string Name { get; set; } = "";

    public string Sha256 { get; set; } = "";

    public string[] Roles { get; set; } = [];
}

/// <summary>The per-client rate limit on <c>/dicomweb</c> and <c>/api/v1</c>, section <c>MedNode:Security:RateLimit</c>.</summary>
public sealed class RateLimitSettings
{
    public bool Enabled { get; set; } = true;

    /// <summary><c>FixedWindow</c>: <see cref="PermitLimit"/> requests per window; <c>TokenBucket</c>: a bucket of
    /// <see cref="PermitLimit"/> tokens refilled with <see cref="TokensPerPeriod"/> every <see cref="WindowSeconds"/>.</summary>
    public string Kind { get; set; } = "FixedWindow";

    public int PermitLimit { get; set; } = 1000;

    public int WindowSeconds { get; set; } = 10;

    public int TokensPerPeriod { get; set; } = 100;

    internal void Validate(List<string> problems)
    {
        const string at = SecurityOptions.Section + ":RateLimit";
        if (Kind is not ("FixedWindow" or "TokenBucket")) problems.Add($"{at}:Kind must be FixedWindow or TokenBucket.");
        if (PermitLimit < 1) problems.Add($"{at}:PermitLimit must be at least 1.");
        if (WindowSeconds is < 1 or > 86400) problems.Add($"{at}:WindowSeconds must be 1 to 86400.");
        if (TokensPerPeriod < 1) problems.Add($"{at}:TokensPerPeriod must be at least 1.");
    }
}

/// <summary>The roles of the web API. <c>admin</c> implies <c>reader</c> and <c>sender</c>.</summary>
public static class MedNodeRoles
{
    /// <summary>QIDO-RS and WADO-RS (instances, metadata, bulk data, frames, rendered, thumbnails).</summary>
    public const string Reader = "reader";

    /// <summary>STOW-RS and the upload API.</summary>
    public const string Sender = "sender";

    /// <summary>The admin API: rules, destinations, jobs, exports and the audit trail; and everything a reader and a sender may do.</summary>
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Reader, Sender, Admin];
}
