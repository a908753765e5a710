using System.Buffers;
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

    /// <summary>
    /// Parts of one request being committed and indexed at once while the next is received: a sender that posts a whole
    /// study in one body keeps both the network and the disk busy, and concurrent commits share the journal's flush. Each
    /// waiting part is a spooled file, not memory. 16 against 4: the 200-part STOW of bench/dicomweb.sh took a median
    /// 0.80 s against 0.88 s over 10 runs each (bench/RESULTS.md, 2026-11-26 17:40).
    /// </summary>
    public const int MaxPartsInFlight = 16;

    /// <summary>
    /// The multipart reader's buffer: each read of a part's body returns at most this much (its default is 4 KiB). The reader
    /// rents it and never returns it, so it stays under the large-object threshold (85,000 bytes): a new one per request.
    /// </summary>
    private const int ReadBufferBytes = 1 << 16;

    /// <summary>Spooled bytes gathered per write to the spool file.</summary>
    private const int SpoolWriteBytes = 1 << 20;

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
        var reader = new MultipartReader(boundary, http.Request.Body, ReadBufferBytes) { BodyLengthLimit = null };
        bool malformed = false, outOfResources = false;
        // Parts in body order; the ingest of each runs while the next ones are received (at most MaxPartsInFlight at once).
        var parts = new List<Task<PartOutcome>>();
        var sopInstances = new HashSet<string>(StringComparer.Ordinal);
        using var inFlight = new SemaphoreSlim(MaxPartsInFlight);
        try
        {
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
                    parts.Add(Task.FromResult(PartOutcome.Failure(UnsupportedMediaType)));
                    continue;
                }
                var temp = Path.Combine(blobs.TempDirectory, "stow-" + Guid.NewGuid().ToString("N") + ".part");
                try
                {
                    await SpoolAsync(section.Body, temp, http.RequestAborted);
                }
                catch (Exception e) when (e is IOException or InvalidDataException)
                {
                    File.Delete(temp);
                    parts.Add(Task.FromResult(PartOutcome.Failure(CannotUnderstand)));
                    malformed = true;
                    break;
                }
                var (head, refused) = Check(temp, targetStudy);
                if (refused is { } r)
                {
                    parts.Add(Task.FromResult(r));
                    continue;
                }
                // The same instance twice in one body: the second waits for the first, so the duplicate policy sees it stored.
                if (head.SopInstance is { } sop && !sopInstances.Add(sop)) await Task.WhenAll(parts);
                try
                {
                    await inFlight.WaitAsync(http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    File.Delete(temp);
                    throw;
                }
                parts.Add(IngestPartAsync(ingest, temp, source, head, inFlight, http.RequestAborted));
            }
        }
        finally
        {
            // Never leave an ingest running past the request (it owns its spooled file); errors surface below.
            try
            {
                await Task.WhenAll(parts);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The request was aborted or an ingest failed: awaited again (and thrown) below where the request goes on.
            }
        }
        foreach (var part in parts)
        {
            var (outcome, studyUid, seriesUid) = await part;
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

    /// <summary>A part's outcome with the study and series it named (for RetrieveURL).</summary>
    private readonly record struct PartOutcome(IngestResult Outcome, string? StudyUid, string? SeriesUid)
    {
        public static PartOutcome Failure(ushort reason) => new(new IngestResult(IngestOutcome.Failed, reason, null, null, null), null, null);
    }

    /// <summary>A part's UIDs and the part as parsed up to its pixel data (handed to the ingest, which then does not parse it again).</summary>
    private readonly record struct Head(string? SopClass, string? SopInstance, string? Study, string? Series, DicomFile? File);

    /// <summary>
    /// Copies a part's body to its spool file in large writes (the multipart reader hands out at most its buffer at a time).
    /// The writes go to the page cache; the ingest journal makes them durable.
    /// </summary>
    private static async Task SpoolAsync(Stream body, string temp, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(SpoolWriteBytes);
        try
        {
            using var file = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            long offset = 0;
            while (true)
            {
                int filled = 0, n;
                while (filled < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(filled), ct)) > 0) filled += n;
                if (filled == 0) break;
                RandomAccess.Write(file, buffer.AsSpan(0, filled), offset);
                offset += filled;
                if (filled < buffer.Length) break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The UIDs up to the pixel data; a part that is not DICOM, or outside the target study, is refused (and its file deleted).</summary>
    private static (Head Head, PartOutcome? Refused) Check(string temp, string? targetStudy)
    {
        Head head;
        try
        {
            head = ReadHead(temp);
        }
        catch (DicomParseException)
        {
            File.Delete(temp);
            return (default, new PartOutcome(new IngestResult(IngestOutcome.Failed, CannotUnderstand, null, null, null, "Not a DICOM file."), null, null));
        }
        if (targetStudy != null && head.Study != targetStudy)
        {
            File.Delete(temp);
            return (head, new PartOutcome(new IngestResult(IngestOutcome.Failed, DatasetDoesNotMatch, head.SopClass, head.SopInstance, head.Study, "Instance is not in the target study."), head.Study, head.Series));
        }
        return (head, null);
    }

    private static Head ReadHead(string temp)
    {
        var file = DicomFile.Open(temp, new DicomReadOptions { StopAtPixelData = true });
        var ds = file.Dataset;
        return new Head(ds.GetString(DicomTags.SOPClassUID), ds.GetString(DicomTags.SOPInstanceUID), ds.GetString(DicomTags.StudyInstanceUID), ds.GetString(DicomTags.SeriesInstanceUID), file);
    }

    /// <summary>Ingests a checked part, then frees its place among the parts in flight.</summary>
    private static async Task<PartOutcome> IngestPartAsync(IIngestService ingest, string temp, IngestSource source, Head head, SemaphoreSlim inFlight, CancellationToken ct)
    {
        try
        {
            await Task.Yield(); // the request goes on receiving the next part
            var result = await ingest.IngestAsync(new IngestRequest(temp, source, Parsed: head.File), ct);
            if (File.Exists(temp) && !result.IsSuccess) File.Delete(temp);
            return new PartOutcome(result, result.StudyInstanceUid ?? head.Study, head.Series);
        }
        finally
        {
            inFlight.Release();
        }
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
