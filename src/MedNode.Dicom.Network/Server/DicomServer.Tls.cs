using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using MedNode.Dicom.Network.Diagnostics;
using MedNode.Dicom.Network.Tls;
using Microsoft.Extensions.Logging;

namespace MedNode.Dicom.Network.Server;

/// <summary>The TLS listener (PS3.15 Annex B.10) and the security events of <see cref="DicomServer"/>.</summary>
public sealed partial class DicomServer
{
    private SslStreamCertificateContext? _tlsContext;

    /// <summary>Told of failed TLS handshakes and rejected associations, so the host can audit them (PS3.15 §A.5.3.11).</summary>
    public IDicomSecurityEventHandler? SecurityEvents { get; init; }

    /// <summary>The port of the TLS listener, once started; null without TLS.</summary>
    public int? TlsPort => _tlsListener?.LocalEndPoint is IPEndPoint ep ? ep.Port : null;

    /// <summary>
    /// The server side of the TLS handshake, bounded by the ARTIM timeout. Returns null when it failed; the failure is
    /// logged (reason and certificate subject only), counted as a rejected association and reported to <see cref="SecurityEvents"/>.
    /// </summary>
    private async Task<SocketTransport?> HandshakeAsync(Socket socket, IPAddress? remote, CancellationToken stopping)
    {
        var tls = Options.Tls!;
        using var artim = new CancellationTokenSource(Options.ArtimTimeout, Options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, artim.Token);
        try
        {
            return await DicomTls.AcceptAsync(socket, tls, _tlsContext!, linked.Token);
        }
        catch (DicomTlsClosedException)
        {
            _log.LogDebug("Connection from {Remote} closed before a TLS handshake", remote);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || artim.IsCancellationRequested)
        {
            // Cancelled while waiting for the first byte: the server is stopping or the peer stayed silent.
            socket.Dispose();
            if (!stopping.IsCancellationRequested) await ReportHandshakeFailureAsync(remote, "no TLS handshake within the ARTIM timeout", null);
            return null;
        }
        catch (DicomTlsException ex)
        {
            if (stopping.IsCancellationRequested) return null;
            await ReportHandshakeFailureAsync(remote, ex.Reason, ex.PeerSubject);
            return null;
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            _log.LogDebug("Connection from {Remote} ended before a TLS handshake: {Error}", remote, ex.GetType().Name);
        }
        socket.Dispose();
        return null;
    }

    private async Task ReportHandshakeFailureAsync(IPAddress? remote, string reason, string? subject)
    {
        _log.LogWarning("TLS handshake from {Remote} failed: {Reason} (peer certificate: {Subject})", remote, reason, subject ?? "none");
        DicomNetworkMetrics.AssociationsRejected.Add(1, new KeyValuePair<string, object?>(DicomNetworkMetrics.ReasonTag, DicomNetworkMetrics.TlsHandshakeFailedReason));
        await RaiseAsync(new DicomSecurityEvent(DicomSecurityEventKind.TlsHandshakeFailed, remote, reason, PeerCertificateSubject: subject));
    }

    private async Task RaiseAsync(DicomSecurityEvent securityEvent)
    {
        if (SecurityEvents == null) return;
        try
        {
            await SecurityEvents.OnSecurityEventAsync(securityEvent, _stopping.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log.LogError(ex, "Could not record the {Kind} security event", securityEvent.Kind);
        }
    }
}
