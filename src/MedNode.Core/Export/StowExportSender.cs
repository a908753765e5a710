using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace MedNode.Core.Export;

/// <summary>
/// Sends results with STOW-RS (PS3.18 §10.5): one multipart/related request per batch, each file streamed from the
/// store. Instances named in the response's Failed SOP Sequence (0008,1198) are failures; Failure Reason 0xA7xx
/// (out of resources) is transient. Authentication: a bearer token (RFC 6750; from a file read before each request when
/// <see cref="ExportDestination.BearerTokenFile"/> is set) or HTTP basic (RFC 7617).
/// </summary>
public sealed class StowExportSender(HttpClient http) : IExportSender
{
    public DestinationKind Kind => DestinationKind.DicomWeb;

    public async Task<IReadOnlyList<SendOutcome>> SendAsync(ExportDestination destination, IReadOnlyList<(OutboxItem Item, string Path)> batch, CancellationToken cancellationToken)
    {
        var boundary = "mednode-" + Guid.NewGuid().ToString("N");
        using var content = new MultipartContent("related", boundary);
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        var streams = new List<Stream>();
        try
        {
            foreach (var (_, path) in batch)
            {
                var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                streams.Add(stream);
                var part = new StreamContent(stream);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
                content.Add(part);
            }
            var url = destination.Url!.TrimEnd('/') + "/studies";
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/dicom+json"));
            var token = await BearerTokenAsync(destination, cancellationToken);
            if (token is { Length: > 0 }) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            else if (destination.Username is { Length: > 0 } user)
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{destination.Password}")));
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var code = (int)response.StatusCode;
            if (code is not (200 or 202 or 409))
            {
                var kind = ExportFailureClassifier.FromHttpStatus(code);
                return batch.Select(b => new SendOutcome(b.Item.Id, false, $"STOW-RS HTTP {code}", kind)).ToList();
            }
            var failed = FailedInstances(body);
            return batch.Select(b => failed.TryGetValue(b.Item.SopInstanceUid, out var reason)
                ? new SendOutcome(b.Item.Id, false, $"STOW-RS failure reason 0x{reason:X4}", reason is >= 0xA700 and <= 0xA7FF ? ExportFailureKind.Transient : ExportFailureKind.Permanent, reason == 0x0122)
                : code == 409 && failed.Count == 0
                    ? new SendOutcome(b.Item.Id, false, "STOW-RS HTTP 409 without a Failed SOP Sequence", ExportFailureKind.Permanent)
                    : new SendOutcome(b.Item.Id, true)).ToList();
        }
        finally
        {
            foreach (var s in streams) await s.DisposeAsync();
        }
    }

    /// <summary>
    /// The destination's bearer token: <see cref="ExportDestination.BearerTokenFile"/> read now (trimmed, so a trailing
    /// newline does not count), else <see cref="ExportDestination.BearerToken"/>. A file that cannot be read is an
    /// <see cref="IOException"/>, a transient failure: the delivery is retried, and picks up the file once it is there.
    /// </summary>
    private static async Task<string?> BearerTokenAsync(ExportDestination destination, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(destination.BearerTokenFile)) return destination.BearerToken;
        try
        {
            return (await File.ReadAllTextAsync(destination.BearerTokenFile, ct)).Trim();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"BearerTokenFile of destination '{destination.Name}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>SOP Instance UID → Failure Reason (0008,1197) from a DICOM JSON STOW response (PS3.18 §10.5.3).</summary>
    private static Dictionary<string, int> FailedInstances(string json)
    {
        var failed = new Dictionary<string, int>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json)) return failed;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() > 0 ? doc.RootElement[0] : doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("00081198", out var seq) || !seq.TryGetProperty("Value", out var items)) return failed;
            foreach (var item in items.EnumerateArray())
            {
                var uid = item.TryGetProperty("00081155", out var u) && u.TryGetProperty("Value", out var uv) ? uv[0].GetString() : null;
                var reason = item.TryGetProperty("00081197", out var r) && r.TryGetProperty("Value", out var rv) ? rv[0].GetInt32() : 0x0110;
                if (uid != null) failed[uid] = reason;
            }
        }
        catch (JsonException)
        {
        }
        return failed;
    }
}
