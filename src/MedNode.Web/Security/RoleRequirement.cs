using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace MedNode.Web.Security;

/// <summary>The caller holds <see cref="Role"/>, or <c>admin</c>, which implies every role.</summary>
public sealed class RoleRequirement(string role) : IAuthorizationRequirement
{
    public string Role { get; } = role;
}

/// <summary>
/// Reads roles from <see cref="ClaimTypes.Role"/> (API keys, anonymous) and from the JWT claims named in
/// <see cref="JwtSettings.RoleClaims"/>; a claim value may hold several roles separated by spaces.
/// </summary>
public sealed class RoleRequirementHandler(SecurityOptions security) : AuthorizationHandler<RoleRequirement>
{
    private readonly HashSet<string> _claimTypes = new(security.Jwt.EffectiveRoleClaims.Append(ClaimTypes.Role), StringComparer.Ordinal);

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
    {
        if (Roles(context.User).Any(r => string.Equals(r, requirement.Role, StringComparison.OrdinalIgnoreCase) || string.Equals(r, MedNodeRoles.Admin, StringComparison.OrdinalIgnoreCase)))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }

    private IEnumerable<string> Roles(ClaimsPrincipal user) =>
        user.Claims.Where(c => _claimTypes.Contains(c.Type)).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>The authorization policies of the web endpoints, one per role.</summary>
public static class MedNodePolicies
{
    public const string Reader = "MedNode.Reader";
    public const string Sender = "MedNode.Sender";
    public const string Admin = "MedNode.Admin";

    /// <summary>The rate-limiter policy of <c>/dicomweb</c> and <c>/api/v1</c>.</summary>
    public const string RateLimit = "MedNode.PerClient";

    public static string For(string role) => role.ToLowerInvariant() switch
    {
        MedNodeRoles.Reader => Reader,
        MedNodeRoles.Sender => Sender,
        MedNodeRoles.Admin => Admin,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "not a role"),
    };
}
