namespace MedNode.Core.Export;

public enum DestinationKind
{
    /// <summary>C-STORE SCU to a DICOM AE (PS3.4 Annex B).</summary>
    Dimse,

    /// <summary>STOW-RS to a DICOMweb server (PS3.18 §10.5).</summary>
    DicomWeb,
}

/// <summary>A configured destination of results (<c>MedNode:Destinations</c>, editable through the admin API).</summary>
public sealed class ExportDestination
{
    public string Name { get; set; } = "";

    public DestinationKind Kind { get; set; } = DestinationKind.Dimse;

    public string AeTitle { get; set; } = "";

    public string Host { get; set; } = "";

    public int Port { get; set; } = 104;

    /// <summary>The calling AE title MedNode uses towards this destination.</summary>
    public string CallingAeTitle { get; set; } = "MEDNODE";

    /// <summary>The STOW-RS base URL (the DICOMweb root, e.g. http://pacs/dicom-web/).</summary>
    public string? Url { get; set; }

    public string? BearerToken { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>When the destination refuses the Segmentation SOP class, send Secondary Capture + Key Object Selection instead.</summary>
    public bool AllowFallback { get; set; } = true;

    /// <summary>Ask for Storage Commitment after a DIMSE push (PS3.4 Annex J).</summary>
    public bool StorageCommitment { get; set; }

    /// <summary>The problems with this destination's settings; empty when it is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var where = string.IsNullOrWhiteSpace(Name) ? "a destination" : $"destination '{Name}'";
        if (string.IsNullOrWhiteSpace(Name)) errors.Add($"{where}: Name is required.");
        if (Kind == DestinationKind.Dimse)
        {
            if (AeTitle.Length is 0 or > 16 || AeTitle.Any(c => c is '\\' || char.IsControl(c))) errors.Add($"{where}: AeTitle must be 1 to 16 characters without backslash (PS3.5 §6.2 AE).");
            if (Uri.CheckHostName(Host) == UriHostNameType.Unknown) errors.Add($"{where}: Host '{Host}' is not a host name or IP address.");
            if (Port is < 1 or > 65535) errors.Add($"{where}: Port must be 1 to 65535.");
        }
        else if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            errors.Add($"{where}: Url must be an absolute http or https URL.");
        }
        return errors;
    }
}
