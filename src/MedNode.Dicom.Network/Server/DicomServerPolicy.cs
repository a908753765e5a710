using System.Net;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Pdus;

namespace MedNode.Dicom.Network.Server;

/// <summary>
/// The acceptor policy of one incoming connection: called-AE check, calling-AE whitelist with host check, association
/// limits, and presentation contexts for Verification and every storage SOP class (PS3.4 Annexes A and B).
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

    public AssociationRejection? Check(AAssociateRq request)
    {
        var options = _server.Options;
        CallingAeTitle = request.CallingAeTitle.Trim();
        CalledAeTitle = request.CalledAeTitle.Trim();
        if (!string.Equals(request.CalledAeTitle.Trim(), options.AeTitle, StringComparison.Ordinal))
            return AssociationRejection.CalledAeTitleNotRecognized;
        var calling = request.CallingAeTitle.Trim();
        if (options.RequireKnownPeers && !IsAllowed(calling))
            return AssociationRejection.CallingAeTitleNotRecognized;
        if (!_server.TryReserve(calling)) return AssociationRejection.LocalLimitExceeded;
        ReservedCallingAe = calling;
        return null;
    }

    private bool IsAllowed(string calling)
    {
        foreach (var peer in _server.Options.AllowedPeers)
        {
            if (!string.Equals(peer.AeTitle, calling, StringComparison.Ordinal)) continue;
            if (string.IsNullOrEmpty(peer.Host) || HostMatches(peer.Host)) return true;
        }
        return false;
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

    public PresentationContextDecision Decide(PresentationContextRq proposed)
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
    /// C-GET is served, whose C-STORE sub-operations go to the requestor as SCP (PS3.4 C.4.3).
    /// </summary>
    public ScpScuRoleSelection DecideRole(ScpScuRoleSelection proposed) =>
        proposed with { ScpRole = proposed.ScpRole && _server.QueryRetrieveHandler != null && DicomUidRegistry.IsStorageSopClass(proposed.SopClassUid) };
}
