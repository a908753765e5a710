namespace MedNode.Dicom.Network.Dimse;

/// <summary>A request with a Priority (0000,0700): C-FIND, C-GET and C-MOVE (PS3.7 §9.3.2–9.3.4). An identifier follows.</summary>
public abstract record DimsePriorityRequest : DimseRequest
{
    protected DimsePriorityRequest() => HasDataSet = true;

    public DimsePriority Priority { get; init; } = DimsePriority.Medium;

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        command.AddOrUpdate(DicomTags.Priority, (ushort)Priority);
    }

    internal T ReadRequest<T>(T self, DicomDataset ds) where T : DimsePriorityRequest => self with
    {
        MessageId = RequiredUs(ds, DicomTags.MessageID),
        Priority = (DimsePriority)(ds.GetInt(DicomTags.Priority) ?? 0),
    };
}

/// <summary>C-FIND-RQ (PS3.7 §9.3.2.1, Table 9.3-3).</summary>
public sealed record CFindRq : DimsePriorityRequest
{
    public override DimseCommandField CommandField => DimseCommandField.CFindRq;

    internal CFindRq ReadRequest(DicomDataset ds) => ReadRequest(this, ds);

    /// <summary>A response: Pending (FF00H/FF01H) carries an identifier, the final one does not (PS3.7 §9.1.2.1.6).</summary>
    public CFindRsp CreateResponse(ushort status) => new()
    {
        AffectedSopClassUid = AffectedSopClassUid,
        MessageIdBeingRespondedTo = MessageId,
        Status = status,
        HasDataSet = DimseStatus.Categorize(status) == DimseStatusCategory.Pending,
    };
}

/// <summary>C-FIND-RSP (PS3.7 §9.3.2.2, Table 9.3-4).</summary>
public sealed record CFindRsp : DimseResponse
{
    public override DimseCommandField CommandField => DimseCommandField.CFindRsp;

    internal CFindRsp ReadResponse(DicomDataset ds) => ReadResponse(this, ds);
}
