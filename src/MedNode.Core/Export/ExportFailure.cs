using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Dimse;

namespace MedNode.Core.Export;

public enum ExportFailureKind
{
    /// <summary>Worth retrying later: timeouts, refused connections, transient rejections, out of resources, HTTP 5xx/408/429.</summary>
    Transient,

    /// <summary>Retrying cannot help until someone changes something: goes to the dead-letter state.</summary>
    Permanent,
}

/// <summary>
/// The export failure taxonomy: which outcomes are retried with backoff and which are dead-lettered at once. DIMSE
/// statuses per PS3.4 Table B.2-1 and PS3.7 Annex C; association rejections per PS3.8 §9.3.4 (result 1 permanent,
/// 2 transient); HTTP per RFC 9110.
/// </summary>
public static class ExportFailureClassifier
{
    /// <summary>A C-STORE-RSP status that is not success or warning.</summary>
    public static ExportFailureKind FromDimseStatus(ushort status) => status switch
    {
        >= 0xA700 and <= 0xA7FF => ExportFailureKind.Transient, // Refused: Out of Resources (PS3.4 Table B.2-1)
        DimseStatus.ResourceLimitation or DimseStatus.ProcessingFailure => ExportFailureKind.Transient, // PS3.7 C.5.6, C.5.8
        _ => ExportFailureKind.Permanent, // 0xA9xx data set / SOP class mismatch, 0xCxxx cannot understand, 0x0122 SOP class not supported
    };

    /// <summary>An A-ASSOCIATE-RJ: Result 1 (rejected-permanent) is permanent, 2 (rejected-transient) is transient.</summary>
    public static ExportFailureKind FromAssociationReject(byte result) => result == 2 ? ExportFailureKind.Transient : ExportFailureKind.Permanent;

    /// <summary>An HTTP status from STOW-RS: 4xx other than 408 and 429 is permanent; 5xx, 408 and 429 are transient.</summary>
    public static ExportFailureKind FromHttpStatus(int status) => status switch
    {
        408 or 429 => ExportFailureKind.Transient,
        >= 500 => ExportFailureKind.Transient,
        >= 400 => ExportFailureKind.Permanent,
        _ => ExportFailureKind.Transient,
    };

    /// <summary>An exception from a send attempt: network errors and timeouts are transient; protocol rejections follow their result.</summary>
    public static ExportFailureKind FromException(Exception ex) => ex switch
    {
        AssociationRejectedException rj => FromAssociationReject((byte)rj.Reject.Result),
        System.Net.Sockets.SocketException or TimeoutException or IOException or OperationCanceledException => ExportFailureKind.Transient,
        System.Net.Http.HttpRequestException { StatusCode: { } code } => FromHttpStatus((int)code),
        System.Net.Http.HttpRequestException => ExportFailureKind.Transient,
        _ => ExportFailureKind.Permanent,
    };
}

/// <summary>Capped exponential backoff with full jitter: a delay drawn from [base·2^(attempt−1) / 2, base·2^(attempt−1)], capped.</summary>
public sealed class ExportBackoff(TimeSpan initial, TimeSpan cap, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;

    public TimeSpan Initial { get; } = initial;

    public TimeSpan Cap { get; } = cap;

    /// <summary>The delay before retry number <paramref name="attempt"/> (1 for the first retry).</summary>
    public TimeSpan Delay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var ceiling = Math.Min(Cap.TotalMilliseconds, Initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (0.5 * _random())));
    }
}
