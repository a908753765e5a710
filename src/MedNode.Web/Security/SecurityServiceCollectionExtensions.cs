using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace MedNode.Web.Security;

public static partial class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Registers authentication (JWT bearer and API keys, <see cref="MedNodeAuthenticationHandler"/>), the role policies,
    /// the per-client rate limiter and the audit of refused requests, from section <c>MedNode:Security</c>. Throws on
    /// invalid options, naming the setting. The DICOMweb, admin and upload routes require these services.
    /// </summary>
    public static IServiceCollection AddMedNodeSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions();
        var problems = options.Validate();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(" ", problems));
        services.AddSingleton(options);
        services.AddSingleton<SecurityAuditor>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, SecurityResultHandler>();
        services.AddSingleton<IAuthorizationHandler, RoleRequirementHandler>();
        services.AddAuthentication(MedNodeAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, MedNodeAuthenticationHandler>(MedNodeAuthenticationHandler.SchemeName, null)
            .AddJwtBearer(jwt =>
            {
                // Claim names stay as the token has them ("role", "sub"), so RoleClaims and NameClaim name them as issued.
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuers = options.Jwt.Issuers,
                    ValidAudiences = options.Jwt.Audiences,
                    IssuerSigningKeys = JwtKeys.Load(options.Jwt),
                    ValidAlgorithms = JwtKeys.Algorithms,
                    ValidateIssuer = true,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    ValidateIssuerSigningKey = true,
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(options.Jwt.ClockSkewSeconds),
                    NameClaimType = options.Jwt.NameClaim,
                    RoleClaimType = options.Jwt.EffectiveRoleClaims[0],
                };
            });
        services.AddAuthorization(a =>
        {
            foreach (var role in MedNodeRoles.All)
            {
                a.AddPolicy(MedNodePolicies.For(role), p => p.AddAuthenticationSchemes(MedNodeAuthenticationHandler.SchemeName)
                    .RequireAuthenticatedUser().AddRequirements(new RoleRequirement(role)));
            }
        });
        services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.AddPolicy(MedNodePolicies.RateLimit, http => Partition(http, options.RateLimit));
            r.OnRejected = OnRejectedAsync;
        });
        return services;
    }

    /// <summary>
    /// Authentication, the rate limiter and authorization, in that order (the limiter keys on the identity, or on the
    /// address when there is none). Call after <c>UseCors</c>, so that CORS preflights are answered without credentials,
    /// and before mapping the routes. Logs a warning when anonymous access is on, or when no credential is configured.
    /// </summary>
    public static WebApplication UseMedNodeSecurity(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<SecurityOptions>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MedNode.Web.Security");
        if (options.AllowAnonymous)
            LogAnonymous(log, SecurityOptions.Section, string.Join(", ", options.AnonymousRoles.Length > 0 ? options.AnonymousRoles : MedNodeRoles.All));
        else if (!options.HasCredentials)
            LogLockedDown(log, SecurityOptions.Section);
        app.UseAuthentication();
        if (options.RateLimit.Enabled) app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Applies the role policy and the per-client rate limit to a group of routes.</summary>
    public static TBuilder RequireMedNodeRole<TBuilder>(this TBuilder builder, string role) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(MedNodePolicies.For(role)).RequireRateLimiting(MedNodePolicies.RateLimit);

    /// <summary>One partition per caller: the authenticated name, else the client address (anonymous callers included).</summary>
    private static RateLimitPartition<string> Partition(HttpContext http, RateLimitSettings settings)
    {
        var name = SecurityAuditor.UserName(http);
        var key = name != null && name != MedNodeAuthenticationHandler.AnonymousName ? "user:" + name : "ip:" + SecurityAuditor.ClientAddress(http);
        var window = TimeSpan.FromSeconds(settings.WindowSeconds);
        return settings.Kind == "TokenBucket"
            ? RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.PermitLimit, TokensPerPeriod = settings.TokensPerPeriod, ReplenishmentPeriod = window, QueueLimit = 0, AutoReplenishment = true,
            })
            : RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.PermitLimit, Window = window, QueueLimit = 0, AutoReplenishment = true });
    }

    /// <summary>429 with <c>Retry-After</c> in seconds (RFC 9110 §10.2.3) and problem+json.</summary>
    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var response = context.HttpContext.Response;
        var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        response.ContentType = "application/problem+json";
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["type"] = "about:blank", ["title"] = "Too many requests", ["status"] = StatusCodes.Status429TooManyRequests,
            ["detail"] = $"The request rate limit of this client was reached; retry after {seconds} s.",
        });
        await response.WriteAsync(body, cancellationToken);
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Anonymous access is ON ({Section}:AllowAnonymous): callers without credentials get the roles {Roles}. Turn it off outside a trial or a closed network.")]
    private static partial void LogAnonymous(ILogger logger, string section, string roles);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "No API key or JWT signing key is configured and anonymous access is off ({Section}): every DICOMweb and API request will be refused with 401. See docs/configuration.md, Security.")]
    private static partial void LogLockedDown(ILogger logger, string section);
}
