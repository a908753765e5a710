using MedNode.Core.Ingest;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.Dicom.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace MedNode.Web.DicomWeb;

/// <summary>
/// STOW-RS (PS3.18 §10.5): a multipart/related body of application/dicom parts, read as a stream part by part into
/// temporary files in the blob store's folder and handed one by one to the ingest service (never buffered whole).
/// </summary>
internal static class StowHandler
{
    /// <summary>PS3.4 Annex B.2.3 "Cannot understand": a part that is not a DICOM file.</summary>
    public const ushort CannotUnderstand = 0xC000;

    /// <summary>PS3.4 Annex B.2.3 0xA900 "Data Set does not match SOP Class", used for an instance outside the target study.</summary>
    public const ushort DatasetDoesNotMatch = 0xA900;

    /// <summary>PS3.4 Annex B.2.3 0xA700 "Refused: Out of Resources", as the ingest service reports a store below its watermark.</summary>
    public const ushort OutOfResources = 0xA700;

    /// <summary>PS3.4 Annex B.2.3 "Processing failure"-class code used for an unsupported part media type.</summary>
    public const ushort UnsupportedMediaType = 0xC122;

    /// <summary>The longest multipart boundary accepted (see <see cref="HandleAsync"/>).</summary>
    public const int MaxBoundaryLength = 200;

    public static async Task<IResult> HandleAsync(HttpContext http, string? targetStudy)
    {
        DicomWebEndpoints.CheckUid(targetStudy);
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals(MediaTypes.MultipartRelated, StringComparison.OrdinalIgnoreCase)
            || MediaTypes.Parameter(contentType, "type") is { } type && !type.Equals(MediaTypes.Dicom, StringComparison.OrdinalIgnoreCase))
            throw new DicomWebException(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "STOW-RS takes multipart/related; type=\"application/dicom\".");
        var boundary = MediaTypes.Parameter(contentType, "boundary");
        // RFC 2046 §5.1.1 allows 70 characters, but Orthanc 1.10's DICOMweb client sends 73 (two UUIDs): accept up to
        // MaxBoundaryLength, which still bounds what the multipart reader must buffer.
        if (string.IsNullOrEmpty(boundary) || boundary.Length > MaxBoundaryLength)
            throw new DicomWebException(StatusCodes.Status400BadRequest, "Bad multipart body", "The boundary parameter is missing or too long.");

        // The body streams to temporary files part by part, so Kestrel's whole-body limit does not apply here;
        // the ingest service's disk watermark guards the disk.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var blobs = http.RequestServices.GetRequiredService<IBlobStore>();
        var ingest = http.RequestServices.GetRequiredService<IIngestService>();
        var baseUrl = DicomWebEndpoints.BaseUrl(http.Request);
        var source = new IngestSource("STOW-RS", RemoteHost: http.Connection.RemoteIpAddress?.ToString());
        var referenced = new List<DicomDataset>();
        var failed = new List<DicomDataset>();
        var studies = new HashSet<string>(StringComparer.Ordinal);
        var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = null };
        bool malformed = false, outOfResources = false;
        while (true)
        {
            MultipartSection? section;
            try
            {
                section = await reader.ReadNextSectionAsync(http.RequestAborted);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                malformed = true;
                break;
            }
            if (section == null) break;
            if (section.ContentType is { } partType
                && !(MediaTypeHeaderValue.TryParse(partType, out var partMedia) && partMedia.MediaType.Equals(MediaTypes.Dicom, StringComparison.OrdinalIgnoreCase)))
            {
                failed.Add(Failure(null, null, UnsupportedMediaType));
                continue;
            }
            var temp = Path.Combine(blobs.TempDirectory, "stow-" + Guid.NewGuid().ToString("N") + ".part");
            try
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                    await section.Body.CopyToAsync(file, http.RequestAborted);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                File.Delete(temp);
                failed.Add(Failure(null, null, CannotUnderstand));
                malformed = true;
                break;
            }
            var (outcome, studyUid, seriesUid) = await IngestPartAsync(ingest, temp, source, targetStudy, http.RequestAborted);
            if (outcome.IsSuccess)
            {
                studies.Add(studyUid!);
                var item = Reference(outcome.SopClassUid, outcome.SopInstanceUid);
                item.AddOrUpdate(DicomTags.RetrieveURL, DicomVR.UR, $"{baseUrl}/studies/{studyUid}/series/{seriesUid}/instances/{outcome.SopInstanceUid}");
                referenced.Add(item);
            }
            else
            {
                failed.Add(Failure(outcome.SopClassUid, outcome.SopInstanceUid, outcome.DimseStatus));
                outOfResources |= outcome.DimseStatus == OutOfResources;
            }
        }
        if (referenced.Count == 0 && failed.Count == 0)
            throw new DicomWebException(StatusCodes.Status400BadRequest, "Bad multipart body", malformed ? "The multipart body is malformed." : "The body holds no parts.");

        var response = new DicomDataset();
        if (targetStudy != null || studies.Count == 1)
            response.AddOrUpdate(DicomTags.RetrieveURL, DicomVR.UR, $"{baseUrl}/studies/{targetStudy ?? studies.First()}");
        if (failed.Count > 0) response.AddOrUpdate(DicomTags.FailedSOPSequence, failed.ToArray());
        if (referenced.Count > 0) response.AddOrUpdate(DicomTags.ReferencedSOPSequence, referenced.ToArray());
        // PS3.18 §10.5.3: 200 all stored, 202 some failed, 409 none stored; none stored because the store is out of space
        // (the ingest service's watermark, DIMSE 0xA700) is 507 Insufficient Storage (RFC 4918 §11.5), with the same body.
        int status = failed.Count == 0 ? StatusCodes.Status200OK
            : referenced.Count > 0 ? StatusCodes.Status202Accepted
            : outOfResources ? StatusCodes.Status507InsufficientStorage
            : StatusCodes.Status409Conflict;
        return Results.Text(DicomJsonWriter.Serialize(response, new DicomJsonWriterOptions { Indented = false }), MediaTypes.DicomJson, statusCode: status);
    }

    /// <summary>Reads the UIDs up to the pixel data, checks the target study, then ingests; returns the outcome and study.</summary>
    private static async Task<(IngestResult Outcome, string? StudyUid, string? SeriesUid)> IngestPartAsync(IIngestService ingest, string temp, IngestSource source, string? targetStudy, CancellationToken ct)
    {
        string? sopClass = null, sopInstance = null, study = null, series = null;
        try
        {
            var head = DicomFile.Open(temp, new DicomReadOptions { StopAtPixelData = true });
            sopClass = head.Dataset.GetString(DicomTags.SOPClassUID);
            sopInstance = head.Dataset.GetString(DicomTags.SOPInstanceUID);
            study = head.Dataset.GetString(DicomTags.StudyInstanceUID);
            series = head.Dataset.GetString(DicomTags.SeriesInstanceUID);
        }
        catch (DicomParseException)
        {
            File.Delete(temp);
            return (new IngestResult(IngestOutcome.Failed, CannotUnderstand, null, null, null, "Not a DICOM file."), null, null);
        }
        if (targetStudy != null && study != targetStudy)
        {
            File.Delete(temp);
            return (new IngestResult(IngestOutcome.Failed, DatasetDoesNotMatch, sopClass, sopInstance, study, "Instance is not in the target study."), study, series);
        }
        var result = await ingest.IngestAsync(new IngestRequest(temp, source), ct);
        if (File.Exists(temp) && !result.IsSuccess) File.Delete(temp);
        return (result, result.StudyInstanceUid ?? study, series);
    }

    private static DicomDataset Reference(string? sopClass, string? sopInstance)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, sopClass is null ? Array.Empty<string>() : new[] { sopClass });
        ds.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, sopInstance is null ? Array.Empty<string>() : new[] { sopInstance });
        return ds;
    }

    private static DicomDataset Failure(string? sopClass, string? sopInstance, ushort reason) =>
        Reference(sopClass, sopInstance).AddOrUpdate(DicomTags.FailureReason, reason);
}
