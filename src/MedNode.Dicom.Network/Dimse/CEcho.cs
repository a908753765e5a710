namespace MedNode.Dicom.Network.Dimse;

/// <summary>C-ECHO-RQ (PS3.7 §9.3.5.1, Table 9.3-12).</summary>
public sealed record CEchoRq : DimseRequest
{
    /// <summary>The Verification SOP Class (PS3.4 Annex A).</summary>
    public const string VerificationSopClassUid = "1.2.840.10008.1.1";

    public override DimseCommandField CommandField => DimseCommandField.CEchoRq;

    public CEchoRsp CreateResponse(ushort status = DimseStatus.Success) => new()
    {
        AffectedSopClassUid = AffectedSopClassUid,
        MessageIdBeingRespondedTo = MessageId,
        Status = status,
    };
}

/// <summary>C-ECHO-RSP (PS3.7 §9.3.5.2, Table 9.3-13).</summary>
public sealed record CEchoRsp : DimseResponse
{
    public override DimseCommandField CommandField => DimseCommandField.CEchoRsp;

    internal CEchoRsp ReadResponse(DicomDataset ds) => ReadResponse(this, ds);
}
