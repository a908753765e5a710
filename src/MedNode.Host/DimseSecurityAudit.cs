using MedNode.Core.Audit;
using MedNode.Dicom.Network.Server;

namespace MedNode.Host;

/// <summary>
/// Writes the DIMSE listener's refusals to the audit trail as Security Alert events (PS3.15 §A.5.3.11): a failed TLS
/// handshake is a Node Authentication failure (Event Type Code DCM 110126), and so is an A-ASSOCIATE-RJ; a Storage
/// Commitment request refused for want of the Commitment permission is a Use of Restricted Function (DCM 110132). The outcome is
/// Minor Failure: the refusal itself is the mitigation, and it worked. The peer is the requesting participant, named by
/// its calling AE title, else its certificate subject; no key material is recorded.
/// </summary>
public sealed class DimseSecurityAudit(IAuditTrail audit, string aeTitle) : IDicomSecurityEventHandler
{
    public async Task OnSecurityEventAsync(DicomSecurityEvent securityEvent, CancellationToken cancellationToken)
    {
        var peer = securityEvent.CallingAeTitle ?? securityEvent.PeerCertificateSubject ?? "unknown";
        var address = securityEvent.RemoteAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;
        var detail = securityEvent.Kind switch
        {
            DicomSecurityEventKind.TlsHandshakeFailed =>
                $"Node Authentication (DCM 110126): DICOM TLS handshake refused: {securityEvent.Reason}; peer certificate: {securityEvent.PeerCertificateSubject ?? "none"}",
            DicomSecurityEventKind.StorageCommitmentRefused =>
                $"Use of Restricted Function (DCM 110132): Storage Commitment refused: {securityEvent.Reason}; calling AE '{securityEvent.CallingAeTitle}', called AE '{securityEvent.CalledAeTitle}'",
            _ =>
                $"Node Authentication (DCM 110126): association rejected (A-ASSOCIATE-RJ {securityEvent.Reason}); calling AE '{securityEvent.CallingAeTitle}', called AE '{securityEvent.CalledAeTitle}'"
                + (securityEvent.PeerCertificateSubject is { } s ? $"; peer certificate: {s}" : ""),
        };
        await audit.AppendAsync(new AuditEvent(AuditEventType.SecurityAlert, AuditAction.E, AuditOutcome.MinorFailure,
            [new AuditParticipant(peer, address, true, "Source"), new AuditParticipant(aeTitle, null, false, "Destination")],
            Detail: detail), cancellationToken);
    }
}
