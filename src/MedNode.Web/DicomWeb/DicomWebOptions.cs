namespace MedNode.Web.DicomWeb;

/// <summary>DICOMweb options, section <c>MedNode:DicomWeb</c>.</summary>
public sealed class DicomWebOptions
{
    public const string Section = "MedNode:DicomWeb";

    /// <summary>The CORS policy name used by <see cref="DicomWebEndpoints.MapDicomWeb"/>.</summary>
    public const string CorsPolicy = "MedNode.DicomWeb";

    /// <summary>Origins allowed to call DICOMweb from a browser (e.g. an OHIF origin); empty: no CORS headers.</summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>QIDO-RS results returned at most per request when the client gives no smaller limit; beyond it a Warning header is sent.</summary>
    public int MaxQueryResults { get; set; } = 1000;
}

/// <summary>An expected DICOMweb failure with its HTTP status; mapped to problem+json in one place.</summary>
public sealed class DicomWebException(int statusCode, string title, string? detail = null) : Exception(detail ?? title)
{
    public int StatusCode { get; } = statusCode;

    public string Title { get; } = title;
}
