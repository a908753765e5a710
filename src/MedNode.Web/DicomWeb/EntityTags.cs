using System.Security.Cryptography;
using System.Text;
using MedNode.Core.Index;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace MedNode.Web.DicomWeb;

/// <summary>Entity tags (RFC 9110 §8.8.3) and If-None-Match (§13.1.2) for the cacheable DICOMweb responses.</summary>
internal static class EntityTags
{
    /// <summary>A strong tag from the stored instances' SHA-256 (or blob key and size where none is recorded) and a context string.</summary>
    public static string ForInstances(IEnumerable<InstanceRecord> records, string context)
    {
        var text = new StringBuilder(context);
        foreach (var r in records.OrderBy(r => r.SopInstanceUid, StringComparer.Ordinal))
            text.Append('|').Append(r.SopInstanceUid).Append(':').Append(r.Sha256.Length > 0 ? r.Sha256 : $"{r.BlobKey}/{r.Size}");
        return ForBytes(Encoding.UTF8.GetBytes(text.ToString()));
    }

    public static string ForBytes(ReadOnlySpan<byte> body) => "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16)) + "\"";

    /// <summary>True when If-None-Match names <paramref name="etag"/> (weak comparison) or is <c>*</c>.</summary>
    public static bool NotModified(HttpRequest request, string etag)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0) return false;
        if (!EntityTagHeaderValue.TryParseList(header, out var tags)) return false;
        var ours = new EntityTagHeaderValue(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(ours, useStrongComparison: false));
    }

    /// <summary>Sets ETag; returns a 304 result when the client's copy is current, else null.</summary>
    public static IResult? Apply(HttpContext http, string etag)
    {
        http.Response.Headers.ETag = etag;
        if (!NotModified(http.Request, etag)) return null;
        return Results.StatusCode(StatusCodes.Status304NotModified);
    }
}
