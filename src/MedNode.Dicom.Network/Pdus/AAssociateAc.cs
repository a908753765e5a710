namespace MedNode.Dicom.Network.Pdus;

/// <summary>
/// A-ASSOCIATE-AC PDU (PS3.8 §9.3.3, Table 9-17). The AE title fields repeat those of the RQ and are not tested
/// on receipt.
/// </summary>
public sealed record AAssociateAc : Pdu
{
    public ushort ProtocolVersion { get; init; } = 1;

    public required string CalledAeTitle { get; init; }

    public required string CallingAeTitle { get; init; }

    public string ApplicationContextName { get; init; } = AssociateFields.DicomApplicationContextName;

    public required IReadOnlyList<PresentationContextAc> PresentationContexts { get; init; }

    public required UserInformation UserInformation { get; init; }

    public override PduType Type => PduType.AAssociateAc;

    public override void Write(IBufferWriter<byte> writer) =>
        AssociateFields.Write(writer, PduType.AAssociateAc, ProtocolVersion, CalledAeTitle, CallingAeTitle, ApplicationContextName,
            w => { foreach (var pc in PresentationContexts) pc.Write(w); }, UserInformation);

    internal static AAssociateAc Read(ReadOnlySequence<byte> body)
    {
        var (version, called, calling, appContext, contexts, userInfo) =
            AssociateFields.ReadVariable(body, PresentationContextAc.ItemType, PresentationContextAc.Read, "A-ASSOCIATE-AC", "Table 9-17");
        if (appContext == null) throw AssociateFields.Missing("application context item", "§9.3.3.1");
        if (userInfo == null) throw AssociateFields.Missing("user information item", "§9.3.3.3");
        return new AAssociateAc
        {
            ProtocolVersion = version,
            CalledAeTitle = called,
            CallingAeTitle = calling,
            ApplicationContextName = appContext,
            PresentationContexts = contexts,
            UserInformation = userInfo,
        };
    }
}
