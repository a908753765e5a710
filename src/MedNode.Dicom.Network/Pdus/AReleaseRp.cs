namespace MedNode.Dicom.Network.Pdus;

/// <summary>A-RELEASE-RP PDU (PS3.8 §9.3.7, Table 9-25): a 4-byte reserved field.</summary>
public sealed record AReleaseRp : Pdu
{
    public const uint BodyLength = 4;

    public override PduType Type => PduType.AReleaseRp;

    public override void Write(IBufferWriter<byte> writer)
    {
        PduEncoding.WritePduHeader(writer, PduType.AReleaseRp, BodyLength);
        PduEncoding.WriteZeros(writer, 4);
    }
}
