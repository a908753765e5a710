using System.Globalization;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.Imaging;
using MedNode.Dicom.Imaging.Codecs;
using MedNode.Dicom.Imaging.Rendering;
using MedNode.Dicom.IO;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MedNode.Web.DicomWeb;

/// <summary>
/// WADO-RS rendered and thumbnail resources (PS3.18 §10.4 (rendered and thumbnail resources) and §8.3.5): frames rendered through the Modality
/// and VOI LUTs to image/jpeg or image/png, with the <c>window</c>, <c>viewport</c> and <c>quality</c> query parameters.
/// A rendered study or series is one part per frame (every frame of each instance, instances in series and Instance Number
/// order); a rendered instance is its first frame as a single
/// image, or every frame when multipart/related is accepted; a thumbnail
/// is one image (for a study or series, the middle instance).
/// </summary>
internal static class RenderedHandler
{
    public const string Jpeg = "image/jpeg";
    public const string Png = "image/png";
    private const int ThumbnailSize = 128;

    public static async Task<IResult> RenderedAsync(HttpContext http, string study, string? series, string? instance, string? frameList)
    {
        var records = await WadoHandler.ResolveAsync(http, study, series, instance);
        var parameters = RenderParameters.Parse(http.Request.Query, null);
        var blobs = http.RequestServices.GetRequiredService<IBlobStore>();
        if (instance == null)
        {
            var (type, _) = Choose(http.Request, multiple: true);
            var ordered = Ordered(records).Where(r => r.Rows is > 0).ToList();
            if (ordered.Count == 0) throw new DicomWebException(StatusCodes.Status404NotFound, "Not found", "No image to render.");
            DicomWebAudit.InstancesUsed(http, ordered);
            // PS3.18 §10.4.1.1.3: a rendered study or series holds every frame of its multi-frame instances, in frame order.
            return await WriteImagesAsync(http, type, true, ordered.SelectMany(r => Enumerable.Range(1, Math.Max(1, r.NumberOfFrames ?? 1)).Select(f => (r, f))), blobs, parameters);
        }
        var path = WadoHandler.CheckedPath(blobs, records[0]);
        var file = DicomFile.Open(path);
        int frames = DicomPixelData.Create(file.Dataset)?.NumberOfFrames
            ?? throw new DicomWebException(StatusCodes.Status404NotFound, "Not found", "The instance has no pixel data.");
        IReadOnlyList<int> list;
        string mediaType;
        bool multipart;
        if (frameList == null)
        {
            // PS3.18 §10.4 (rendered instance resource): a multi-frame instance is rendered as all its frames; image/jpeg and image/png hold one frame,
            // so all frames come back when the client accepts multipart/related of them; a single image is the first frame.
            (mediaType, multipart) = Choose(http.Request, multiple: false);
            list = multipart ? [.. Enumerable.Range(1, frames)] : [1];
        }
        else
        {
            list = FramesHandler.ParseFrameList(frameList, frames);
            (mediaType, multipart) = Choose(http.Request, multiple: list.Count > 1);
        }
        DicomWebAudit.InstancesUsed(http, [records[0]]);
        return await WriteImagesAsync(http, mediaType, multipart, list.Select(f => (records[0], f)), blobs, parameters, (records[0], path));
    }

    public static async Task<IResult> ThumbnailAsync(HttpContext http, string study, string? series, string? instance, string? frameList)
    {
        var records = await WadoHandler.ResolveAsync(http, study, series, instance);
        var parameters = RenderParameters.Parse(http.Request.Query, (ThumbnailSize, ThumbnailSize));
        var blobs = http.RequestServices.GetRequiredService<IBlobStore>();
        var imageRecords = Ordered(records).Where(r => r.Rows is > 0).ToList();
        if (imageRecords.Count == 0)
            throw new DicomWebException(StatusCodes.Status404NotFound, "Not found", "No image to make a thumbnail from.");
        var record = imageRecords[imageRecords.Count / 2];
        int frame = 1;
        if (frameList != null)
        {
            var file = DicomFile.Open(WadoHandler.CheckedPath(blobs, record), new DicomReadOptions { StopAtPixelData = true });
            frame = FramesHandler.ParseFrameList(frameList, Math.Max(1, file.Dataset.GetInt(DicomTags.NumberOfFrames, 1)))[0];
        }
        var (mediaType, multipart) = Choose(http.Request, multiple: false);
        DicomWebAudit.InstancesUsed(http, [record]);
        return await WriteImagesAsync(http, mediaType, multipart, [(record, frame)], blobs, parameters);
    }

    /// <summary>Instances in series then Instance Number order.</summary>
    private static List<InstanceRecord> Ordered(IEnumerable<InstanceRecord> records) =>
        [.. records.OrderBy(r => r.SeriesInstanceUid, StringComparer.Ordinal)
            .ThenBy(r => int.TryParse(r.InstanceNumber, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue)
            .ThenBy(r => r.SopInstanceUid, StringComparer.Ordinal)];

    private static async Task<IResult> WriteImagesAsync(HttpContext http, string mediaType, bool multipart, IEnumerable<(InstanceRecord Record, int Frame)> items,
        IBlobStore blobs, RenderParameters parameters, (InstanceRecord Record, string Path)? checkedAlready = null)
    {
        var boundary = "mednode-" + Guid.NewGuid().ToString("N");
        // Each instance is checked once (as MedNode:Storage:VerifyOnRead says), not once per frame.
        var last = checkedAlready;
        foreach (var (record, frame) in items)
        {
            byte[] image;
            if (last?.Record != record) last = (record, WadoHandler.CheckedPath(blobs, record));
            try
            {
                var file = DicomFile.Open(last.Value.Path);
                var rendered = DicomRenderer.Render(file.Dataset, file.TransferSyntax, frame - 1, parameters.Window);
                if (parameters.Source is { } s)
                {
                    int sw = s.Width ?? (rendered.Width - s.X), sh = s.Height ?? (rendered.Height - s.Y);
                    try
                    {
                        rendered = DicomRenderer.Crop(rendered, s.X, s.Y, sw, sh);
                    }
                    catch (ArgumentOutOfRangeException e) when (!http.Response.HasStarted)
                    {
                        throw new DicomWebException(StatusCodes.Status400BadRequest, "Invalid rendering parameter", e.Message);
                    }
                }
                if (parameters.Viewport is { } v) rendered = DicomRenderer.Fit(rendered, v.Width, v.Height);
                image = mediaType == Png ? PngImageEncoder.Encode(rendered) : JpegImageEncoder.Encode(rendered, parameters.Quality);
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or NotSupportedException or DicomCodecException or DicomCodecNotSupportedException or DicomValueException or DicomParseException)
            {
                if (!http.Response.HasStarted)
                    throw new DicomWebException(StatusCodes.Status406NotAcceptable, "Not acceptable", $"The image cannot be rendered: {e.Message}");
                http.Abort();
                return Results.Empty;
            }
            if (!multipart) return Results.Bytes(image, mediaType);
            if (!http.Response.HasStarted)
            {
                http.Response.StatusCode = StatusCodes.Status200OK;
                http.Response.ContentType = $"multipart/related; type=\"{mediaType}\"; boundary={boundary}";
            }
            await WadoHandler.WriteAsciiAsync(http, $"--{boundary}\r\nContent-Type: {mediaType}\r\n\r\n");
            await http.Response.Body.WriteAsync(image, http.RequestAborted);
            await WadoHandler.WriteAsciiAsync(http, "\r\n");
        }
        await WadoHandler.WriteAsciiAsync(http, $"--{boundary}--\r\n");
        return Results.Empty;
    }

    /// <summary>
    /// The rendered media type from the Accept ranges, best q first (PS3.18 §8.7): image/jpeg (the default for <c>*/*</c> and
    /// <c>image/*</c>) or image/png, as a single body, or multipart/related with one of them as <c>type</c>. Resources of several
    /// images are multipart only.
    /// </summary>
    private static (string MediaType, bool Multipart) Choose(HttpRequest request, bool multiple)
    {
        foreach (var range in MediaTypes.Accepted(request))
        {
            var mediaType = range.MediaType.ToString().ToLowerInvariant();
            var type = MediaTypes.Parameter(range, "type")?.ToLowerInvariant();
            switch (mediaType)
            {
                case "*/*" or "image/*":
                    return (Jpeg, multiple);
                case Jpeg or Png when !multiple:
                    return (mediaType, false);
                case MediaTypes.MultipartRelated when type is null or "*/*" or "image/*" or Jpeg:
                    return (Jpeg, true);
                case MediaTypes.MultipartRelated when type == Png:
                    return (Png, true);
            }
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable, "Not acceptable",
            multiple ? "Rendered images are available as multipart/related; type=\"image/jpeg\" or \"image/png\"." : "Rendered images are available as image/jpeg or image/png.");
    }
}

/// <summary>The source region of a viewport (PS3.18 §8.3.5.1.3); a null width or height runs to the image's edge.</summary>
internal sealed record SourceRegion(int X, int Y, int? Width, int? Height);

/// <summary>The rendering query parameters of PS3.18 §8.3.5.</summary>
internal sealed record RenderParameters(VoiWindow? Window, (int Width, int Height)? Viewport, int Quality, SourceRegion? Source = null)
{
    private const int MaxViewport = 4096;

    public static RenderParameters Parse(IQueryCollection query, (int, int)? defaultViewport)
    {
        VoiWindow? window = null;
        if (query.TryGetValue("window", out var w))
        {
            // §8.3.5 (window): window=center,width,function with function linear, linear-exact or sigmoid.
            var parts = w.ToString().Split(',');
            if (parts.Length != 3 || !TryDouble(parts[0], out double center) || !TryDouble(parts[1], out double width) || !(width > 0))
                throw Bad("window is center,width,function with a positive width.");
            var function = parts[2].Trim().ToLowerInvariant() switch
            {
                "linear" => VoiLutFunction.Linear,
                "linear-exact" => VoiLutFunction.LinearExact,
                "sigmoid" => VoiLutFunction.Sigmoid,
                _ => throw Bad("window function is linear, linear-exact or sigmoid."),
            };
            if (function == VoiLutFunction.Linear && width < 1) throw Bad("a linear window is at least 1 wide.");
            window = new VoiWindow(center, width, function);
        }
        var viewport = defaultViewport;
        SourceRegion? source = null;
        if (query.TryGetValue("viewport", out var v))
        {
            // §8.3.5.1.3 (viewport): viewport=vw,vh[,sx,sy,sw,sh]; sx, sy default to 0 and sw, sh to the rest of the image; a
            // negative sw or sh mirrors the region.
            var parts = v.ToString().Split(',');
            if (parts.Length is not (2 or 6) || !TryInt(parts[0], out int vw) || !TryInt(parts[1], out int vh) || vw is < 1 or > MaxViewport || vh is < 1 or > MaxViewport)
                throw Bad($"viewport is vw,vh[,sx,sy,sw,sh] with vw and vh 1..{MaxViewport}.");
            viewport = (vw, vh);
            if (parts.Length == 6)
            {
                if (!TryOptional(parts[2], out int? sx, false) || !TryOptional(parts[3], out int? sy, false)
                    || !TryOptional(parts[4], out int? sw, true) || !TryOptional(parts[5], out int? sh, true) || sw == 0 || sh == 0)
                    throw Bad("the source region sx,sy,sw,sh is integers (sx, sy not negative; sw, sh not zero), each may be empty.");
                source = new SourceRegion(sx ?? 0, sy ?? 0, sw, sh);
            }
        }
        int quality = 90;
        if (query.TryGetValue("quality", out var q) && (!TryInt(q.ToString(), out quality) || quality is < 1 or > 100))
            throw Bad("quality is an integer 1..100.");
        return new RenderParameters(window, viewport, quality, source);
    }

    private static bool TryOptional(string s, out int? value, bool signed)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(s)) return true;
        if (!int.TryParse(s.Trim(), signed ? NumberStyles.AllowLeadingSign : NumberStyles.None, CultureInfo.InvariantCulture, out int v)) return false;
        value = v;
        return true;
    }

    private static bool TryDouble(string s, out double value) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static bool TryInt(string s, out int value) => int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static DicomWebException Bad(string detail) => new(StatusCodes.Status400BadRequest, "Invalid rendering parameter", detail);
}
