using System.Security.Cryptography.X509Certificates;
using MedNode.Dicom.Network.Tls;

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

    /// <summary>The bearer token sent with each STOW-RS request (<c>Authorization: Bearer</c>, RFC 6750); never returned by the API.</summary>
    public string? BearerToken { get; set; }

    /// <summary>A file holding the bearer token, read again before each STOW-RS request, so the token can be rotated
    /// (e.g. by the identity provider's agent or a mounted secret) without a restart; instead of <see cref="BearerToken"/>.</summary>
    public string? BearerTokenFile { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>When the destination refuses the Segmentation SOP class, send Secondary Capture + Key Object Selection instead.</summary>
    public bool AllowFallback { get; set; } = true;

    /// <summary>Ask for Storage Commitment after a DIMSE push (PS3.4 Annex J).</summary>
    public bool StorageCommitment { get; set; }

    /// <summary>DICOM TLS towards a DIMSE destination (PS3.15 B.10); null: an unencrypted association.</summary>
    public DestinationTls? Tls { get; set; }

    /// <summary>The TLS settings of the DICOM client, with the certificates loaded; null when <see cref="Tls"/> is not set.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A certificate or key file cannot be read.</exception>
    public DicomTlsClientOptions? CreateTlsOptions()
    {
        if (Tls == null) return null;
        X509Certificate2? certificate = null;
        X509Certificate2Collection? chain = null;
        if (!string.IsNullOrEmpty(Tls.CertificatePath)) (certificate, chain) = DicomTlsCertificates.LoadPem(Tls.CertificatePath, Tls.KeyPath, Tls.KeyPassword);
        return new DicomTlsClientOptions
        {
            TrustedAuthorities = DicomTlsCertificates.LoadAuthorities(Tls.TrustedCaPath),
            Certificate = certificate,
            CertificateChain = chain,
            ServerName = string.IsNullOrEmpty(Tls.ServerName) ? null : Tls.ServerName,
        };
    }

    /// <summary>
    /// The problems with this destination's settings; empty when it is usable. Each message starts with the setting, after
    /// the destination's name (<c>destination 'pacs': Port ...</c>) or, when <paramref name="key"/> gives the configuration
    /// key of the entry (<c>MedNode:Destinations:0</c>), as the full key (<c>MedNode:Destinations:0:Port ...</c>).
    /// </summary>
    public IReadOnlyList<string> Validate(string? key = null)
    {
        var errors = new List<string>();
        var where = string.IsNullOrWhiteSpace(Name) ? "a destination" : $"destination '{Name}'";
        string At(string setting) => key != null ? $"{key}:{setting}" : $"{where}: {setting}";
        if (string.IsNullOrWhiteSpace(Name)) errors.Add($"{At("Name")} is required.");
        if (Kind == DestinationKind.Dimse)
        {
            if (AeTitle.Length is 0 or > 16 || AeTitle.Any(c => c is '\\' || char.IsControl(c))) errors.Add($"{At("AeTitle")} must be 1 to 16 characters without backslash (PS3.5 §6.2 AE).");
            if (Uri.CheckHostName(Host) == UriHostNameType.Unknown) errors.Add($"{At("Host")} '{Host}' is not a host name or IP address.");
            if (Port is < 1 or > 65535) errors.Add($"{At("Port")} must be 1 to 65535.");
            if (Tls != null) errors.AddRange(Tls.Validate(At));
        }
        else
        {
            if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                errors.Add($"{At("Url")} must be an absolute http or https URL.");
            if (!string.IsNullOrEmpty(BearerToken) && !string.IsNullOrEmpty(BearerTokenFile))
                errors.Add($"{At("BearerToken")} and BearerTokenFile are alternatives; set one.");
        }
        return errors;
    }
}

/// <summary>DICOM TLS towards one destination: the authority its certificate must chain to, and optionally MedNode's own
/// client certificate (PEM) for a destination that requires one.</summary>
public sealed class DestinationTls
{
    /// <summary>PEM file of the certificate authorities trusted for the destination's server certificate.</summary>
    public string TrustedCaPath { get; set; } = "";

    /// <summary>MedNode's client certificate (PEM), sent when the destination asks for one; with <see cref="KeyPath"/>.</summary>
    public string? CertificatePath { get; set; }

    public string? KeyPath { get; set; }

    /// <summary>Password of an encrypted <see cref="KeyPath"/>; never returned by the API nor logged.</summary>
    public string? KeyPassword { get; set; }

    /// <summary>The name the server certificate must carry, when it differs from the destination's Host.</summary>
    public string? ServerName { get; set; }

    /// <summary>The problems; <paramref name="at"/> turns a setting of the destination (<c>Tls:KeyPath</c>) into the start of a message.</summary>
    internal IEnumerable<string> Validate(Func<string, string> at)
    {
        if (string.IsNullOrWhiteSpace(TrustedCaPath)) yield return $"{at("Tls:TrustedCaPath")} is required.";
        else if (!File.Exists(TrustedCaPath)) yield return $"{at("Tls:TrustedCaPath")} '{TrustedCaPath}' does not exist.";
        if (string.IsNullOrEmpty(CertificatePath) != string.IsNullOrEmpty(KeyPath)) yield return $"{at("Tls:CertificatePath")} and Tls:KeyPath go together.";
        foreach (var (name, path) in new[] { ("CertificatePath", CertificatePath), ("KeyPath", KeyPath) })
            if (!string.IsNullOrEmpty(path) && !File.Exists(path)) yield return $"{at("Tls:" + name)} '{path}' does not exist.";
    }
}
