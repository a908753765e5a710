using System.Net;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;

namespace MedNode.Dicom.Network.Server;

/// <summary>
/// The acceptor policy of one incoming connection: called-AE check, calling-AE whitelist with host check, association
/// limits, the services the calling peer may use (<see cref="DicomServerAccess"/>), and presentation contexts for Verification and every storage SOP class (PS3.4 Annexes A and B).
/// </summary>
internal sealed class DicomServerPolicy : IAssociationAcceptorPolicy
{
    private readonly DicomServer _server;
    private readonly IPAddress? _remote;

    public DicomServerPolicy(DicomServer server, IPAddress? remote)
    {
        _server = server;
        _remote = remote;
    }

    /// <summary>The calling AE whose slot this connection holds, once <see cref="Check"/> has reserved one.</summary>
    public string? ReservedCallingAe { get; private set; }

    /// <summary>The calling AE title of the A-ASSOCIATE-RQ, once <see cref="Check"/> has seen it.</summary>
    public string? CallingAeTitle { get; private set; }

    /// <summary>The called AE title of the A-ASSOCIATE-RQ, once <see cref="Check"/> has seen it.</summary>
    public string? CalledAeTitle { get; private set; }

    /// <summary>The services the calling peer may use on this association, once <see cref="Check"/> has seen it.</summary>
    public DimseServices Services { get; private set; }

    private readonly HashSet<string> _scpRoleGranted = new(StringComparer.Ordinal);

    /// <summary>Whether a Storage Commitment presentation context was user-rejected for want of the Commitment permission.</summary>
    public bool StorageCommitmentRefused { get; private set; }

    public AssociationRejection? Check(AAssociateRq request)
    {
        var access = _server.Access;
        CallingAeTitle = request.CallingAeTitle.Trim();
        CalledAeTitle = request.CalledAeTitle.Trim();
        if (!access.CalledAeTitles.Any(t => string.Equals(t.Trim(), CalledAeTitle, StringComparison.Ordinal)))
            return AssociationRejection.CalledAeTitleNotRecognized;
        var calling = CallingAeTitle;
        var known = access.Peers.Where(p => string.Equals(p.AeTitle.Trim(), calling, StringComparison.Ordinal)).ToList();
        var matched = known.FirstOrDefault(p => string.IsNullOrEmpty(p.Host) || HostMatches(p.Host));
        if (matched == null && access.RequireKnownPeers) return AssociationRejection.CallingAeTitleNotRecognized;
        // A known AE title calling from another host, with the whitelist off, keeps that AE's services; only an unknown
        // title (whitelist off) may use every service.
        Services = (matched ?? known.FirstOrDefault())?.Services ?? DimseServices.All;
        if (!_server.TryReserve(calling)) return AssociationRejection.LocalLimitExceeded;
        ReservedCallingAe = calling;
        return null;
    }

    private bool HostMatches(string host)
    {
        if (_remote == null) return false;
        var remote = _remote.IsIPv4MappedToIPv6 ? _remote.MapToIPv4() : _remote;
        if (IPAddress.TryParse(host, out var literal)) return literal.Equals(remote);
        try
        {
            return Dns.GetHostAddresses(host).Any(a => (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Equals(remote));
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// A context whose service the peer may not use is answered user-rejection (PS3.8 Table 9-18, result 1). A storage
    /// context is allowed with <see cref="DimseServices.Store"/>, or with <see cref="DimseServices.Get"/> when the SCP role
    /// was granted for it (the C-GET sub-operations, PS3.4 C.4.3). The Storage Commitment context is allowed with
    /// <see cref="DimseServices.Commitment"/>, or to a peer granted the SCP role for it: one that brings a report (PS3.4 J.3.3).
    /// </summary>
    public PresentationContextDecision Decide(PresentationContextRq proposed)
    {
        var service = DicomServerAccess.ServiceOf(proposed.AbstractSyntax);
        if (service != DimseServices.None && !Services.HasFlag(service)
            && !(service == DimseServices.Store && Services.HasFlag(DimseServices.Get) && _scpRoleGranted.Contains(proposed.AbstractSyntax))
            && !(service == DimseServices.Commitment && _scpRoleGranted.Contains(proposed.AbstractSyntax)))
        {
            if (service == DimseServices.Commitment) StorageCommitmentRefused = true;
            return new PresentationContextDecision(PresentationContextResult.UserRejection, null);
        }
        return DecideSyntax(proposed);
    }

    private PresentationContextDecision DecideSyntax(PresentationContextRq proposed)
    {
        var options = _server.Options;
        var known = proposed.TransferSyntaxes.Where(DicomTransferSyntax.IsKnown).ToList();
        if (proposed.AbstractSyntax == CEchoRq.VerificationSopClassUid)
        {
            var ts = options.TransferSyntaxPreference.FirstOrDefault(p => known.Contains(p) && DicomTransferSyntax.Lookup(p) is { IsEncapsulated: false, IsDeflated: false })
                ?? known.FirstOrDefault(t => t == DicomTransferSyntax.ImplicitVRLittleEndian.Uid);
            return ts != null ? PresentationContextDecision.Accept(ts) : PresentationContextDecision.TransferSyntaxesNotSupported;
        }
        if (_server.DecideStorageCommitment(proposed) is { } commitment) return commitment;
        if (_server.QueryRetrieveHandler != null && QueryRetrieveSopClasses.All.Contains(proposed.AbstractSyntax))
        {
            // PS3.4 C.5: identifiers are small; any uncompressed, non-deflated transfer syntax will do.
            var ts = options.TransferSyntaxPreference.FirstOrDefault(p => known.Contains(p) && DicomTransferSyntax.Lookup(p) is { IsEncapsulated: false, IsDeflated: false })
                ?? known.FirstOrDefault(t => t == DicomTransferSyntax.ImplicitVRLittleEndian.Uid);
            return ts != null ? PresentationContextDecision.Accept(ts) : PresentationContextDecision.TransferSyntaxesNotSupported;
        }
        if (!DicomUidRegistry.IsStorageSopClass(proposed.AbstractSyntax)) return PresentationContextDecision.AbstractSyntaxNotSupported;
        var allowed = options.StorageTransferSyntaxes is { } set ? known.Where(set.Contains).ToList() : known;
        var chosen = options.TransferSyntaxPreference.FirstOrDefault(allowed.Contains) ?? allowed.FirstOrDefault();
        return chosen != null ? PresentationContextDecision.Accept(chosen) : PresentationContextDecision.TransferSyntaxesNotSupported;
    }

    /// <summary>
    /// SCP/SCU role selection (PS3.7 §D.3.3.4): the SCU role as proposed; the SCP role for a storage SOP class only when
    /// C-GET is served, whose C-STORE sub-operations go to the requestor as SCP (PS3.4 C.4.3); the SCP role for Storage
    /// Commitment when reports are taken (<see cref="DicomServer.StorageCommitmentReports"/>): the requestor then sends
    /// N-EVENT-REPORT as the Storage Commitment SCP (PS3.4 J.3.3).
    /// </summary>
    public ScpScuRoleSelection DecideRole(ScpScuRoleSelection proposed)
    {
        var scp = proposed.ScpRole && (proposed.SopClassUid == StorageCommitment.PushModelSopClassUid
            ? _server.StorageCommitmentReports != null
            : _server.QueryRetrieveHandler != null && DicomUidRegistry.IsStorageSopClass(proposed.SopClassUid) && Services.HasFlag(DimseServices.Get));
        if (scp) _scpRoleGranted.Add(proposed.SopClassUid);
        return proposed with { ScpRole = scp };
    }
}
