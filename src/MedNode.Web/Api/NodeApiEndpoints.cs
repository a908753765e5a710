using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.Api;

/// <summary>
/// The node's own HTTP API (health now, the admin API later), described by an OpenAPI document at <c>/openapi/v1.json</c>
/// (Microsoft.AspNetCore.OpenApi). The DICOMweb routes are excluded from it: PS3.18 defines them.
/// </summary>
public static class NodeApiEndpoints
{
    public const string OpenApiPath = "/openapi/{documentName}.json";

    /// <summary>The liveness response body.</summary>
    public sealed record HealthStatus(string Status);

    public static IServiceCollection AddNodeApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "MedNode API";
            document.Info.Description = "MedNode's own endpoints. DICOMweb (QIDO-RS, WADO-RS, STOW-RS) is under /dicomweb and follows DICOM PS3.18.";
            return Task.CompletedTask;
        }));

    /// <summary>Maps <c>/health/live</c> and the OpenAPI document.</summary>
    public static IEndpointRouteBuilder MapNodeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new HealthStatus("Healthy")))
            .WithName("GetLiveness")
            .WithTags("Health")
            .WithSummary("Liveness: the process is up and serving HTTP.");
        app.MapOpenApi(OpenApiPath);
        return app;
    }
}
