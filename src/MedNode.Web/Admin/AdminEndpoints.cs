using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MedNode.Core.Audit;
using MedNode.Core.Export;
using MedNode.Core.Jobs;
using MedNode.Core.Rules;
using MedNode.Dicom;
using MedNode.Dicom.Json;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace MedNode.Web.Admin;

/// <summary>
/// The admin and jobs API under <c>/api/v1</c>: jobs, deliveries and dead letters, rules (with a tester), destinations
/// (with a connection test), and the audit trail. Errors are problem+json (RFC 9457). Changes to rules and destinations
/// take effect at once, without a restart, and a change that fails validation changes nothing.
/// </summary>
public static class AdminEndpoints
{
    public const string Prefix = "/api/v1";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static RouteGroupBuilder MapMedNodeAdmin(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Prefix).RequireMedNodeRole(MedNodeRoles.Admin);

        g.MapGet("/jobs", ListJobsAsync);
        g.MapGet("/jobs/{id:guid}", GetJobAsync);
        g.MapGet("/exports", async (IOutbox outbox, string? state, CancellationToken ct) =>
        {
            if (!TryParseEnum<OutboxState>(state, out var s)) return Problem(400, "Invalid state", $"state must be one of {string.Join(", ", Enum.GetNames<OutboxState>())}.");
            return Results.Json(await outbox.ListAsync(s, ct), Json);
        });
        g.MapPost("/exports/{id:guid}/replay", async (Guid id, IOutbox outbox, TimeProvider time, CancellationToken ct) =>
            await outbox.ReplayAsync(id, time.GetUtcNow(), ct) ? Results.NoContent() : Problem(409, "Not a dead letter", "Only a dead-lettered delivery can be replayed."));

        g.MapPost("/exports/{id:guid}/commitment", RerequestCommitmentAsync);

        g.MapGet("/rules", (IRuleSource rules) => Results.Json(rules.Current.Rules, Json));
        g.MapPut("/rules", ReplaceRulesAsync);
        g.MapPost("/rules/test", TestRulesAsync);

        g.MapGet("/destinations", (DestinationCatalog catalog) => Results.Json(catalog.All.Select(Redact), Json));
        g.MapPut("/destinations", ReplaceDestinationsAsync);
        g.MapPost("/destinations/{name}/test", async (string name, DestinationCatalog catalog, DestinationTester tester, CancellationToken ct) =>
            catalog.Find(name) is { } d ? Results.Json(await tester.TestAsync(d, ct), Json) : Problem(404, "Unknown destination", $"No destination is named '{name}'."));

        g.MapGet("/audit", ReadAuditAsync);
        g.MapGet("/audit/verify", async (IAuditTrail audit, CancellationToken ct) =>
            Results.Json(await AuditChain.VerifyAsync(audit.ReadAsync(AuditQuery.All, ct), ct), Json));
        g.MapAeAndModelAdmin();
        g.MapLoopOperations();
        return g;
    }

    private static async Task<IResult> ListJobsAsync(IJobQueue jobs, string? status, string? study, string? modality, string? model, string? from, string? to, int? limit, CancellationToken ct)
    {
        if (!TryParseEnum<JobState>(status, out var state)) return Problem(400, "Invalid status", $"status must be one of {string.Join(", ", Enum.GetNames<JobState>())}.");
        if (!TryParseTime(from, out var f) || !TryParseTime(to, out var t)) return Problem(400, "Invalid date", "from and to must be ISO 8601 dates or date-times.");
        if (limit is < 1 or > 1000) return Problem(400, "Invalid limit", "limit must be 1 to 1000.");
        // Modality is a CS value (PS3.5 §6.2): up to 16 upper-case letters, digits, spaces or underscores.
        if (modality != null && (modality.Length is 0 or > 16 || !modality.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c is ' ' or '_')))
            return Problem(400, "Invalid modality", "modality must be a Modality (0008,0060) code string such as CT: up to 16 upper-case letters, digits, spaces or underscores.");
        if (model != null && (model.Length is 0 or > 128 || model.Any(char.IsControl)))
            return Problem(400, "Invalid model", "model must be a model id (as GET /api/v1/models lists them): 1 to 128 characters.");
        var list = await jobs.ListAsync(new JobFilter(state, study, f, t, limit ?? 100, modality, model), ct).ToListAsync(ct);
        return Results.Json(list, Json);
    }

    private static async Task<IResult> GetJobAsync(Guid id, IJobQueue jobs, IOutbox outbox, CancellationToken ct)
    {
        var job = await jobs.GetAsync(id, ct);
        if (job == null) return Problem(404, "Unknown job", $"No job has the id {id}.");
        var deliveries = await outbox.ForJobAsync(id, ct);
        return Results.Json(new { job, deliveries }, Json);
    }

    private static async Task<IResult> ReplaceRulesAsync(HttpRequest request, RuleSource rules, DestinationCatalog destinations, CancellationToken ct)
    {
        List<RoutingRule>? list;
        try
        {
            list = await JsonSerializer.DeserializeAsync<List<RoutingRule>>(request.Body, Json, ct);
        }
        catch (JsonException e)
        {
            return Problem(400, "Invalid rules", e.Message);
        }
        if (list == null) return Problem(400, "Invalid rules", "The body must be a JSON array of rules.");
        var errors = RuleEngine.Validate(list, destinations.All.Select(d => d.Name).ToHashSet(StringComparer.OrdinalIgnoreCase));
        if (errors.Count > 0) return Problem(400, "Invalid rules", string.Join(" ", errors));
        rules.Replace(RuleEngine.Create(list));
        return Results.Json(rules.Current.Rules, Json);
    }

    /// <summary>The rule tester: the body is one data set in DICOM JSON (PS3.18 Annex F); the answer names the rule that fires and why.</summary>
    private static async Task<IResult> TestRulesAsync(HttpRequest request, IRuleSource rules, string? callingAeTitle, string? calledAeTitle, int? slices, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(ct);
        DicomDataset dataset;
        try
        {
            dataset = body.TrimStart().StartsWith('[') ? DicomJsonReader.ParseMany(body).FirstOrDefault() ?? new DicomDataset() : DicomJsonReader.Parse(body);
        }
        catch (Exception e) when (e is JsonException or FormatException or DicomParseException or InvalidOperationException or KeyNotFoundException)
        {
            return Problem(400, "Invalid data set", "The body must be a data set in DICOM JSON: " + e.Message);
        }
        var decision = rules.Current.Evaluate(new RuleSubject(dataset, callingAeTitle, calledAeTitle, slices ?? 1));
        return Results.Json(new { rule = decision.Rule?.Name, action = decision.Rule?.Action, explanation = decision.Explanation, evaluations = decision.Evaluations }, Json);
    }

    private static async Task<IResult> ReplaceDestinationsAsync(HttpRequest request, DestinationCatalog catalog, CancellationToken ct)
    {
        List<ExportDestination>? list;
        try
        {
            list = await JsonSerializer.DeserializeAsync<List<ExportDestination>>(request.Body, Json, ct);
        }
        catch (JsonException e)
        {
            return Problem(400, "Invalid destinations", e.Message);
        }
        if (list == null) return Problem(400, "Invalid destinations", "The body must be a JSON array of destinations.");
        var errors = catalog.Replace(list);
        return errors.Count > 0 ? Problem(400, "Invalid destinations", string.Join(" ", errors)) : Results.Json(catalog.All.Select(Redact), Json);
    }

    /// <summary>Storage Commitment asked again for a delivered item whose commitment failed or timed out (PS3.4 J.3.2):
    /// 202 with the item as recorded after the N-ACTION-RSP (the report may come later).</summary>
    private static async Task<IResult> RerequestCommitmentAsync(Guid id, [FromServices] ExportCommitment commitment, CancellationToken ct)
    {
        var (outcome, item) = await commitment.RerequestAsync(id, ct);
        return outcome switch
        {
            CommitmentRerequest.NotFound => Problem(404, "Unknown delivery", $"No delivery has the id {id}."),
            CommitmentRerequest.NotFailedOrTimedOut => Problem(409, "Nothing to ask again", "Only a delivered item whose storage commitment is Failed or TimedOut can be asked again."),
            CommitmentRerequest.NoDimseDestination => Problem(409, "No DIMSE destination", $"The destination '{item!.Destination}' is not configured, or not a DIMSE destination."),
            _ => Results.Json(item, Json, statusCode: 202),
        };
    }

    private static async Task<IResult> ReadAuditAsync(IAuditTrail audit, string? from, string? to, string? eventCode, string? study, int? limit, CancellationToken ct)
    {
        if (!TryParseTime(from, out var f) || !TryParseTime(to, out var t)) return Problem(400, "Invalid date", "from and to must be ISO 8601 dates or date-times.");
        var rows = await audit.ReadAsync(new AuditQuery(f, t, eventCode, study, limit ?? 1000), ct).ToListAsync(ct);
        return Results.Json(rows, Json);
    }

    /// <summary>Secrets never leave through the API.</summary>
    private static object Redact(ExportDestination d) => new
    {
        d.Name, d.Kind, d.AeTitle, d.Host, d.Port, d.CallingAeTitle, d.Url, d.AllowFallback, d.StorageCommitment,
        bearerToken = d.BearerToken == null ? null : "***", d.BearerTokenFile, d.Username, password = d.Password == null ? null : "***",
        tls = d.Tls == null ? null : new { d.Tls.TrustedCaPath, d.Tls.CertificatePath, d.Tls.KeyPath, keyPassword = d.Tls.KeyPassword == null ? null : "***", d.Tls.ServerName },
    };

    private static bool TryParseEnum<T>(string? text, out T? value) where T : struct, Enum
    {
        value = null;
        if (string.IsNullOrEmpty(text)) return true;
        if (!Enum.TryParse<T>(text, ignoreCase: true, out var v) || int.TryParse(text, out _)) return false;
        value = v;
        return true;
    }

    private static bool TryParseTime(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text)) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v)) return false;
        value = v;
        return true;
    }

    internal static IResult Problem(int status, string title, string? detail) =>
        Results.Text(JsonSerializer.Serialize(new Dictionary<string, object?> { ["type"] = "about:blank", ["title"] = title, ["status"] = status, ["detail"] = detail }), "application/problem+json", statusCode: status);
}
