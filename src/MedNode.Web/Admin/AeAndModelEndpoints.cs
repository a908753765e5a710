using System.Text.Json;
using System.Text.Json.Serialization;
using MedNode.Core.ApplicationEntities;
using MedNode.Core.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace MedNode.Web.Admin;

/// <summary>
/// Admin API for the node's local AE titles, the remote AEs (host, port, permissions Echo/Store/Find/Move/Get) and the
/// models (list, enable, shadow mode). A change is validated whole (a 400 problem+json lists every problem in
/// <c>errors</c> and changes nothing), stored, and applied to the running DIMSE listener from its next association.
/// </summary>
public static class AeAndModelEndpoints
{
    /// <summary>The body of <c>PUT /api/v1/models/{id}</c>.</summary>
    public sealed record ModelStateRequest(bool? Enabled, bool? Shadow);

    /// <summary>One model in <c>GET /api/v1/models</c>; after <c>PUT</c> that enabled it again, also the jobs requeued.</summary>
    public sealed record ModelView(string Id, string Version, string Hash, bool Enabled, bool Shadow,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Guid>? RequeuedJobs = null);

    public static RouteGroupBuilder MapAeAndModelAdmin(this RouteGroupBuilder g)
    {
        g.MapGet("/aes/local", ([FromServices] ApplicationEntityCatalog aes) => Results.Json(aes.Local, AdminEndpoints.Json))
            .WithName("ListLocalAes").WithTags("Admin").WithSummary("The node's own listening (called) AE titles.");
        g.MapPut("/aes/local", async (HttpRequest request, [FromServices] ApplicationEntityCatalog aes, CancellationToken ct) =>
        {
            var (list, problem) = await ReadAsync<List<LocalAe>>(request, "Invalid local AEs", ct);
            return problem ?? Answer(await aes.ReplaceLocalAsync(list!, ct), "Invalid local AEs", () => aes.Local);
        }).WithName("ReplaceLocalAes").WithTags("Admin").WithSummary("Replaces the local AE titles; applies from the next association.");

        g.MapGet("/aes/remote", ([FromServices] ApplicationEntityCatalog aes) => Results.Json(aes.Remote, AdminEndpoints.Json))
            .WithName("ListRemoteAes").WithTags("Admin").WithSummary("The remote AEs with host, port and permissions.");
        g.MapPut("/aes/remote", async (HttpRequest request, [FromServices] ApplicationEntityCatalog aes, CancellationToken ct) =>
        {
            var (list, problem) = await ReadAsync<List<RemoteAe>>(request, "Invalid remote AEs", ct);
            return problem ?? Answer(await aes.ReplaceRemoteAsync(list!, ct), "Invalid remote AEs", () => aes.Remote);
        }).WithName("ReplaceRemoteAes").WithTags("Admin").WithSummary("Replaces the remote AEs; applies from the next association.");
        g.MapGet("/aes/remote/{aeTitle}", (string aeTitle, [FromServices] ApplicationEntityCatalog aes) =>
            aes.FindRemote(aeTitle) is { } ae ? Results.Json(ae, AdminEndpoints.Json) : UnknownAe(aeTitle))
            .WithName("GetRemoteAe").WithTags("Admin").WithSummary("One remote AE.");
        g.MapPut("/aes/remote/{aeTitle}", async (string aeTitle, HttpRequest request, [FromServices] ApplicationEntityCatalog aes, CancellationToken ct) =>
        {
            var (ae, problem) = await ReadAsync<RemoteAe>(request, "Invalid remote AE", ct);
            if (problem != null) return problem;
            if (ae!.AeTitle != null && ae.AeTitle.Trim().Length > 0 && ae.AeTitle.Trim() != aeTitle.Trim())
                return ProblemWithErrors("Invalid remote AE", [$"The body's AE title '{ae.AeTitle.Trim()}' is not the one in the path ('{aeTitle.Trim()}')."]);
            ae = ae with { AeTitle = aeTitle };
            return Answer(await aes.PutRemoteAsync(ae, ct), "Invalid remote AE", () => aes.FindRemote(aeTitle));
        }).WithName("PutRemoteAe").WithTags("Admin").WithSummary("Adds or replaces one remote AE; applies from the next association.");
        g.MapDelete("/aes/remote/{aeTitle}", async (string aeTitle, [FromServices] ApplicationEntityCatalog aes, CancellationToken ct) =>
            await aes.DeleteRemoteAsync(aeTitle, ct) ? Results.NoContent() : UnknownAe(aeTitle))
            .WithName("DeleteRemoteAe").WithTags("Admin").WithSummary("Removes one remote AE; applies from the next association.");

        g.MapGet("/models", ([FromServices] IInstalledModels installed, [FromServices] ModelSwitchboard switches) =>
            Results.Json(installed.ListModels().Select(m => View(m, switches.For(m.Id))), AdminEndpoints.Json))
            .WithName("ListModels").WithTags("Admin").WithSummary("The installed models: id, version, hash, enabled, shadow mode.");
        g.MapPut("/models/{id}", async (string id, HttpRequest request, [FromServices] IInstalledModels installed, [FromServices] ModelSwitchboard switches,
            [FromServices] IJobQueue jobs, CancellationToken ct) =>
        {
            if (installed.ListModels().FirstOrDefault(m => m.Id == id) is not { } model) return AdminEndpoints.Problem(404, "Unknown model", $"No model '{id}' is installed.");
            var (body, problem) = await ReadAsync<ModelStateRequest>(request, "Invalid model state", ct);
            if (problem != null) return problem;
            var current = switches.For(id);
            var next = new ModelState(body!.Enabled ?? current.Enabled, body.Shadow ?? current.Shadow);
            await switches.SetAsync(id, next, ct);
            // Enabled again: the jobs skipped because it was disabled run now (JobRequeue keeps the idempotency guarantees).
            var requeued = !current.Enabled && next.Enabled ? await JobRequeue.RequeueSkippedForDisabledModelAsync(jobs, id, ct) : null;
            return Results.Json(View(model, next) with { RequeuedJobs = requeued }, AdminEndpoints.Json);
        }).WithName("SetModelState").WithTags("Admin")
            .WithSummary("Enables or disables a model and sets shadow mode (run, store, but push nothing); enabling it again requeues the jobs skipped because it was disabled.");
        return g;
    }

    private static ModelView View(InstalledModel m, ModelState s) => new(m.Id, m.Version, m.Sha256, s.Enabled, s.Shadow);

    private static IResult UnknownAe(string aeTitle) => AdminEndpoints.Problem(404, "Unknown remote AE", $"No remote AE has the title '{aeTitle}'.");

    private static IResult Answer(IReadOnlyList<string> errors, string title, Func<object?> current) =>
        errors.Count > 0 ? ProblemWithErrors(title, errors) : Results.Json(current(), AdminEndpoints.Json);

    private static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, string title, CancellationToken ct) where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, AdminEndpoints.Json, ct);
            return value == null ? (null, ProblemWithErrors(title, ["The body must not be null."])) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, ProblemWithErrors(title, [e.Message]));
        }
    }

    /// <summary>A 400 problem+json (RFC 9457) whose <c>errors</c> extension lists every problem found.</summary>
    private static IResult ProblemWithErrors(string title, IReadOnlyList<string> errors) =>
        Results.Text(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["type"] = "about:blank", ["title"] = title, ["status"] = 400, ["detail"] = string.Join(" ", errors), ["errors"] = errors,
        }), "application/problem+json", statusCode: 400);
}
