using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace MedNode.Dicom.Network.Tls;

/// <summary>
/// The TLS handshakes of a DIMSE connection (PS3.15 Annex B.10, Non-Downgrading BCP 195 TLS Secure Transport
/// Connection Profile): TLS 1.2 or 1.3 only, never 1.0 or 1.1; on Linux and macOS the cipher suites are limited to the
/// AEAD suites with forward secrecy that BCP 195 (RFC 9325 §4.2) recommends. Certificates are checked against the
/// configured certification authorities; revocation is not checked (no CRL or OCSP is reachable in a closed network).
/// </summary>
public static class DicomTls
{
    /// <summary>The well-known port of DICOM over TLS (PS3.15 Annex B.10, "dicom-tls" in the IANA registry).</summary>
    public const int WellKnownPort = 2762;

    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// The BCP 195 cipher suites (RFC 9325 §4.2): ECDHE with AES-GCM for TLS 1.2, and the TLS 1.3 suites. DHE suites are
    /// left out because the DHE group size cannot be set here (PS3.15 B.13 forbids DHE then).
    /// </summary>
    public static IReadOnlyList<TlsCipherSuite> CipherSuites { get; } =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ];

    /// <summary>
    /// Server side of the handshake on an accepted socket. Waits first for the peer's first byte (a peer that closes
    /// without sending anything raises <see cref="DicomTlsClosedException"/>, not a handshake failure).
    /// </summary>
    /// <exception cref="DicomTlsException">The handshake failed; <see cref="DicomTlsException.Reason"/> says why.</exception>
    internal static async Task<SocketTransport> AcceptAsync(Socket socket, DicomTlsServerOptions options, SslStreamCertificateContext context, CancellationToken cancellationToken)
    {
        var first = new byte[1];
        if (await socket.ReceiveAsync(first, SocketFlags.Peek, cancellationToken) == 0) throw new DicomTlsClosedException();
        string? failure = null;
        string? subject = null;
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        var auth = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            ClientCertificateRequired = options.RequireClientCertificate,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = ChainPolicy(options.TrustedAuthorities),
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                subject = certificate?.Subject;
                if (errors == SslPolicyErrors.RemoteCertificateNotAvailable && !options.RequireClientCertificate) return true;
                if (errors == SslPolicyErrors.None) return true;
                failure = Describe(errors, chain);
                return false;
            },
        };
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) auth.CipherSuitesPolicy = new CipherSuitesPolicy(CipherSuites);
        try
        {
            await ssl.AuthenticateAsServerAsync(auth, cancellationToken);
            return new SocketTransport(socket, ssl);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or OperationCanceledException)
        {
            await ssl.DisposeAsync();
            if (ex is OperationCanceledException && failure == null) throw new DicomTlsException("no TLS handshake within the ARTIM timeout", subject, ex);
            throw new DicomTlsException(failure ?? Innermost(ex), subject, ex);
        }
    }

    /// <summary>Client side: opens a TCP connection (TCP_NODELAY) to <paramref name="host"/> and negotiates TLS on it.</summary>
    /// <exception cref="DicomTlsException">The handshake failed; <see cref="DicomTlsException.Reason"/> says why.</exception>
    public static async Task<SocketTransport> ConnectAsync(string host, int port, DicomTlsClientOptions options, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? ssl = null;
        string? failure = null;
        string? subject = null;
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
            ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            var auth = new SslClientAuthenticationOptions
            {
                TargetHost = options.ServerName ?? host,
                EnabledSslProtocols = Protocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                CertificateChainPolicy = ChainPolicy(options.TrustedAuthorities),
                ClientCertificateContext = options.Certificate is { } c ? SslStreamCertificateContext.Create(c, options.CertificateChain, offline: true) : null,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    subject = certificate?.Subject;
                    if (errors == SslPolicyErrors.None) return true;
                    failure = Describe(errors, chain);
                    return false;
                },
            };
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) auth.CipherSuitesPolicy = new CipherSuitesPolicy(CipherSuites);
            await ssl.AuthenticateAsClientAsync(auth, cancellationToken);
            return new SocketTransport(socket, ssl);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            if (ssl != null) await ssl.DisposeAsync();
            else socket.Dispose();
            if (ex is SocketException) throw;
            throw new DicomTlsException($"TLS handshake with {host}:{port} failed: {failure ?? Innermost(ex)}", failure ?? Innermost(ex), subject, ex);
        }
        catch
        {
            if (ssl != null) await ssl.DisposeAsync();
            else socket.Dispose();
            throw;
        }
    }

    /// <summary>Builds the server's certificate context once (the chain is sent with the certificate).</summary>
    public static SslStreamCertificateContext CreateContext(X509Certificate2 certificate, X509Certificate2Collection? chain) =>
        SslStreamCertificateContext.Create(certificate, chain, offline: true);

    private static X509ChainPolicy ChainPolicy(X509Certificate2Collection? authorities)
    {
        var policy = new X509ChainPolicy { RevocationMode = X509RevocationMode.NoCheck };
        if (authorities is { Count: > 0 })
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(authorities);
        }
        return policy;
    }

    /// <summary>Why a certificate was refused, in words; names no key or password.</summary>
    private static string Describe(SslPolicyErrors errors, X509Chain? chain)
    {
        List<string> parts = [];
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) parts.Add("no certificate presented");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) parts.Add("certificate name does not match the host");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct() ?? [];
            parts.Add($"certificate not trusted ({string.Join(", ", status)})");
        }
        return string.Join("; ", parts);
    }

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException != null) ex = ex.InnerException;
        return ex.Message;
    }
}

/// <summary>A TLS handshake failed: the peer's certificate was refused, it sent none, or it spoke no acceptable TLS.</summary>
public class DicomTlsException : IOException
{
    public DicomTlsException(string reason, string? peerSubject, Exception? inner)
        : this("TLS handshake failed: " + reason, reason, peerSubject, inner)
    {
    }

    public DicomTlsException(string message, string reason, string? peerSubject, Exception? inner)
        : base(message, inner)
    {
        Reason = reason;
        PeerSubject = peerSubject;
    }

    /// <summary>Why, in words (no key material or passwords).</summary>
    public string Reason { get; }

    /// <summary>The subject of the certificate the peer presented, if any.</summary>
    public string? PeerSubject { get; }
}

/// <summary>The peer closed the TCP connection before sending anything (a port probe): not a handshake failure.</summary>
public sealed class DicomTlsClosedException : IOException
{
    public DicomTlsClosedException()
        : base("The peer closed the connection before a TLS handshake began.")
    {
    }
}
