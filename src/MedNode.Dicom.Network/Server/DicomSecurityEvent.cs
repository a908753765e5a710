using System.Net;

namespace MedNode.Dicom.Network.Server;

/// <summary>What kind of security-relevant refusal <see cref="DicomServer"/> reports.</summary>
public enum DicomSecurityEventKind
{
    /// <summary>A TLS handshake failed: untrusted or missing client certificate, or no acceptable protocol (PS3.15 Annex B.10).</summary>
    TlsHandshakeFailed,

    /// <summary>This node sent an A-ASSOCIATE-RJ (PS3.8 §9.3.4): unknown called or calling AE title, a limit, and so on.</summary>
    AssociationRejected,

    /// <summary>
    /// A Storage Commitment request (PS3.4 Annex J) from a calling AE without the Commitment permission was refused: its
    /// presentation context user-rejected (PS3.8 Table 9-18), or its N-ACTION-RQ answered Refused: Not authorized (0124H).
    /// </summary>
    StorageCommitmentRefused,
}

/// <summary>
/// A refusal the host may record as a Security Alert (PS3.15 §A.5.3.11). <paramref name="Reason"/> is in words, or the
/// low-cardinality reject reason of <see cref="Diagnostics.DicomNetworkMetrics.RejectReason"/>; it names no secret.
/// </summary>
/// <param name="PeerCertificateSubject">The subject of the certificate the peer presented, when it presented one.</param>
public sealed record DicomSecurityEvent(
    DicomSecurityEventKind Kind,
    IPAddress? RemoteAddress,
    string Reason,
    string? CallingAeTitle = null,
    string? CalledAeTitle = null,
    string? PeerCertificateSubject = null);

/// <summary>Told of each <see cref="DicomSecurityEvent"/>; the host writes them to the audit trail. Failures are logged and ignored.</summary>
public interface IDicomSecurityEventHandler
{
    Task OnSecurityEventAsync(DicomSecurityEvent securityEvent, CancellationToken cancellationToken);
}
