namespace MedNode.Dicom.Network.Pdus;

/// <summary>A-RELEASE-RQ PDU (PS3.8 §9.3.6, Table 9-24): a 4-byte reserved field.</summary>
public sealed record AReleaseRq : Pdu
{
    public const uint BodyLength = 4;

    public override PduType Type => PduType.AReleaseRq;

    public override void Write(IBufferWriter<byte> writer)
    {
        PduEncoding.WritePduHeader(writer, PduType.AReleaseRq, BodyLength);
        PduEncoding.WriteZeros(writer, 4);
    }
}
