using MedNode.Dicom.IO;

namespace MedNode.Dicom.Network.Dimse;

/// <summary>
/// A DIMSE command set (PS3.7 §6.3, §9.3, §10.3): group 0000 in Implicit VR Little Endian, with Command Group
/// Length first. Each service has a request and a response type; <see cref="Decode"/> returns the right one.
/// </summary>
public abstract record DimseCommand
{
    public abstract DimseCommandField CommandField { get; }

    /// <summary>Affected SOP Class UID (0000,0002); empty for the commands that have none (C-CANCEL-RQ, N-ACTION-RQ).</summary>
    public string AffectedSopClassUid { get; init; } = "";

    /// <summary>Whether a data set follows: Command Data Set Type (0000,0800) other than 0101H.</summary>
    public bool HasDataSet { get; init; }

    /// <summary>Adds the fields of the specific command.</summary>
    protected abstract void WriteFields(DicomDataset command);

    /// <summary>Encodes the command set, Implicit VR Little Endian (PS3.7 §6.3.1).</summary>
    public byte[] Encode()
    {
        var ds = new DicomDataset();
        // The writer recomputes the group length (PS3.5 §7.2).
        ds.AddOrUpdate(DicomTags.CommandGroupLength, DicomVR.UL, 0d);
        if (AffectedSopClassUid.Length > 0) ds.AddOrUpdate(DicomTags.AffectedSOPClassUID, DicomVR.UI, AffectedSopClassUid);
        ds.AddOrUpdate(DicomTags.CommandField, (ushort)CommandField);
        ds.AddOrUpdate(DicomTags.CommandDataSetType, HasDataSet ? (ushort)0x0000 : CommandSetScanner.NoDataSet);
        WriteFields(ds);
        using var stream = new MemoryStream();
        new DicomWriter(stream, DicomTransferSyntax.ImplicitVRLittleEndian).WriteDataset(ds);
        return stream.ToArray();
    }

    /// <summary>Decodes a command set into its request or response type.</summary>
    /// <exception cref="DicomParseException">The bytes are not a data set.</exception>
    /// <exception cref="FormatException">A required command element is missing.</exception>
    public static DimseCommand Decode(ReadOnlyMemory<byte> command)
    {
        var ds = DicomFile.ParseDataset(command, DicomTransferSyntax.ImplicitVRLittleEndian);
        var field = (DimseCommandField)RequiredUs(ds, DicomTags.CommandField);
        var sopClass = ds.GetString(DicomTags.AffectedSOPClassUID) ?? "";
        var hasDataSet = RequiredUs(ds, DicomTags.CommandDataSetType) != CommandSetScanner.NoDataSet;
        return field switch
        {
            DimseCommandField.CEchoRq => new CEchoRq { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet, MessageId = RequiredUs(ds, DicomTags.MessageID) },
            DimseCommandField.CEchoRsp => new CEchoRsp { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet }.ReadResponse(ds),
            DimseCommandField.CStoreRq => CStoreRq.Read(ds, sopClass, hasDataSet),
            DimseCommandField.CStoreRsp => new CStoreRsp { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet, AffectedSopInstanceUid = ds.GetString(DicomTags.AffectedSOPInstanceUID) ?? "" }.ReadResponse(ds),
            DimseCommandField.CFindRq => new CFindRq { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet }.ReadRequest(ds),
            DimseCommandField.CFindRsp => new CFindRsp { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet }.ReadResponse(ds),
            DimseCommandField.CGetRq => new CGetRq { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet }.ReadRequest(ds),
            DimseCommandField.CGetRsp => new CGetRsp { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet }.ReadResponse(ds),
            DimseCommandField.CMoveRq => new CMoveRq { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet, MoveDestination = ds.GetString(DicomTags.MoveDestination) ?? throw new FormatException("A C-MOVE-RQ lacks its Move Destination (PS3.7 Table 9.3-9).") }.ReadRequest(ds),
            DimseCommandField.CMoveRsp => new CMoveRsp { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet }.ReadResponse(ds),
            DimseCommandField.CCancelRq => new CCancelRq { HasDataSet = hasDataSet, MessageIdBeingRespondedTo = RequiredUs(ds, DicomTags.MessageIDBeingRespondedTo) },
            DimseCommandField.NEventReportRq => NEventReportRq.Read(ds, sopClass, hasDataSet),
            DimseCommandField.NEventReportRsp => NEventReportRsp.Read(ds, sopClass, hasDataSet),
            DimseCommandField.NActionRq => NActionRq.Read(ds, hasDataSet),
            DimseCommandField.NActionRsp => NActionRsp.Read(ds, sopClass, hasDataSet),
            _ => new OtherDimseCommand(field, ds) { AffectedSopClassUid = sopClass, HasDataSet = hasDataSet },
        };
    }

    internal static ushort RequiredUs(DicomDataset ds, DicomTag tag) =>
        ds.GetInt(tag) is { } v ? (ushort)v : throw new FormatException($"The command set lacks {tag}, which PS3.7 requires.");
}

/// <summary>A request: it carries a Message ID (0000,0110).</summary>
public abstract record DimseRequest : DimseCommand
{
    public ushort MessageId { get; init; }

    protected override void WriteFields(DicomDataset command) => command.AddOrUpdate(DicomTags.MessageID, MessageId);
}

/// <summary>A response: Message ID Being Responded To (0000,0120), Status (0000,0900) and an optional Error Comment (0000,0902).</summary>
public abstract record DimseResponse : DimseCommand
{
    public ushort MessageIdBeingRespondedTo { get; init; }

    public ushort Status { get; init; }

    public string? ErrorComment { get; init; }

    public DimseStatusCategory StatusCategory => DimseStatus.Categorize(Status);

    protected override void WriteFields(DicomDataset command)
    {
        command.AddOrUpdate(DicomTags.MessageIDBeingRespondedTo, MessageIdBeingRespondedTo);
        command.AddOrUpdate(DicomTags.Status, Status);
        if (ErrorComment != null) command.AddOrUpdate(DicomTags.ErrorComment, DicomVR.LO, ErrorComment);
    }

    internal T ReadResponse<T>(T self, DicomDataset ds) where T : DimseResponse => self with
    {
        MessageIdBeingRespondedTo = RequiredUs(ds, DicomTags.MessageIDBeingRespondedTo),
        Status = RequiredUs(ds, DicomTags.Status),
        ErrorComment = ds.GetString(DicomTags.ErrorComment),
    };
}

/// <summary>A command of a service without its own type yet; its elements are kept as read.</summary>
public sealed record OtherDimseCommand(DimseCommandField Field, DicomDataset Elements) : DimseCommand
{
    public override DimseCommandField CommandField => Field;

    protected override void WriteFields(DicomDataset command)
    {
        foreach (var item in Elements)
        {
            if (!command.Contains(item.Tag)) command.Add(item);
        }
    }
}
