using MedNode.Dicom.Network.Pdus;

namespace MedNode.Dicom.Network;

/// <summary>The association was rejected with an A-ASSOCIATE-RJ (PS3.8 §9.3.4), by the peer or by this side.</summary>
public sealed class AssociationRejectedException : Exception
{
    public AssociationRejectedException(AAssociateRj reject, bool byPeer)
        : base($"Association rejected by {(byPeer ? "the peer" : "this node")}: result {reject.Result}, source {reject.Source}, reason {(byte)reject.Reason} (PS3.8 Table 9-21).")
    {
        Reject = reject;
        ByPeer = byPeer;
    }

    public AAssociateRj Reject { get; }

    public bool ByPeer { get; }
}

/// <summary>
/// The association ended abnormally: an A-ABORT received or sent (PS3.8 §7.3, §7.4), or the transport closed
/// without a release. <see cref="AbortSource"/> and <see cref="AbortReason"/> are those of the A-ABORT PDU when one
/// was exchanged.
/// </summary>
public sealed class AssociationAbortedException : Exception
{
    public AssociationAbortedException(string message, AAbortSource source, AAbortReason reason, bool byPeer, Exception? inner = null)
        : base(message, inner)
    {
        AbortSource = source;
        AbortReason = reason;
        ByPeer = byPeer;
    }

    public AAbortSource AbortSource { get; }

    public AAbortReason AbortReason { get; }

    /// <summary>True when the peer sent the A-ABORT or closed the connection.</summary>
    public bool ByPeer { get; }
}
