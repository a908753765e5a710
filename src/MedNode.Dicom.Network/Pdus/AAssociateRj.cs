namespace MedNode.Dicom.Network.Pdus;

/// <summary>A-ASSOCIATE-RJ Result (PS3.8 Table 9-21).</summary>
public enum AssociateRejectResult : byte
{
    RejectedPermanent = 1,
    RejectedTransient = 2,
}

/// <summary>A-ASSOCIATE-RJ Source (PS3.8 Table 9-21).</summary>
public enum AssociateRejectSource : byte
{
    /// <summary>DICOM UL service-user.</summary>
    ServiceUser = 1,
    /// <summary>DICOM UL service-provider (ACSE related function).</summary>
    ServiceProviderAcse = 2,
    /// <summary>DICOM UL service-provider (Presentation related function).</summary>
    ServiceProviderPresentation = 3,
}

/// <summary>
/// A-ASSOCIATE-RJ Reason/Diag (PS3.8 Table 9-21). Its meaning depends on the source, so the same byte has
/// several names here; use the one that matches <see cref="AssociateRejectSource"/>.
/// </summary>
public enum AssociateRejectReason : byte
{
    // Source 1, service-user.
    NoReasonGiven = 1,
    ApplicationContextNameNotSupported = 2,
    CallingAeTitleNotRecognized = 3,
    CalledAeTitleNotRecognized = 7,

    // Source 2, service-provider (ACSE related function).
    ProviderAcseNoReasonGiven = 1,
    ProtocolVersionNotSupported = 2,

    // Source 3, service-provider (Presentation related function).
    TemporaryCongestion = 1,
    LocalLimitExceeded = 2,
}

/// <summary>A-ASSOCIATE-RJ PDU (PS3.8 §9.3.4, Table 9-21).</summary>
public sealed record AAssociateRj(AssociateRejectResult Result, AssociateRejectSource Source, AssociateRejectReason Reason) : Pdu
{
    public const uint BodyLength = 4;

    public override PduType Type => PduType.AAssociateRj;

    public override void Write(IBufferWriter<byte> writer)
    {
        PduEncoding.WritePduHeader(writer, PduType.AAssociateRj, BodyLength);
        PduEncoding.WriteByte(writer, 0);
        PduEncoding.WriteByte(writer, (byte)Result);
        PduEncoding.WriteByte(writer, (byte)Source);
        PduEncoding.WriteByte(writer, (byte)Reason);
    }

    internal static AAssociateRj Read(ReadOnlySequence<byte> body)
    {
        var r = new SequenceReader<byte>(body);
        PduEncoding.Skip(ref r, 1);
        var result = PduEncoding.ReadByte(ref r);
        var source = PduEncoding.ReadByte(ref r);
        var reason = PduEncoding.ReadByte(ref r);
        return new AAssociateRj((AssociateRejectResult)result, (AssociateRejectSource)source, (AssociateRejectReason)reason);
    }
}
