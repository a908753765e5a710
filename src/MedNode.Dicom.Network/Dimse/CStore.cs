namespace MedNode.Dicom.Network.Dimse;

/// <summary>C-STORE-RQ (PS3.7 §9.3.1.1, Table 9.3-1). A data set always follows.</summary>
public sealed record CStoreRq : DimseRequest
{
    public CStoreRq() => HasDataSet = true;

    public override DimseCommandField CommandField => DimseCommandField.CStoreRq;

    /// <summary>Affected SOP Instance UID (0000,1000).</summary>
    public required string AffectedSopInstanceUid { get; init; }

    public DimsePriority Priority { get; init; } = DimsePriority.Medium;

    /// <summary>Move Originator Application Entity Title (0000,1030), when the store is a C-MOVE sub-operation.</summary>
    public string? MoveOriginatorAeTitle { get; init; }

    /// <summary>Move Originator Message ID (0000,1031).</summary>
    public ushort? MoveOriginatorMessageId { get; init; }

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        command.AddOrUpdate(DicomTags.Priority, (ushort)Priority);
        command.AddOrUpdate(DicomTags.AffectedSOPInstanceUID, DicomVR.UI, AffectedSopInstanceUid);
        if (MoveOriginatorAeTitle != null) command.AddOrUpdate(DicomTags.MoveOriginatorApplicationEntityTitle, DicomVR.AE, MoveOriginatorAeTitle);
        if (MoveOriginatorMessageId is { } id) command.AddOrUpdate(DicomTags.MoveOriginatorMessageID, id);
    }

    internal static CStoreRq Read(DicomDataset ds, string sopClass, bool hasDataSet) => new()
    {
        AffectedSopClassUid = sopClass,
        HasDataSet = hasDataSet,
        MessageId = RequiredUs(ds, DicomTags.MessageID),
        Priority = (DimsePriority)(ds.GetInt(DicomTags.Priority) ?? 0),
        AffectedSopInstanceUid = ds.GetString(DicomTags.AffectedSOPInstanceUID) ?? throw new FormatException("A C-STORE-RQ lacks its Affected SOP Instance UID (PS3.7 Table 9.3-1)."),
        MoveOriginatorAeTitle = ds.GetString(DicomTags.MoveOriginatorApplicationEntityTitle),
        MoveOriginatorMessageId = ds.GetInt(DicomTags.MoveOriginatorMessageID) is { } m ? (ushort)m : null,
    };

    public CStoreRsp CreateResponse(ushort status, string? errorComment = null) => new()
    {
        AffectedSopClassUid = AffectedSopClassUid,
        AffectedSopInstanceUid = AffectedSopInstanceUid,
        MessageIdBeingRespondedTo = MessageId,
        Status = status,
        ErrorComment = errorComment,
    };
}

/// <summary>C-STORE-RSP (PS3.7 §9.3.1.2, Table 9.3-2).</summary>
public sealed record CStoreRsp : DimseResponse
{
    public override DimseCommandField CommandField => DimseCommandField.CStoreRsp;

    /// <summary>Affected SOP Instance UID (0000,1000).</summary>
    public required string AffectedSopInstanceUid { get; init; }

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        command.AddOrUpdate(DicomTags.AffectedSOPInstanceUID, DicomVR.UI, AffectedSopInstanceUid);
    }

    internal CStoreRsp ReadResponse(DicomDataset ds) => ReadResponse(this, ds);
}
