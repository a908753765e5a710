using System.Security.Cryptography;
using MedNode.Dicom.Network.Tls;

namespace MedNode.Host;

/// <summary>
/// The <c>MedNode:Dimse:Tls</c> section: DICOM over TLS (PS3.15 Annex B.10) for the DIMSE listener. The certificate comes
/// from PEM files (<see cref="CertificatePath"/> and <see cref="KeyPath"/>) or a PKCS #12 file (<see cref="PfxPath"/>).
/// Passwords are read from configuration (an environment variable is the usual place) and never logged.
/// </summary>
public sealed class DimseTlsSettings
{
    public const string Section = DimseSettings.Section + ":Tls";

    public bool Enabled { get; set; }

    /// <summary>The TLS port (DICOM's well-known 2762); 0 picks a free one. Equal to <c>MedNode:Dimse:Port</c>: TLS only, on that port.</summary>
    public int Port { get; set; } = DicomTls.WellKnownPort;

    /// <summary>The server certificate in PEM; further certificates in the file are sent as its chain.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The private key in PEM (PKCS #8 or PKCS #1); empty when the key is in <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The password of an encrypted PEM key.</summary>
    public string? KeyPassword { get; set; }

    /// <summary>A PKCS #12 (.pfx/.p12) file with the certificate, its key and chain, instead of the PEM files.</summary>
    public string? PfxPath { get; set; }

    public string? PfxPassword { get; set; }

    /// <summary>Require a client certificate that chains to <see cref="TrustedCaPath"/> (mutual TLS).</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>A PEM file (or a folder of .pem/.crt files) of the certification authorities client certificates must chain to.</summary>
    public string? TrustedCaPath { get; set; }

    /// <summary>Problems of this section, each one line naming the setting; loads the certificate to check key and password.</summary>
    public IEnumerable<string> Problems()
    {
        if (!Enabled) yield break;
        if (Port is < 0 or > 65535) yield return $"{Section}:Port: {Port} is not a TCP port (0 to 65535; 0 picks a free one)";
        var pem = !string.IsNullOrWhiteSpace(CertificatePath);
        var pfx = !string.IsNullOrWhiteSpace(PfxPath);
        if (pem == pfx) yield return $"{Section}:CertificatePath: set either CertificatePath (with KeyPath) or PfxPath when TLS is enabled";
        else if (pem && !File.Exists(CertificatePath)) yield return $"{Section}:CertificatePath: '{CertificatePath}' does not exist";
        else if (pem && !string.IsNullOrWhiteSpace(KeyPath) && !File.Exists(KeyPath)) yield return $"{Section}:KeyPath: '{KeyPath}' does not exist";
        else if (pfx && !File.Exists(PfxPath)) yield return $"{Section}:PfxPath: '{PfxPath}' does not exist";
        else if (LoadProblem() is { } problem) yield return problem;
        if (RequireClientCertificate && string.IsNullOrWhiteSpace(TrustedCaPath))
            yield return $"{Section}:TrustedCaPath: required when RequireClientCertificate is true";
        if (!string.IsNullOrWhiteSpace(TrustedCaPath))
        {
            if (!File.Exists(TrustedCaPath) && !Directory.Exists(TrustedCaPath)) yield return $"{Section}:TrustedCaPath: '{TrustedCaPath}' does not exist";
            else if (AuthoritiesProblem() is { } problem) yield return problem;
        }
    }

    /// <summary>The listener's TLS options; throws with the setting's name when the files cannot be used.</summary>
    public DicomTlsServerOptions? ToServerOptions(int dimsePort)
    {
        if (!Enabled) return null;
        var (certificate, chain) = Load();
        return new DicomTlsServerOptions
        {
            Certificate = certificate,
            CertificateChain = chain,
            Port = Port == dimsePort ? null : Port,
            RequireClientCertificate = RequireClientCertificate,
            TrustedAuthorities = string.IsNullOrWhiteSpace(TrustedCaPath) ? null : DicomTlsCertificates.LoadAuthorities(TrustedCaPath),
        };
    }

    private (System.Security.Cryptography.X509Certificates.X509Certificate2, System.Security.Cryptography.X509Certificates.X509Certificate2Collection) Load()
    {
        try
        {
            var result = !string.IsNullOrWhiteSpace(PfxPath)
                ? DicomTlsCertificates.LoadPkcs12(PfxPath, PfxPassword)
                : DicomTlsCertificates.LoadPem(CertificatePath!, string.IsNullOrWhiteSpace(KeyPath) ? null : KeyPath, KeyPassword);
            if (!result.Certificate.HasPrivateKey) throw new CryptographicException("the certificate has no private key");
            return result;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or InvalidDataException or ArgumentException)
        {
            // The exception's message names the file's problem, never the password.
            var setting = !string.IsNullOrWhiteSpace(PfxPath) ? "PfxPath" : "CertificatePath";
            throw new InvalidOperationException($"{Section}:{setting}: the certificate or its key cannot be used: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    private string? LoadProblem()
    {
        try
        {
            Load().Item1.Dispose();
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
    }

    private string? AuthoritiesProblem()
    {
        try
        {
            DicomTlsCertificates.LoadAuthorities(TrustedCaPath!);
            return null;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or InvalidDataException)
        {
            return $"{Section}:TrustedCaPath: {ex.Message.ReplaceLineEndings(" ")}";
        }
    }
}
