using MedNode.Dicom.Network.Pdus;

namespace MedNode.Dicom.Network;

/// <summary>
/// A violation of the DICOM upper layer protocol (PS3.8 §9). It carries the A-ABORT source and reason
/// (PS3.8 Table 9-26) that the association sends to the peer before closing.
/// </summary>
public sealed class DicomProtocolException : Exception
{
    public DicomProtocolException(AAbortReason reason, string message)
        : this(AAbortSource.ServiceProvider, reason, message) { }

    public DicomProtocolException(AAbortSource source, AAbortReason reason, string message)
        : base(message)
    {
        AbortSource = source;
        AbortReason = reason;
    }

    /// <summary>The A-ABORT source to send (PS3.8 Table 9-26).</summary>
    public AAbortSource AbortSource { get; }

    /// <summary>The A-ABORT reason/diag to send (PS3.8 Table 9-26).</summary>
    public AAbortReason AbortReason { get; }
}
