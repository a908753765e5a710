using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace MedNode.Web.DicomWeb;

/// <summary>Media types of PS3.18 §8.7 and Accept negotiation with q-values (RFC 9110 §12.5.1).</summary>
internal static partial class MediaTypes
{
    public const string DicomJson = "application/dicom+json";
    public const string Dicom = "application/dicom";
    public const string OctetStream = "application/octet-stream";
    public const string MultipartRelated = "multipart/related";

    /// <summary>The Accept header's media ranges, highest q first (q=0 dropped); <c>*/*</c> when absent.</summary>
    public static IReadOnlyList<MediaTypeHeaderValue> Accepted(HttpRequest request)
    {
        // PS3.18 §8.3.3.1: the accept query parameter, when present, overrides the Accept header field.
        var raw = request.Query.TryGetValue("accept", out var query) ? string.Join(", ", query.ToArray()) : request.Headers.Accept.ToString();
        if (string.IsNullOrWhiteSpace(raw)) return [new MediaTypeHeaderValue("*/*")];
        // OHIF and cornerstone send type=application/octet-stream unquoted ('/' is not a token character, RFC 9110 §5.6.2),
        // which the strict parser drops; such values are quoted before parsing.
        var normalized = UnquotedSlashValue().Replace(raw, m => $"{m.Groups[1].Value}=\"{m.Groups[2].Value}\"");
        if (!MediaTypeHeaderValue.TryParseList([normalized], out var list))
            throw new DicomWebException(StatusCodes.Status400BadRequest, "Invalid Accept header");
        return [.. list.Where(m => (m.Quality ?? 1) > 0).OrderByDescending(m => m.Quality ?? 1)];
    }

    /// <summary>Throws 406 unless the client accepts one of <paramref name="offered"/> (or a wildcard range covering it).</summary>
    public static void RequireAcceptable(HttpRequest request, params string[] offered)
    {
        foreach (var range in Accepted(request))
            foreach (var o in offered)
                if (new MediaTypeHeaderValue(o).IsSubsetOf(new MediaTypeHeaderValue(range.MediaType))) return;
        throw new DicomWebException(StatusCodes.Status406NotAcceptable, "Not acceptable", $"This resource is available as {string.Join(", ", offered)}.");
    }

    /// <summary>
    /// The single-frame image media type of a compressed transfer syntax (PS3.18 §8.7.3), or null. The stored
    /// bitstream of a frame is that type.
    /// </summary>
    public static string? ImageTypeOf(string transferSyntaxUid) => transferSyntaxUid switch
    {
        "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51" or "1.2.840.10008.1.2.4.57" or "1.2.840.10008.1.2.4.70" => "image/jpeg",
        "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" => "image/jls",
        "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" => "image/jp2",
        "1.2.840.10008.1.2.4.92" or "1.2.840.10008.1.2.4.93" => "image/jpx",
        "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203" => "image/jphc",
        "1.2.840.10008.1.2.5" => "image/dicom-rle",
        _ => null,
    };

    public static string? Parameter(MediaTypeHeaderValue value, string name) =>
        value.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value.ToString().Trim('"');

    [System.Text.RegularExpressions.GeneratedRegex(@"([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*([^\s"";,]*/[^\s"";,]*)")]
    private static partial System.Text.RegularExpressions.Regex UnquotedSlashValue();
}
