using System.Security.Cryptography.X509Certificates;

namespace MedNode.Dicom.Network.Tls;

/// <summary>
/// TLS of the DIMSE listener (PS3.15 Annex B.10, Non-Downgrading BCP 195 TLS Secure Transport Connection Profile): the
/// server certificate, and whether a client certificate is required and which certification authorities it must chain to.
/// </summary>
public sealed record DicomTlsServerOptions
{
    /// <summary>The server certificate, with its private key.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>Intermediate certificates sent with <see cref="Certificate"/> so that peers can build the chain.</summary>
    public X509Certificate2Collection? CertificateChain { get; init; }

    /// <summary>
    /// The port of the TLS listener; 0 picks a free one. Null serves TLS on <see cref="Server.DicomServerOptions.Port"/>
    /// and offers no unencrypted listener. PS3.15 Annex B.10 names 2762 as the well-known DICOM TLS port.
    /// </summary>
    public int? Port { get; init; } = DicomTls.WellKnownPort;

    /// <summary>Require a client certificate (mutual authentication); a peer without one is refused in the handshake.</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>The certification authorities client certificates must chain to; null uses the system trust store.</summary>
    public X509Certificate2Collection? TrustedAuthorities { get; init; }
}

/// <summary>TLS of an outgoing association (<see cref="Client.DicomClient"/>), PS3.15 Annex B.10.</summary>
public sealed record DicomTlsClientOptions
{
    /// <summary>The certification authorities the server certificate must chain to; null uses the system trust store.</summary>
    public X509Certificate2Collection? TrustedAuthorities { get; init; }

    /// <summary>The client certificate, with its private key, for servers that require one.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Intermediate certificates sent with <see cref="Certificate"/>.</summary>
    public X509Certificate2Collection? CertificateChain { get; init; }

    /// <summary>The name the server certificate must carry (a DNS name or IP address); null uses the host connected to.</summary>
    public string? ServerName { get; init; }
}
