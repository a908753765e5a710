namespace MedNode.Dicom.Network.Pdus;

/// <summary>A-ABORT source (PS3.8 Table 9-26).</summary>
public enum AAbortSource : byte
{
    /// <summary>DICOM UL service-user (initiated abort).</summary>
    ServiceUser = 0,
    Reserved = 1,
    /// <summary>DICOM UL service-provider (initiated abort).</summary>
    ServiceProvider = 2,
}

/// <summary>A-ABORT reason/diag, significant only when the source is the service-provider (PS3.8 Table 9-26).</summary>
public enum AAbortReason : byte
{
    ReasonNotSpecified = 0,
    UnrecognizedPdu = 1,
    UnexpectedPdu = 2,
    Reserved = 3,
    UnrecognizedPduParameter = 4,
    UnexpectedPduParameter = 5,
    InvalidPduParameterValue = 6,
}

/// <summary>A-ABORT PDU (PS3.8 §9.3.8, Table 9-26).</summary>
public sealed record AAbort(AAbortSource Source, AAbortReason Reason) : Pdu
{
    public const uint BodyLength = 4;

    public override PduType Type => PduType.AAbort;

    public override void Write(IBufferWriter<byte> writer)
    {
        PduEncoding.WritePduHeader(writer, PduType.AAbort, BodyLength);
        PduEncoding.WriteZeros(writer, 2);
        PduEncoding.WriteByte(writer, (byte)Source);
        PduEncoding.WriteByte(writer, (byte)Reason);
    }

    internal static AAbort Read(ReadOnlySequence<byte> body)
    {
        var r = new SequenceReader<byte>(body);
        PduEncoding.Skip(ref r, 2);
        var source = PduEncoding.ReadByte(ref r);
        var reason = PduEncoding.ReadByte(ref r);
        return new AAbort((AAbortSource)source, (AAbortReason)reason);
    }
}
