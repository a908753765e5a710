using MedNode.Core.Audit;
using MedNode.Core.Completion;
using MedNode.Core.Index;
using MedNode.Core.Jobs;
using MedNode.Core.Retention;
using MedNode.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace MedNode.Web.Admin;

/// <summary>
/// Operator actions on the loop under <c>/api/v1</c> (admin role): completing a pending series or study now, running a
/// skipped or failed job again, downloading a job's results (audited as Export, PS3.15 §A.5.3.4) and deleting a study
/// (audited as DICOM Study Deleted, PS3.15 §A.5.3.8). Errors are problem+json (RFC 9457).
/// </summary>
public static class LoopOperationsEndpoints
{
    /// <summary>One unit that <c>POST …/complete</c> completed: the job (if a rule fired) has been queued when the answer comes.</summary>
    public sealed record CompletedUnitView(string StudyInstanceUid, string? SeriesInstanceUid, int Version, int Instances);

    /// <summary>The answer of <c>DELETE /api/v1/studies/{studyUid}</c>.</summary>
    public sealed record StudyDeletedView(string StudyInstanceUid, int Instances, int FilesDeleted);

    public static RouteGroupBuilder MapLoopOperations(this RouteGroupBuilder g)
    {
        g.MapGet("/completion/pending", ([FromServices] CompletionTracker tracker) => Results.Json(tracker.Pending(), AdminEndpoints.Json))
            .WithName("ListPendingUnits").WithTags("Completion").WithSummary("The series or studies still waiting for completion (quiet period, release or required series).");
        g.MapPost("/completion/studies/{studyUid}/complete", async (string studyUid, [FromServices] CompletionTracker tracker, CancellationToken ct) =>
                Completed(await tracker.CompleteStudyNowAsync(studyUid, ct), $"Nothing of the study {studyUid} is waiting for completion."))
            .WithName("CompleteStudyNow").WithTags("Completion").WithSummary("Completes every pending unit of the study now, without waiting for the quiet period.");
        g.MapPost("/completion/series/{seriesUid}/complete", async (string seriesUid, [FromServices] CompletionTracker tracker, CancellationToken ct) =>
                Completed(await tracker.CompleteSeriesNowAsync(seriesUid, ct), $"Nothing of the series {seriesUid} is waiting for completion."))
            .WithName("CompleteSeriesNow").WithTags("Completion").WithSummary("Completes the pending unit that holds the series now (its study's, when grouped by study).");

        g.MapPost("/jobs/{id:guid}/retry", RetryJobAsync)
            .WithName("RetryJob").WithTags("Jobs").WithSummary("Queues a skipped or failed job again (same inputs, model and idempotency key); never a succeeded one.");
        g.MapGet("/jobs/{id:guid}/result", DownloadResultAsync)
            .WithName("DownloadJobResult").WithTags("Jobs").WithSummary("The results of a succeeded job as a JSON download; audited as Export (PS3.15 A.5.3.4).");

        g.MapDelete("/studies/{studyUid}", DeleteStudyAsync)
            .WithName("DeleteStudy").WithTags("Studies").WithSummary("Deletes a study's files and index rows; audited as DICOM Study Deleted (PS3.15 A.5.3.8).");
        return g;
    }

    private static IResult Completed(IReadOnlyList<CompletedUnit> units, string none) =>
        units.Count == 0
            ? AdminEndpoints.Problem(404, "Nothing pending", none)
            : Results.Json(units.Select(u => new CompletedUnitView(u.StudyInstanceUid, u.SeriesInstanceUid, u.Version, u.SopInstanceUids.Count)), AdminEndpoints.Json);

    private static async Task<IResult> RetryJobAsync(Guid id, [FromServices] IJobQueue jobs, CancellationToken ct) =>
        await jobs.RequeueAsync(id, ct) switch
        {
            RequeueOutcome.NotFound => AdminEndpoints.Problem(404, "Unknown job", $"No job has the id {id}."),
            RequeueOutcome.NotSkippedOrFailed => AdminEndpoints.Problem(409, "Not skipped or failed",
                "Only a skipped or failed job can run again: a queued or running one would run twice, a succeeded or superseded one is final."),
            RequeueOutcome.LaterVersionExists => AdminEndpoints.Problem(409, "Later version exists",
                "A later version of this job's series or study exists for the same model; it holds every input of this one."),
            _ => Results.Json(await jobs.GetAsync(id, ct), AdminEndpoints.Json, statusCode: 202),
        };

    /// <summary>
    /// The job's results (the SEG/SR UIDs and the measurements) leave MedNode as a file the user keeps: Export (PS3.15
    /// §A.5.3.4, EV 110106, action R) with the user as requestor, MedNode as Source, the download URI as Destination Media
    /// (110154, media type 110037 URI), the study and its patient. Written to the trail before the body is sent.
    /// </summary>
    private static async Task<IResult> DownloadResultAsync(Guid id, HttpContext http, [FromServices] IJobQueue jobs, [FromServices] IInstanceIndex index,
        [FromServices] IAuditTrail audit, CancellationToken ct)
    {
        var job = await jobs.GetAsync(id, ct);
        if (job == null) return AdminEndpoints.Problem(404, "Unknown job", $"No job has the id {id}.");
        if (job.State != JobState.Succeeded || job.ResultJson == null)
            return AdminEndpoints.Problem(409, "No result", $"The job is {job.State}; only a succeeded job has results to download.");
        string? patientId = null;
        foreach (var sop in job.InputSopInstanceUids.Take(1))
            patientId = (await index.FindInstanceAsync(sop, ct))?.PatientId is { Length: > 0 } p ? p : null;
        var uri = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{http.Request.Path}";
        await audit.AppendAsync(new AuditEvent(AuditEventType.Export, AuditAction.R, AuditOutcome.Success,
            [
                new AuditParticipant(SecurityAuditor.UserName(http) ?? "anonymous", SecurityAuditor.ClientAddress(http), true),
                new AuditParticipant("mednode", http.Request.Host.Host, false, "Source"),
                new AuditParticipant(uri, null, false, "DestinationMedia"),
            ],
            job.StudyInstanceUid, patientId, $"analysis results of job {job.Id} (model {job.ModelId}, version {job.Version}) downloaded as JSON"), CancellationToken.None);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"job-{job.Id}-result.json\"";
        return Results.Text(job.ResultJson, "application/json");
    }

    /// <summary>Index rows first, then files (<see cref="StudyDeletionService"/>); the deleting user is the participant of the Study Deleted event.</summary>
    private static async Task<IResult> DeleteStudyAsync(string studyUid, HttpContext http, [FromServices] StudyDeletionService deletion, CancellationToken ct)
    {
        if (studyUid.Length is 0 or > 64 || !studyUid.All(c => char.IsAsciiDigit(c) || c == '.'))
            return AdminEndpoints.Problem(400, "Invalid Study Instance UID", "A UID is up to 64 digits and dots (PS3.5 §9.1).");
        var deleted = await deletion.DeleteStudyAsync(studyUid, ct, new AuditParticipant(SecurityAuditor.UserName(http) ?? "anonymous", SecurityAuditor.ClientAddress(http), true));
        return deleted.Instances == 0
            ? AdminEndpoints.Problem(404, "Unknown study", $"No instance of the study {studyUid} is held.")
            : Results.Json(new StudyDeletedView(deleted.StudyInstanceUid, deleted.Instances, deleted.BlobsDeleted), AdminEndpoints.Json);
    }
}
