namespace MedNode.Dicom.Network.Dimse;

/// <summary>N-EVENT-REPORT-RQ (PS3.7 §10.3.1.1, Table 10.3-1), used by Storage Commitment (PS3.4 Annex J).</summary>
public sealed record NEventReportRq : DimseRequest
{
    public override DimseCommandField CommandField => DimseCommandField.NEventReportRq;

    /// <summary>Affected SOP Instance UID (0000,1000).</summary>
    public required string AffectedSopInstanceUid { get; init; }

    /// <summary>Event Type ID (0000,1002).</summary>
    public ushort EventTypeId { get; init; }

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        command.AddOrUpdate(DicomTags.AffectedSOPInstanceUID, DicomVR.UI, AffectedSopInstanceUid);
        command.AddOrUpdate(DicomTags.EventTypeID, EventTypeId);
    }

    internal static NEventReportRq Read(DicomDataset ds, string sopClass, bool hasDataSet) => new()
    {
        AffectedSopClassUid = sopClass,
        HasDataSet = hasDataSet,
        MessageId = RequiredUs(ds, DicomTags.MessageID),
        AffectedSopInstanceUid = ds.GetString(DicomTags.AffectedSOPInstanceUID) ?? "",
        EventTypeId = RequiredUs(ds, DicomTags.EventTypeID),
    };

    public NEventReportRsp CreateResponse(ushort status) => new()
    {
        AffectedSopClassUid = AffectedSopClassUid,
        AffectedSopInstanceUid = AffectedSopInstanceUid,
        EventTypeId = EventTypeId,
        MessageIdBeingRespondedTo = MessageId,
        Status = status,
    };
}

/// <summary>N-EVENT-REPORT-RSP (PS3.7 §10.3.1.2, Table 10.3-2).</summary>
public sealed record NEventReportRsp : DimseResponse
{
    public override DimseCommandField CommandField => DimseCommandField.NEventReportRsp;

    public string AffectedSopInstanceUid { get; init; } = "";

    public ushort? EventTypeId { get; init; }

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        if (AffectedSopInstanceUid.Length > 0) command.AddOrUpdate(DicomTags.AffectedSOPInstanceUID, DicomVR.UI, AffectedSopInstanceUid);
        if (EventTypeId is { } e) command.AddOrUpdate(DicomTags.EventTypeID, e);
    }

    internal static NEventReportRsp Read(DicomDataset ds, string sopClass, bool hasDataSet) => new NEventReportRsp
    {
        AffectedSopClassUid = sopClass,
        HasDataSet = hasDataSet,
        AffectedSopInstanceUid = ds.GetString(DicomTags.AffectedSOPInstanceUID) ?? "",
        EventTypeId = ds.GetInt(DicomTags.EventTypeID) is { } e ? (ushort)e : null,
    }.ReadResponse(ds);

    private NEventReportRsp ReadResponse(DicomDataset ds) => ReadResponse(this, ds);
}

/// <summary>N-ACTION-RQ (PS3.7 §10.3.4.1, Table 10.3-7): it names a Requested SOP Class and Instance, not an Affected one.</summary>
public sealed record NActionRq : DimseRequest
{
    public override DimseCommandField CommandField => DimseCommandField.NActionRq;

    /// <summary>Requested SOP Class UID (0000,0003).</summary>
    public required string RequestedSopClassUid { get; init; }

    /// <summary>Requested SOP Instance UID (0000,1001).</summary>
    public required string RequestedSopInstanceUid { get; init; }

    /// <summary>Action Type ID (0000,1008).</summary>
    public ushort ActionTypeId { get; init; }

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        command.AddOrUpdate(DicomTags.RequestedSOPClassUID, DicomVR.UI, RequestedSopClassUid);
        command.AddOrUpdate(DicomTags.RequestedSOPInstanceUID, DicomVR.UI, RequestedSopInstanceUid);
        command.AddOrUpdate(DicomTags.ActionTypeID, ActionTypeId);
    }

    internal static NActionRq Read(DicomDataset ds, bool hasDataSet) => new()
    {
        HasDataSet = hasDataSet,
        MessageId = RequiredUs(ds, DicomTags.MessageID),
        RequestedSopClassUid = ds.GetString(DicomTags.RequestedSOPClassUID) ?? throw new FormatException("An N-ACTION-RQ lacks its Requested SOP Class UID (PS3.7 Table 10.3-7)."),
        RequestedSopInstanceUid = ds.GetString(DicomTags.RequestedSOPInstanceUID) ?? throw new FormatException("An N-ACTION-RQ lacks its Requested SOP Instance UID (PS3.7 Table 10.3-7)."),
        ActionTypeId = RequiredUs(ds, DicomTags.ActionTypeID),
    };

    public NActionRsp CreateResponse(ushort status) => new()
    {
        AffectedSopClassUid = RequestedSopClassUid,
        AffectedSopInstanceUid = RequestedSopInstanceUid,
        ActionTypeId = ActionTypeId,
        MessageIdBeingRespondedTo = MessageId,
        Status = status,
    };
}

/// <summary>N-ACTION-RSP (PS3.7 §10.3.4.2, Table 10.3-8).</summary>
public sealed record NActionRsp : DimseResponse
{
    public override DimseCommandField CommandField => DimseCommandField.NActionRsp;

    public string AffectedSopInstanceUid { get; init; } = "";

    public ushort? ActionTypeId { get; init; }

    protected override void WriteFields(DicomDataset command)
    {
        base.WriteFields(command);
        if (AffectedSopInstanceUid.Length > 0) command.AddOrUpdate(DicomTags.AffectedSOPInstanceUID, DicomVR.UI, AffectedSopInstanceUid);
        if (ActionTypeId is { } a) command.AddOrUpdate(DicomTags.ActionTypeID, a);
    }

    internal static NActionRsp Read(DicomDataset ds, string sopClass, bool hasDataSet) => new NActionRsp
    {
        AffectedSopClassUid = sopClass,
        HasDataSet = hasDataSet,
        AffectedSopInstanceUid = ds.GetString(DicomTags.AffectedSOPInstanceUID) ?? "",
        ActionTypeId = ds.GetInt(DicomTags.ActionTypeID) is { } a ? (ushort)a : null,
    }.ReadResponse(ds);

    private NActionRsp ReadResponse(DicomDataset ds) => ReadResponse(this, ds);
}
