using System.Text.Json;
using MedNode.Core.Audit;
using MedNode.Core.Query;
using MedNode.Dicom;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.DicomWeb;

/// <summary>QIDO-RS (PS3.18 §10.6): search for studies, series and instances with the one matcher C-FIND also uses; each search is audited as Query (<see cref="DicomWebAudit"/>).</summary>
internal static class QidoHandler
{
    public static async Task<IResult> HandleAsync(HttpContext http, QueryLevel level, string? study, string? series)
    {
        DicomWebEndpoints.CheckUid(study);
        DicomWebEndpoints.CheckUid(series);
        MediaTypes.RequireAcceptable(http.Request, MediaTypes.DicomJson, "application/json");
        var options = http.RequestServices.GetRequiredService<DicomWebOptions>();
        var index = http.RequestServices.GetRequiredService<IQueryIndex>();
        var parameters = http.Request.Query.Select(kv => new KeyValuePair<string, IReadOnlyList<string>>(kv.Key, [.. kv.Value.Select(v => v ?? "")]));
        DicomQuery query;
        try
        {
            query = DicomQueryParser.FromQido(level, parameters, study, series);
        }
        catch (QueryParseException e)
        {
            DicomWebAudit.Query(http, null, study, AuditOutcome.MinorFailure, e.Message);
            throw;
        }
        DicomWebAudit.Query(http, query, study, AuditOutcome.Success, null);
        int limit = Math.Min(query.Limit ?? options.MaxQueryResults, options.MaxQueryResults);
        var attributes = QueryResponseBuilder.QidoAttributes(query, includeParentLevels: study == null);
        var baseUrl = DicomWebEndpoints.BaseUrl(http.Request);

        // One more than the limit tells whether the result was truncated (PS3.18 §8.3.4.4: Warning header).
        var results = new List<DicomDataset>();
        bool truncated = false;
        await foreach (var match in index.QueryAsync(query with { Limit = limit + 1 }, http.RequestAborted))
        {
            if (results.Count == limit) { truncated = true; break; }
            results.Add(QueryResponseBuilder.BuildQido(match, attributes, RetrieveUrl(baseUrl, match)));
        }
        if (truncated)
            http.Response.Headers.Append("Warning", $"299 {http.Request.Host}: \"The number of results exceeded the maximum supported by the server. Additional results can be requested.\"");
        // The result is at most MaxQueryResults datasets: serialized once, its hash is the ETag (RFC 9110 §8.8.3).
        var body = new System.Buffers.ArrayBufferWriter<byte>();
        await using (var writer = new Utf8JsonWriter(body))
            MedNode.Dicom.Json.DicomJsonWriter.WriteArray(writer, results, new MedNode.Dicom.Json.DicomJsonWriterOptions { Indented = false });
        if (EntityTags.Apply(http, EntityTags.ForBytes(body.WrittenSpan)) is { } notModified) return notModified;
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = MediaTypes.DicomJson;
        await http.Response.Body.WriteAsync(body.WrittenMemory, http.RequestAborted);
        return Results.Empty;
    }

    private static string RetrieveUrl(string baseUrl, QueryMatch match)
    {
        var r = match.Representative;
        return match.Level switch
        {
            QueryLevel.Series => $"{baseUrl}/studies/{r.StudyInstanceUid}/series/{r.SeriesInstanceUid}",
            QueryLevel.Image => $"{baseUrl}/studies/{r.StudyInstanceUid}/series/{r.SeriesInstanceUid}/instances/{r.SopInstanceUid}",
            _ => $"{baseUrl}/studies/{r.StudyInstanceUid}",
        };
    }
}
