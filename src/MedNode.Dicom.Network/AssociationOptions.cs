using MedNode.Dicom.Network.Pdus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Dicom.Network;

/// <summary>Local settings of an association (either side).</summary>
public sealed record AssociationOptions
{
    /// <summary>The Maximum Length this side announces (PS3.8 §D.1) and enforces on received P-DATA-TF PDUs; 0 = no limit (capped at <see cref="PduReader.AbsoluteMaxPDataLength"/>).</summary>
    public uint MaxPduLength { get; init; } = 256 * 1024;

    /// <summary>The largest A-ASSOCIATE, A-RELEASE or A-ABORT PDU accepted.</summary>
    public uint MaxAssociatePduLength { get; init; } = PduReader.DefaultMaxAssociatePduLength;

    /// <summary>The P-DATA-TF size used when the peer announces no limit (Maximum Length 0).</summary>
    public uint SendPduLengthWhenPeerUnlimited { get; init; } = 1024 * 1024;

    /// <summary>The largest command set (PS3.7 §6.3) accepted from the peer.</summary>
    public int MaxCommandLength { get; init; } = 64 * 1024;

    /// <summary>ARTIM, the association request/reject/release timer (PS3.8 §9.1.5).</summary>
    public TimeSpan ArtimTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public string ImplementationClassUid { get; init; } = DicomImplementation.ClassUid;

    public string ImplementationVersionName { get; init; } = DicomImplementation.VersionName;

    public ILogger Logger { get; init; } = NullLogger.Instance;

    internal void Validate()
    {
        if (MaxPduLength is > 0 and < 1024)
            throw new ArgumentOutOfRangeException(nameof(MaxPduLength), MaxPduLength, "AssociationOptions.MaxPduLength must be 0 (no limit) or at least 1024.");
        if (SendPduLengthWhenPeerUnlimited is < 1024 or > Association.MaxSendPduLength)
            throw new ArgumentOutOfRangeException(nameof(SendPduLengthWhenPeerUnlimited), SendPduLengthWhenPeerUnlimited, "AssociationOptions.SendPduLengthWhenPeerUnlimited must be between 1024 and 16 MiB.");
    }
}
