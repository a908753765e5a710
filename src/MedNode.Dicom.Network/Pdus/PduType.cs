namespace MedNode.Dicom.Network.Pdus;

/// <summary>PDU types of the DICOM upper layer protocol (PS3.8 §9.3.1).</summary>
public enum PduType : byte
{
    AAssociateRq = 0x01,
    AAssociateAc = 0x02,
    AAssociateRj = 0x03,
    PDataTf = 0x04,
    AReleaseRq = 0x05,
    AReleaseRp = 0x06,
    AAbort = 0x07,
}

/// <summary>A protocol data unit (PS3.8 §9.3). Every PDU writes itself with its 6-byte header.</summary>
public abstract record Pdu
{
    public abstract PduType Type { get; }

    /// <summary>Writes the whole PDU, header included, big-endian as PS3.8 §9.3.1 requires.</summary>
    public abstract void Write(IBufferWriter<byte> writer);
}
