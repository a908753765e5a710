using System.Globalization;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.Imaging;
using MedNode.Dicom.Imaging.Codecs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.DicomWeb;

/// <summary>
/// WADO-RS Retrieve Frames (PS3.18 §10.4 (frames)): the listed frames of one instance as multipart/related parts, uncompressed as
/// application/octet-stream (Explicit VR Little Endian pixel bytes) or as the stored compressed bitstream (PS3.18 §8.7.3).
/// </summary>
internal static class FramesHandler
{
    /// <summary>The longest frame list accepted, checked before it is split.</summary>
    private const int MaxFrameListLength = 64 * 1024;

    public static async Task<IResult> RetrieveAsync(HttpContext http, string study, string series, string instance, string frameList)
    {
        var record = (await WadoHandler.ResolveAsync(http, study, series, instance))[0];
        var blobs = http.RequestServices.GetRequiredService<IBlobStore>();
        var file = DicomFile.Open(WadoHandler.CheckedPath(blobs, record));
        var pixels = DicomPixelData.Create(file.Dataset)
            ?? throw new DicomWebException(StatusCodes.Status404NotFound, "Not found", "The instance has no pixel data.");
        var frames = ParseFrameList(frameList, pixels.NumberOfFrames);
        var (partType, partSyntax, decode) = Choose(http.Request, file.TransferSyntax);
        DicomWebAudit.InstancesUsed(http, [record]);

        var boundary = "mednode-" + Guid.NewGuid().ToString("N");
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = $"multipart/related; type=\"{partType}\"; boundary={boundary}";
        var baseUrl = DicomWebEndpoints.BaseUrl(http.Request);
        foreach (var number in frames)
        {
            byte[] bytes;
            try
            {
                bytes = !pixels.IsEncapsulated ? pixels.GetNativeFrame(number - 1)
                    : decode ? DicomCodecRegistry.Default.Decode(file.TransferSyntax.Uid, pixels.GetEncapsulatedFrame(number - 1), pixels.Info).Data
                    : pixels.GetEncapsulatedFrame(number - 1);
            }
            catch (Exception e) when (e is DicomCodecException or DicomCodecNotSupportedException or DicomValueException)
            {
                if (!http.Response.HasStarted)
                    throw new DicomWebException(StatusCodes.Status406NotAcceptable, "Not acceptable", $"Frame {number} cannot be returned as {partType}: {e.Message}");
                http.Abort();
                return Results.Empty;
            }
            await WadoHandler.WriteAsciiAsync(http,
                $"--{boundary}\r\nContent-Type: {partType}; transfer-syntax={partSyntax}\r\nContent-Location: {baseUrl}/studies/{study}/series/{series}/instances/{instance}/frames/{number}\r\n\r\n");
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
            await WadoHandler.WriteAsciiAsync(http, "\r\n");
        }
        await WadoHandler.WriteAsciiAsync(http, $"--{boundary}--\r\n");
        return Results.Empty;
    }

    /// <summary>PS3.18 §10.4 (frame list): comma-separated 1-based frame numbers; 400 when malformed, 404 when beyond the instance.</summary>
    internal static IReadOnlyList<int> ParseFrameList(string text, int numberOfFrames)
    {
        if (text.Length == 0 || text.Length > MaxFrameListLength)
            throw new DicomWebException(StatusCodes.Status400BadRequest, "Invalid frame list", "The frame list is empty or too long.");
        var result = new List<int>();
        foreach (var item in text.Split(','))
        {
            if (!int.TryParse(item.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                throw new DicomWebException(StatusCodes.Status400BadRequest, "Invalid frame list", "Frame numbers are positive integers separated by commas.");
            result.Add(n);
        }
        if (result.Max() > numberOfFrames)
            throw new DicomWebException(StatusCodes.Status404NotFound, "Not found", $"The instance has {numberOfFrames} frame(s).");
        return result;
    }

    /// <summary>
    /// Picks the part media type and transfer syntax from the Accept ranges, best q first (PS3.18 §8.7.3):
    /// application/octet-stream gives Explicit VR Little Endian pixel bytes (decoding compressed data when a codec can), with
    /// <c>transfer-syntax=*</c> the bytes as stored; an image type (image/jpeg, image/jls, ...) the stored bitstream when the
    /// stored transfer syntax belongs to it. Nothing is re-encoded. 406 when no range can be met.
    /// </summary>
    private static (string PartType, string TransferSyntax, bool Decode) Choose(HttpRequest request, DicomTransferSyntax stored)
    {
        string explicitLe = DicomTransferSyntax.ExplicitVRLittleEndian.Uid;
        bool canDecode = stored.IsEncapsulated && DicomCodecRegistry.Default.IsDecodable(stored.Uid);
        foreach (var range in MediaTypes.Accepted(request))
        {
            var mediaType = range.MediaType.ToString().ToLowerInvariant();
            string? type = MediaTypes.Parameter(range, "type")?.ToLowerInvariant();
            string? ts = MediaTypes.Parameter(range, "transfer-syntax");
            if (mediaType == "*/*" || (mediaType == MediaTypes.MultipartRelated && type is null or "*/*"))
            {
                if (!stored.IsEncapsulated) return (MediaTypes.OctetStream, explicitLe, false);
                if (MediaTypes.ImageTypeOf(stored.Uid) is { } image) return (image, stored.Uid, false);
                if (canDecode) return (MediaTypes.OctetStream, explicitLe, true);
                return (MediaTypes.OctetStream, stored.Uid, false);
            }
            if (mediaType != MediaTypes.MultipartRelated) continue;
            if (type == MediaTypes.OctetStream)
            {
                if (!stored.IsEncapsulated && (ts is null or "*" || ts == explicitLe)) return (MediaTypes.OctetStream, explicitLe, false);
                if (stored.IsEncapsulated && ts == "*") return (MediaTypes.OctetStream, stored.Uid, false);
                if (stored.IsEncapsulated && (ts is null || ts == explicitLe) && canDecode) return (MediaTypes.OctetStream, explicitLe, true);
                continue;
            }
            if (stored.IsEncapsulated && type == MediaTypes.ImageTypeOf(stored.Uid) && (ts is null or "*" || ts == stored.Uid))
                return (type!, stored.Uid, false);
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable, "Not acceptable",
            stored.IsEncapsulated
                ? $"Frames are stored as {stored.Uid}: available as {MediaTypes.ImageTypeOf(stored.Uid) ?? MediaTypes.OctetStream} (as stored){(canDecode ? " or application/octet-stream (decoded)" : "")}."
                : "Frames are available as multipart/related; type=\"application/octet-stream\".");
    }
}
