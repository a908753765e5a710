namespace MedNode.Dicom.Network.Dimse;

/// <summary>The sub-operation counts of a C-GET or C-MOVE response (PS3.7 Tables 9.3-8 and 9.3-10), each present only when sent.</summary>
public abstract record DimseRetrieveResponse : DimseResponse
{
    public ushort? RemainingSuboperations { get; init; }

    public ushort? CompletedSuboperations { get; init; }

    public ushort? FailedSuboperations { get; init; }

    public ushort? WarningSuboperations { get; init; }

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        if (RemainingSuboperations is { } r) command.AddOrUpdate(DicomTags.NumberOfRemainingSuboperations, r);
        if (CompletedSuboperations is { } c) command.AddOrUpdate(DicomTags.NumberOfCompletedSuboperations, c);
        if (FailedSuboperations is { } f) command.AddOrUpdate(DicomTags.NumberOfFailedSuboperations, f);
        if (WarningSuboperations is { } w) command.AddOrUpdate(DicomTags.NumberOfWarningSuboperations, w);
    }

    internal T ReadCounts<T>(T self, DicomDataset ds) where T : DimseRetrieveResponse => ReadResponse(self, ds) with
    {
        RemainingSuboperations = Us(ds, DicomTags.NumberOfRemainingSuboperations),
        CompletedSuboperations = Us(ds, DicomTags.NumberOfCompletedSuboperations),
        FailedSuboperations = Us(ds, DicomTags.NumberOfFailedSuboperations),
        WarningSuboperations = Us(ds, DicomTags.NumberOfWarningSuboperations),
    };

    private static ushort? Us(DicomDataset ds, DicomTag tag) => ds.GetInt(tag) is { } v ? (ushort)v : null;
}

/// <summary>C-GET-RQ (PS3.7 §9.3.3.1, Table 9.3-5).</summary>
public sealed record CGetRq : DimsePriorityRequest
{
    public override DimseCommandField CommandField => DimseCommandField.CGetRq;

    internal CGetRq ReadRequest(DicomDataset ds) => ReadRequest(this, ds);

    public CGetRsp CreateResponse(ushort status, string? errorComment = null) => new()
    {
        AffectedSopClassUid = AffectedSopClassUid,
        MessageIdBeingRespondedTo = MessageId,
        Status = status,
        ErrorComment = errorComment,
    };
}

/// <summary>C-GET-RSP (PS3.7 §9.3.3.2, Table 9.3-6).</summary>
public sealed record CGetRsp : DimseRetrieveResponse
{
    public override DimseCommandField CommandField => DimseCommandField.CGetRsp;

    internal CGetRsp ReadResponse(DicomDataset ds) => ReadCounts(this, ds);
}

/// <summary>C-MOVE-RQ (PS3.7 §9.3.4.1, Table 9.3-9).</summary>
public sealed record CMoveRq : DimsePriorityRequest
{
    public override DimseCommandField CommandField => DimseCommandField.CMoveRq;

    /// <summary>Move Destination (0000,0600): the AE title the instances go to.</summary>
    public required string MoveDestination { get; init; }

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        command.AddOrUpdate(DicomTags.MoveDestination, DicomVR.AE, MoveDestination);
    }

    internal CMoveRq ReadRequest(DicomDataset ds) => ReadRequest(this, ds);

    public CMoveRsp CreateResponse(ushort status, string? errorComment = null) => new()
    {
        AffectedSopClassUid = AffectedSopClassUid,
        MessageIdBeingRespondedTo = MessageId,
        Status = status,
        ErrorComment = errorComment,
    };
}

/// <summary>C-MOVE-RSP (PS3.7 §9.3.4.2, Table 9.3-10).</summary>
public sealed record CMoveRsp : DimseRetrieveResponse
{
    public override DimseCommandField CommandField => DimseCommandField.CMoveRsp;

    internal CMoveRsp ReadResponse(DicomDataset ds) => ReadCounts(this, ds);
}

/// <summary>C-CANCEL-RQ (PS3.7 §9.3.2.3, Table 9.3-7): it names the request to cancel and has no SOP class.</summary>
public sealed record CCancelRq : DimseCommand
{
    public override DimseCommandField CommandField => DimseCommandField.CCancelRq;

    public ushort MessageIdBeingRespondedTo { get; init; }

    protected override void WriteFields(DicomDataset command) => command.AddOrUpdate(DicomTags.MessageIDBeingRespondedTo, MessageIdBeingRespondedTo);
}
