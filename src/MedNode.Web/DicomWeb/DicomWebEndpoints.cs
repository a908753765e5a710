using System.Text.Json;
using MedNode.Core.Query;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.DicomWeb;

/// <summary>The DICOMweb routes under <c>/dicomweb</c>: QIDO-RS (PS3.18 §10.6), WADO-RS (§10.4: instances, metadata, bulk data,
/// frames, rendered, thumbnail), STOW-RS (§10.5). They are left out of the OpenAPI document: PS3.18 and the conformance statement
/// describe them.</summary>
public static class DicomWebEndpoints
{
    public const string Prefix = "/dicomweb";

    /// <summary>Maps the routes. With CORS origins configured, call <c>app.UseCors()</c> before this.</summary>
    public static RouteGroupBuilder MapDicomWeb(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<DicomWebOptions>();
        var g = app.MapGroup(Prefix);
        if (options.CorsOrigins.Length > 0) g.RequireCors(DicomWebOptions.CorsPolicy);
        g.AddEndpointFilter(ProblemFilterAsync);
        g.ExcludeFromDescription();
        // Retrieval and search need the reader role, storing the sender role (MedNode.Web.Security).
        var read = g.MapGroup("").RequireMedNodeRole(MedNodeRoles.Reader);
        var store = g.MapGroup("").RequireMedNodeRole(MedNodeRoles.Sender);

        read.MapGet("/studies", (Delegate)((HttpContext c) => QidoHandler.HandleAsync(c, QueryLevel.Study, null, null)));
        read.MapGet("/series", (Delegate)((HttpContext c) => QidoHandler.HandleAsync(c, QueryLevel.Series, null, null)));
        read.MapGet("/instances", (Delegate)((HttpContext c) => QidoHandler.HandleAsync(c, QueryLevel.Image, null, null)));
        read.MapGet("/studies/{study}/series", (HttpContext c, string study) => QidoHandler.HandleAsync(c, QueryLevel.Series, study, null));
        read.MapGet("/studies/{study}/instances", (HttpContext c, string study) => QidoHandler.HandleAsync(c, QueryLevel.Image, study, null));
        read.MapGet("/studies/{study}/series/{series}/instances", (HttpContext c, string study, string series) => QidoHandler.HandleAsync(c, QueryLevel.Image, study, series));

        read.MapGet("/studies/{study}", (HttpContext c, string study) => WadoHandler.RetrieveAsync(c, study, null, null));
        read.MapGet("/studies/{study}/series/{series}", (HttpContext c, string study, string series) => WadoHandler.RetrieveAsync(c, study, series, null));
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}", (HttpContext c, string study, string series, string instance) => WadoHandler.RetrieveAsync(c, study, series, instance));
        read.MapGet("/studies/{study}/metadata", (HttpContext c, string study) => WadoHandler.MetadataAsync(c, study, null, null));
        read.MapGet("/studies/{study}/series/{series}/metadata", (HttpContext c, string study, string series) => WadoHandler.MetadataAsync(c, study, series, null));
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/metadata", (HttpContext c, string study, string series, string instance) => WadoHandler.MetadataAsync(c, study, series, instance));
        read.MapGet("/studies/{study}/series/{series}/instances/{instance}/bulkdata/{tag}", (HttpContext c, string study, string series, string instance, string tag) => WadoHandler.BulkDataAsync(c, study, series, instance, tag));

        const string instancePath = "/studies/{study}/series/{series}/instances/{instance}";
        read.MapGet(instancePath + "/frames/{frames}", (HttpContext c, string study, string series, string instance, string frames) => FramesHandler.RetrieveAsync(c, study, series, instance, frames));
        read.MapGet("/studies/{study}/rendered", (HttpContext c, string study) => RenderedHandler.RenderedAsync(c, study, null, null, null));
        read.MapGet("/studies/{study}/series/{series}/rendered", (HttpContext c, string study, string series) => RenderedHandler.RenderedAsync(c, study, series, null, null));
        read.MapGet(instancePath + "/rendered", (HttpContext c, string study, string series, string instance) => RenderedHandler.RenderedAsync(c, study, series, instance, null));
        read.MapGet(instancePath + "/frames/{frames}/rendered", (HttpContext c, string study, string series, string instance, string frames) => RenderedHandler.RenderedAsync(c, study, series, instance, frames));
        read.MapGet("/studies/{study}/thumbnail", (HttpContext c, string study) => RenderedHandler.ThumbnailAsync(c, study, null, null, null));
        read.MapGet("/studies/{study}/series/{series}/thumbnail", (HttpContext c, string study, string series) => RenderedHandler.ThumbnailAsync(c, study, series, null, null));
        read.MapGet(instancePath + "/thumbnail", (HttpContext c, string study, string series, string instance) => RenderedHandler.ThumbnailAsync(c, study, series, instance, null));
        read.MapGet(instancePath + "/frames/{frames}/thumbnail", (HttpContext c, string study, string series, string instance, string frames) => RenderedHandler.ThumbnailAsync(c, study, series, instance, frames));

        store.MapPost("/studies", (Delegate)((HttpContext c) => StowHandler.HandleAsync(c, null)));
        store.MapPost("/studies/{study}", (HttpContext c, string study) => StowHandler.HandleAsync(c, study));
        return g;
    }

    /// <summary>Errors as problem+json (RFC 9457), in one place.</summary>
    private static async ValueTask<object?> ProblemFilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (QueryParseException e)
        {
            return Problem(context.HttpContext, StatusCodes.Status400BadRequest, "Invalid query", e.Message);
        }
        catch (DicomWebException e)
        {
            return Problem(context.HttpContext, e.StatusCode, e.Title, e.Message == e.Title ? null : e.Message);
        }
    }

    private static IResult Problem(HttpContext http, int status, string title, string? detail)
    {
        if (http.Response.HasStarted)
        {
            http.Abort();
            return Results.Empty;
        }
        var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["type"] = "about:blank", ["title"] = title, ["status"] = status, ["detail"] = detail });
        return Results.Text(body, "application/problem+json", statusCode: status);
    }

    /// <summary>The absolute base URL of the DICOMweb service for RetrieveURL and BulkDataURI.</summary>
    internal static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}{Prefix}";

    /// <summary>UIDs from the path are checked before any use (PS3.5 §9.1); nothing from the request ever names a file.</summary>
    internal static void CheckUid(string? uid)
    {
        if (uid == null) return;
        bool ok = uid.Length is > 0 and <= 64 && uid[0] != '.' && uid[^1] != '.' && !uid.Contains("..", StringComparison.Ordinal)
            && uid.All(ch => ch is (>= '0' and <= '9') or '.');
        if (!ok) throw new DicomWebException(StatusCodes.Status400BadRequest, "Invalid UID", "A path segment is not a valid UID.");
    }
}
