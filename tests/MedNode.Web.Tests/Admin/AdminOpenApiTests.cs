using System.Text.Json;
using System.Text.RegularExpressions;
using MedNode.Core.ApplicationEntities;
using MedNode.Core.Audit;
using MedNode.Core.Export;
using MedNode.Core.Jobs;
using MedNode.Core.Rules;
using MedNode.Web.Admin;
using MedNode.Web.Api;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedNode.Web.Tests.Admin;

/// <summary>
/// The OpenAPI document the node serves (<c>/openapi/v1.json</c>) describes every admin and upload endpoint that is
/// mapped under <c>/api/v1</c>: the list comes from the routing table, so an endpoint added later is checked too.
/// </summary>
public sealed partial class AdminOpenApiTests
{
    [GeneratedRegex(@"\{(\w+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();

    [Fact]
    public async Task OpenApiDocument_DescribesEveryAdminEndpoint_WithItsMethod()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["MedNode:Security:AllowAnonymous"] = "true" });
        builder.Services.AddMedNodeSecurity(builder.Configuration);
        builder.Services.AddNodeApi();
        var rules = new RuleSource(RuleEngine.Create([]));
        builder.Services.AddSingleton(rules).AddSingleton<IRuleSource>(rules).AddSingleton(new DestinationCatalog([])).AddSingleton<IJobQueue>(new InMemoryJobQueue())
            .AddSingleton<IOutbox>(new InMemoryOutbox()).AddSingleton<IAuditTrail>(new InMemoryAuditTrail()).AddSingleton(TimeProvider.System)
            .AddSingleton(new DestinationTester(new HttpClient()))
            .AddSingleton(new ApplicationEntityCatalog([new LocalAe("MEDNODE")], [], false, new MedNode.Core.Admin.InMemoryAdminStateStore()));
        await using var app = builder.Build();
        app.UseMedNodeSecurity();
        app.MapNodeApi();
        app.MapMedNodeAdmin();
        app.MapMedNodeUpload();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith(AdminEndpoints.Prefix, StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Path: RouteParameter().Replace(e.RoutePattern.RawText!, "{$1}").TrimEnd('/'), Method: m.ToLowerInvariant())))
            .ToList();
        mapped.Should().Contain([("/api/v1/aes/local", "put"), ("/api/v1/aes/remote/{aeTitle}", "delete"), ("/api/v1/models", "get"), ("/api/v1/models/{id}", "put"), ("/api/v1/rules", "put")],
            "the routing table lists the admin endpoints, the new ones too");

        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));
        var paths = document.RootElement.GetProperty("paths");
        foreach (var (path, method) in mapped)
        {
            paths.TryGetProperty(path, out var item).Should().BeTrue($"the document describes {path}");
            item.TryGetProperty(method, out _).Should().BeTrue($"the document describes {method.ToUpperInvariant()} {path}");
        }
        await app.StopAsync();
    }
}
