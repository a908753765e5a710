using System.IO.Compression;
using MedNode.Core.Imaging.Nifti;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Jobs;
using MedNode.Core.Storage;
using MedNode.Dicom;

namespace MedNode.Core.Upload;

/// <summary>What the uploader says about an upload (all optional).</summary>
/// <param name="Modality">For NIfTI: CT or MR.</param>
/// <param name="Model">The model to analyse with; none queues no job.</param>
public sealed record UploadRequest(string? Modality = null, string? Model = null, string? PatientId = null, string? PatientName = null, string? StudyDescription = null, string? FileName = null);

/// <summary>The stored instances and the analysis job, if one was queued.</summary>
public sealed record UploadResult(UploadFormat Format, string StudyInstanceUid, string SeriesInstanceUid, IReadOnlyList<string> SopInstanceUids, Guid? JobId);

/// <summary>
/// The upload use case (the REST upload API): DICOM, NIfTI-1 (.nii, .nii.gz) and JPEG/PNG, detected from their magic
/// bytes. NIfTI becomes a CT or MR series, JPEG/PNG a Secondary Capture; everything enters through the one ingest path,
/// and an analysis job is queued when a model is named. Nothing is stored when the upload is rejected.
/// </summary>
public sealed class UploadService(IIngestService ingest, IBlobStore blobs, IInstanceIndex index, IJobQueue jobs, IAnalysisRunner models, TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public long MaxUploadBytes { get; init; } = 4L << 30;

    public async Task<UploadResult> UploadAsync(Stream body, UploadRequest request, IngestSource source, CancellationToken cancellationToken)
    {
        string? modelSha = null;
        if (request.Model is { } model && (modelSha = models.ModelSha256(model)) == null) throw new UploadRejectedException($"model '{model}' is not installed");
        var spool = Path.Combine(blobs.TempDirectory, "upload-" + Guid.NewGuid().ToString("N") + ".part");
        var made = new List<string>();
        try
        {
            await using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += n;
                    if (total > MaxUploadBytes) throw new UploadRejectedException($"the upload is larger than {MaxUploadBytes} bytes");
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                }
            }
            var head = new byte[UploadFormatDetector.HeaderLength];
            int headLength;
            await using (var f = File.OpenRead(spool)) headLength = await f.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
            var format = UploadFormatDetector.Detect(head.AsSpan(0, headLength));
            var now = _time.GetUtcNow();
            var id = new UploadIdentity(request.PatientId ?? "UPLOAD-" + now.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture), request.PatientName ?? "", DicomImplementation.NewUid(), DicomImplementation.NewUid(),
                request.StudyDescription ?? "Upload", request.FileName is { Length: > 0 } name ? Path.GetFileName(name) : "Upload", now);
            List<(string Path, string SopInstanceUid)> files;
            switch (format)
            {
                case UploadFormat.Dicom:
                    files = [(spool, "")];
                    break;
                case UploadFormat.Nifti or UploadFormat.NiftiGzip:
                    files = WriteAll(FromNifti(spool, format, request, id), made);
                    break;
                case UploadFormat.Png:
                    await using (var f = File.OpenRead(spool)) files = WriteAll([SecondaryCaptureFromImage.FromPng(PngDecoder.Decode(f), id)], made);
                    break;
                case UploadFormat.Jpeg:
                    files = WriteAll([SecondaryCaptureFromImage.FromJpeg(await File.ReadAllBytesAsync(spool, cancellationToken), id)], made);
                    break;
                default:
                    throw new UploadRejectedException("the upload is not DICOM, NIfTI-1, JPEG or PNG (by its magic bytes)", unsupportedMediaType: true);
            }

            var stored = new List<string>();
            string? study = null, series;
            foreach (var (path, _) in files)
            {
                var result = await ingest.IngestAsync(new IngestRequest(path, source), cancellationToken);
                if (!result.IsSuccess) throw new UploadRejectedException($"an instance could not be stored: {result.Reason}");
                stored.Add(result.SopInstanceUid!);
                study ??= result.StudyInstanceUid;
            }
            series = (await index.FindInstanceAsync(stored[0], cancellationToken))?.SeriesInstanceUid ?? id.SeriesInstanceUid;
            Guid? jobId = null;
            if (request.Model is { } m && modelSha != null)
            {
                var job = await jobs.EnqueueAsync(new JobRequest($"UPLOAD|{study}|{series}", 1, study!, series, stored, m, modelSha, "upload", []), cancellationToken);
                jobId = job.Job.Id;
            }
            return new UploadResult(format, study!, series ?? "", stored, jobId);
        }
        catch (InvalidDataException ex)
        {
            throw new UploadRejectedException(ex.Message);
        }
        catch (NotSupportedException ex)
        {
            throw new UploadRejectedException(ex.Message, unsupportedMediaType: true);
        }
        catch (EndOfStreamException ex)
        {
            throw new UploadRejectedException("the upload is truncated: " + ex.Message);
        }
        finally
        {
            TryDelete(spool);
            foreach (var p in made) TryDelete(p);
        }
    }

    private static IEnumerable<(DicomDataset, DicomTransferSyntax)> FromNifti(string spool, UploadFormat format, UploadRequest request, UploadIdentity id)
    {
        NiftiImage image;
        using (var f = File.OpenRead(spool))
        using (var s = format == UploadFormat.NiftiGzip ? new GZipStream(f, CompressionMode.Decompress) : (Stream)f)
        {
            try
            {
                image = NiftiReader.Read(s);
            }
            catch (InvalidDataException ex) when (format == UploadFormat.NiftiGzip && ex.Message.StartsWith("Not a", StringComparison.Ordinal))
            {
                throw new UploadRejectedException("the gzip upload does not hold a NIfTI-1 image", unsupportedMediaType: true);
            }
        }
        var modality = (request.Modality ?? "CT").ToUpperInvariant();
        return NiftiToDicom.Convert(image, modality, id).Select(ds => (ds, DicomTransferSyntax.ExplicitVRLittleEndian));
    }

    private List<(string Path, string SopInstanceUid)> WriteAll(IEnumerable<(DicomDataset Dataset, DicomTransferSyntax Ts)> objects, List<string> made)
    {
        var files = new List<(string, string)>();
        foreach (var (ds, ts) in objects)
        {
            var path = Path.Combine(blobs.TempDirectory, "upload-" + Guid.NewGuid().ToString("N") + ".dcm");
            made.Add(path);
            using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write)) DicomFileWriter.Write(f, ds, ts);
            files.Add((path, ds.GetString(DicomTags.SOPInstanceUID)!));
        }
        return files;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
