using MedNode.Core.Ingest;
using MedNode.Core.Jobs;
using MedNode.Core.Upload;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MedNode.Web.Admin;

/// <summary>
/// The upload API: <c>POST /api/v1/upload</c> takes one file as the raw body or as the first file of a
/// multipart/form-data body (DICOM, NIfTI-1 .nii/.nii.gz, JPEG, PNG, detected by magic bytes). The answer is 202 with
/// the stored instances and, when a model is named, the analysis job id to poll at <c>/api/v1/upload/jobs/{id}</c>.
/// </summary>
public static class UploadEndpoints
{
    public static RouteGroupBuilder MapMedNodeUpload(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(AdminEndpoints.Prefix + "/upload").RequireMedNodeRole(MedNodeRoles.Sender);
        g.MapPost("", UploadAsync).DisableAntiforgery();
        g.MapGet("/jobs/{id:guid}", async (Guid id, IJobQueue jobs, CancellationToken ct) =>
            await jobs.GetAsync(id, ct) is { RuleName: "upload" } job ? Results.Json(job, AdminEndpoints.Json) : AdminEndpoints.Problem(404, "Unknown upload job", $"No upload job has the id {id}."));
        g.MapGet("/jobs", async (IJobQueue jobs, string? status, string? from, string? to, CancellationToken ct) =>
        {
            if (!string.IsNullOrEmpty(status) && (!Enum.TryParse<JobState>(status, true, out _) || int.TryParse(status, out _))) return AdminEndpoints.Problem(400, "Invalid status", "Unknown job status.");
            if (!Time(from, out var f) || !Time(to, out var t)) return AdminEndpoints.Problem(400, "Invalid date", "from and to must be ISO 8601 dates or date-times.");
            JobState? state = string.IsNullOrEmpty(status) ? null : Enum.Parse<JobState>(status, true);
            var list = await jobs.ListAsync(new JobFilter(state, null, f, t, 1000), ct).Where(j => j.RuleName == "upload").ToListAsync(ct);
            return Results.Json(list, AdminEndpoints.Json);
        });
        return g;
    }

    private static async Task<IResult> UploadAsync(HttpContext http, UploadService uploads, string? modality, string? model, string? patientId, string? patientName, string? studyDescription, CancellationToken ct)
    {
        Stream body = http.Request.Body;
        string? fileName = null;
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync(ct);
            var file = form.Files.FirstOrDefault();
            if (file == null) return AdminEndpoints.Problem(400, "No file", "The multipart/form-data body holds no file.");
            body = file.OpenReadStream();
            fileName = file.FileName;
        }
        try
        {
            var source = new IngestSource("UPLOAD", RemoteHost: http.Connection.RemoteIpAddress?.ToString(), User: http.User.Identity?.Name);
            var result = await uploads.UploadAsync(body, new UploadRequest(modality, model, patientId, patientName, studyDescription, fileName), source, ct);
            return Results.Json(new
            {
                format = result.Format.ToString(),
                studyInstanceUid = result.StudyInstanceUid,
                seriesInstanceUid = result.SeriesInstanceUid,
                sopInstanceUids = result.SopInstanceUids,
                jobId = result.JobId,
                jobUrl = result.JobId is { } id ? $"{AdminEndpoints.Prefix}/upload/jobs/{id}" : null,
            }, AdminEndpoints.Json, statusCode: StatusCodes.Status202Accepted);
        }
        catch (UploadRejectedException e)
        {
            return AdminEndpoints.Problem(e.UnsupportedMediaType ? 415 : 400, e.UnsupportedMediaType ? "Unsupported upload" : "Invalid upload", e.Message);
        }
    }

    private static bool Time(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text)) return true;
        if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var v)) return false;
        value = v;
        return true;
    }
}
