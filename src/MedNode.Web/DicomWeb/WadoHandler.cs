using System.Buffers;
using System.Text;
using System.Text.Json;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.DicomWeb;

/// <summary>WADO-RS (PS3.18 §10.4): retrieve instances as multipart/related application/dicom, metadata as dicom+json, bulk data.
/// Retrieves and metadata reads are audited (<see cref="DicomWebAudit"/>).</summary>
internal static class WadoHandler
{
    /// <summary>Bytes read from a stored file into the response pipe's memory per step (no copy between), and bytes written between two flushes.</summary>
    private const int CopyBlock = 1 << 20;

    public static async Task<IResult> RetrieveAsync(HttpContext http, string study, string? series, string? instance)
    {
        var instances = await ResolveAsync(http, study, series, instance);
        var (target, asStored, lenient) = ChooseTransferSyntax(http.Request);
        DicomWebAudit.BeginTransferring(http, instances);
        var blobs = http.RequestServices.GetRequiredService<IBlobStore>();
        var boundary = "mednode-" + Guid.NewGuid().ToString("N");
        var closing = Encoding.ASCII.GetBytes($"--{boundary}--\r\n");
        // When every part goes as stored, the body's length is known from the index before the first byte: Content-Length
        // spares the chunked framing, and a client can show progress. Each file's length is checked against it.
        bool knownLength = instances.All(r => r.Size > 0 && IsPassThrough(r, target, asStored));
        var writer = http.Response.BodyWriter;
        bool started = false;
        long unflushed = 0;
        foreach (var record in instances)
        {
            byte[]? transcoded = null;
            string partSyntax = record.TransferSyntaxUid;
            if (!IsPassThrough(record, target, asStored))
            {
                transcoded = Transcode(blobs, record, target!, started, lenient, http);
                if (transcoded != null) partSyntax = target!.Uid;
                else if (!lenient) return Results.Empty;
            }
            // The stored file is checked (as MedNode:Storage:VerifyOnRead says) before its part begins: a corrupted first
            // instance is a 500 problem+json, a later one aborts the response; bytes found corrupted are never sent.
            await using var blob = transcoded == null ? OpenVerified(blobs, record) : null;
            if (knownLength && blob != null && blob.Length != record.Size) throw Corrupted();
            if (!started)
            {
                http.Response.StatusCode = StatusCodes.Status200OK;
                http.Response.ContentType = $"multipart/related; type=\"{MediaTypes.Dicom}\"; boundary={boundary}";
                if (knownLength) http.Response.ContentLength = instances.Sum(r => PartHeader(boundary, r.TransferSyntaxUid).Length + r.Size + 2) + closing.Length;
                started = true;
            }
            var header = PartHeader(boundary, partSyntax);
            writer.Write(header);
            unflushed += header.Length + 2;
            if (transcoded != null)
            {
                writer.Write(transcoded);
                unflushed += transcoded.Length;
            }
            else
            {
                unflushed = await CopyAsync(blob!, blob!.Length, unflushed, http);
            }
            writer.Write("\r\n"u8);
            // The first part goes out at once (the client has the 200 and its first instance); then a flush per MiB.
            unflushed = await FlushWhenDueAsync(writer, unflushed, force: ReferenceEquals(record, instances[0]), http.RequestAborted);
        }
        writer.Write(closing);
        await writer.FlushAsync(http.RequestAborted);
        DicomWebAudit.Transferred(http, instances);
        return Results.Empty;
    }

    private static bool IsPassThrough(InstanceRecord record, DicomTransferSyntax? target, bool asStored) =>
        asStored || string.Equals(record.TransferSyntaxUid, target?.Uid, StringComparison.Ordinal);

    private static byte[] PartHeader(string boundary, string transferSyntax) =>
        Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Type: {MediaTypes.Dicom}; transfer-syntax={transferSyntax}\r\n\r\n");

    /// <summary>
    /// Reads the stored file straight into the response pipe's memory. The reads are synchronous: a stored file comes from
    /// the page cache in microseconds, while an asynchronous file read hands every block to another thread-pool thread and
    /// back, and on 2 cores those hand-offs cost more than the copy. The pipe is flushed (with back-pressure) whenever
    /// <see cref="CopyBlock"/> bytes are waiting, not per file, so that the socket sends large blocks and the request's
    /// thread and Kestrel's output loop trade places a few times per MiB instead of once per instance. Returns the bytes
    /// written and not yet flushed.
    /// </summary>
    private static async Task<long> CopyAsync(Stream source, long length, long unflushed, HttpContext http)
    {
        var writer = http.Response.BodyWriter;
        var handle = (source as FileStream)?.SafeFileHandle;
        long offset = 0;
        for (long left = length; left > 0;)
        {
            var memory = writer.GetMemory((int)Math.Min(CopyBlock, left));
            if (memory.Length > left) memory = memory[..(int)left];
            int n = handle != null ? RandomAccess.Read(handle, memory.Span, offset) : await source.ReadAsync(memory, http.RequestAborted);
            // The file shrank after it was opened: the part can no longer be whole.
            if (n == 0) throw Corrupted();
            writer.Advance(n);
            offset += n;
            left -= n;
            unflushed = await FlushWhenDueAsync(writer, unflushed + n, force: false, http.RequestAborted);
        }
        return unflushed;
    }

    /// <summary>Flushes the response pipe when <see cref="CopyBlock"/> bytes are waiting (or when forced); returns the bytes still unflushed.</summary>
    private static async ValueTask<long> FlushWhenDueAsync(System.IO.Pipelines.PipeWriter writer, long unflushed, bool force, CancellationToken cancellationToken)
    {
        if (!force && unflushed < CopyBlock) return unflushed;
        await writer.FlushAsync(cancellationToken);
        return 0;
    }

    /// <summary>Transcodes one instance; before the response has started a failure is a 406, after it the connection is aborted.</summary>
    /// <remarks>With <paramref name="lenient"/> (no transfer-syntax asked for) a failure returns null and the instance goes as stored.</remarks>
    private static byte[]? Transcode(IBlobStore blobs, InstanceRecord record, DicomTransferSyntax target, bool started, bool lenient, HttpContext http)
    {
        using var blob = OpenVerified(blobs, record);
        try
        {
            var file = DicomFile.Read(blob);
            var ds = DicomTranscoder.Transcode(file.Dataset, file.TransferSyntax, target);
            using var ms = new MemoryStream();
            DicomFileWriter.Write(ms, ds, target, file.Meta);
            return ms.ToArray();
        }
        catch (Exception e) when (e is DicomParseException or DicomValueException or NotSupportedException or InvalidOperationException or ArgumentException or IOException)
        {
            if (lenient) return null;
            if (!started)
                throw new DicomWebException(StatusCodes.Status406NotAcceptable, "Not acceptable",
                    $"An instance stored as {record.TransferSyntaxUid} cannot be returned in transfer syntax {target.Uid}.");
            http.Abort();
            return null;
        }
    }

    /// <summary>
    /// PS3.18 §8.7.3.5: <c>multipart/related; type="application/dicom"</c> with an optional <c>transfer-syntax</c> (<c>*</c>: as
    /// stored). Without the parameter, Explicit VR Little Endian is the default where the stored data is uncompressed or can be
    /// decoded, else as stored. Only uncompressed targets are produced; asking for another compressed syntax is a 406.
    /// </summary>
    private static (DicomTransferSyntax? Target, bool AsStored, bool Lenient) ChooseTransferSyntax(HttpRequest request)
    {
        foreach (var range in MediaTypes.Accepted(request))
        {
            var mediaType = range.MediaType.ToString();
            string? type = MediaTypes.Parameter(range, "type");
            bool ok = mediaType == "*/*"
                || (mediaType == MediaTypes.MultipartRelated && (type == null || type == MediaTypes.Dicom || type == "*/*"));
            if (!ok) continue;
            var ts = MediaTypes.Parameter(range, "transfer-syntax");
            if (ts == null) return (DicomTransferSyntax.ExplicitVRLittleEndian, false, true);
            if (ts == "*") return (null, true, false);
            if (!DicomTransferSyntax.IsKnown(ts)) continue;
            var target = DicomTransferSyntax.Lookup(ts);
            if (target.IsEncapsulated) continue;
            return (target, false, false);
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable, "Not acceptable",
            "Instances are available as multipart/related; type=\"application/dicom\" with transfer-syntax=* or an uncompressed transfer syntax.");
    }

    public static async Task<IResult> MetadataAsync(HttpContext http, string study, string? series, string? instance)
    {
        var instances = await ResolveAsync(http, study, series, instance);
        MediaTypes.RequireAcceptable(http.Request, MediaTypes.DicomJson, "application/json");
        var blobs = http.RequestServices.GetRequiredService<IBlobStore>();
        var baseUrl = DicomWebEndpoints.BaseUrl(http.Request);
        // The body depends on the stored instances and, through BulkDataURI, on the base URL.
        if (EntityTags.Apply(http, EntityTags.ForInstances(instances, "metadata " + baseUrl)) is { } notModified) return notModified;
        DicomWebAudit.InstancesRead(http, instances);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = MediaTypes.DicomJson;
        await using var w = new Utf8JsonWriter(http.Response.BodyWriter);
        w.WriteStartArray();
        foreach (var r in instances)
        {
            var file = DicomFile.Open(CheckedPath(blobs, r));
            var instanceUrl = $"{baseUrl}/studies/{r.StudyInstanceUid}/series/{r.SeriesInstanceUid}/instances/{r.SopInstanceUid}";
            var options = new DicomJsonWriterOptions
            {
                Indented = false,
                // PS3.18 §F.2.6: large values by reference; only top-level values have a bulkdata resource here.
                BulkDataUri = (path, item) => path.Count <= 1 ? $"{instanceUrl}/bulkdata/{item.Tag.ToHexString()}" : null,
            };
            DicomJsonWriter.WriteDataset(w, file.Dataset, options, []);
            await w.FlushAsync(http.RequestAborted);
        }
        w.WriteEndArray();
        await w.FlushAsync(http.RequestAborted);
        return Results.Empty;
    }

    /// <summary>PS3.18 §10.4.1.1.3: a top-level bulk data value as one octet-stream part.</summary>
    public static async Task<IResult> BulkDataAsync(HttpContext http, string study, string series, string instance, string tagText)
    {
        var record = (await ResolveAsync(http, study, series, instance))[0];
        if (tagText.Length != 8 || !DicomTag.TryParse(tagText, out var tag))
            throw new DicomWebException(StatusCodes.Status400BadRequest, "Invalid tag", "The bulk data path must end in eight hex digits.");
        MediaTypes.RequireAcceptable(http.Request, MediaTypes.MultipartRelated);
        DicomFile file;
        using (var blob = OpenVerified(http.RequestServices.GetRequiredService<IBlobStore>(), record)) file = DicomFile.Read(blob);
        if (file.Dataset[tag] is not DicomElement)
            throw new DicomWebException(StatusCodes.Status404NotFound, "Not found", "The instance holds no such bulk data value.");
        var bytes = file.Dataset.GetBytes(tag);
        DicomWebAudit.InstancesUsed(http, [record]);
        var boundary = "mednode-" + Guid.NewGuid().ToString("N");
        http.Response.ContentType = $"multipart/related; type=\"{MediaTypes.OctetStream}\"; boundary={boundary}";
        await WriteAsciiAsync(http, $"--{boundary}\r\nContent-Type: {MediaTypes.OctetStream}\r\n\r\n");
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        await WriteAsciiAsync(http, $"\r\n--{boundary}--\r\n");
        return Results.Empty;
    }

    /// <summary>Opens a stored instance, checked against the SHA-256 recorded at ingest as the read policy says; a mismatch is a 500, never data.</summary>
    private static Stream OpenVerified(IBlobStore blobs, InstanceRecord record)
    {
        try
        {
            return blobs.OpenRead(record.BlobKey, record.Sha256);
        }
        catch (BlobIntegrityException)
        {
            throw Corrupted();
        }
    }

    /// <summary>The path of a stored instance for a lazy parse, checked as <see cref="OpenVerified"/> is; a mismatch is a 500.</summary>
    internal static string CheckedPath(IBlobStore blobs, InstanceRecord record)
    {
        try
        {
            return blobs.GetCheckedPath(record.BlobKey, record.Sha256);
        }
        catch (BlobIntegrityException)
        {
            throw Corrupted();
        }
    }

    internal static DicomWebException Corrupted() => new(StatusCodes.Status500InternalServerError, "Stored instance corrupted",
        "A stored instance no longer matches the SHA-256 recorded when it was stored.");

    /// <summary>The instances a path names, from the index (never from the path itself); 404 when there are none.</summary>
    internal static async Task<IReadOnlyList<InstanceRecord>> ResolveAsync(HttpContext http, string study, string? series, string? instance)
    {
        DicomWebEndpoints.CheckUid(study);
        DicomWebEndpoints.CheckUid(series);
        DicomWebEndpoints.CheckUid(instance);
        var index = http.RequestServices.GetRequiredService<IInstanceIndex>();
        IReadOnlyList<InstanceRecord> found;
        if (instance != null)
        {
            var r = await index.FindInstanceAsync(instance, http.RequestAborted);
            found = r != null && r.StudyInstanceUid == study && r.SeriesInstanceUid == series ? [r] : [];
        }
        else
        {
            found = await index.GetInstancesAsync(study, series, http.RequestAborted);
        }
        if (found.Count == 0) throw new DicomWebException(StatusCodes.Status404NotFound, "Not found", "No such study, series or instance.");
        return found;
    }

    internal static Task WriteAsciiAsync(HttpContext http, string text) =>
        http.Response.Body.WriteAsync(Encoding.ASCII.GetBytes(text), http.RequestAborted).AsTask();
}
