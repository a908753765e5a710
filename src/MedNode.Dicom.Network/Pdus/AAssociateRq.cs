namespace MedNode.Dicom.Network.Pdus;

/// <summary>A-ASSOCIATE-RQ PDU (PS3.8 §9.3.2, Table 9-11).</summary>
public sealed record AAssociateRq : Pdu
{
    /// <summary>Protocol-version: bit 0 set for version 1 (PS3.8 Table 9-11).</summary>
    public ushort ProtocolVersion { get; init; } = 1;

    public required string CalledAeTitle { get; init; }

    public required string CallingAeTitle { get; init; }

    /// <summary>Application Context Name (PS3.8 §9.3.2.1, PS3.7 Annex A.2.1).</summary>
    public string ApplicationContextName { get; init; } = AssociateFields.DicomApplicationContextName;

    public required IReadOnlyList<PresentationContextRq> PresentationContexts { get; init; }

    public required UserInformation UserInformation { get; init; }

    public override PduType Type => PduType.AAssociateRq;

    public override void Write(IBufferWriter<byte> writer) =>
        AssociateFields.Write(writer, PduType.AAssociateRq, ProtocolVersion, CalledAeTitle, CallingAeTitle, ApplicationContextName,
            w => { foreach (var pc in PresentationContexts) pc.Write(w); }, UserInformation);

    internal static AAssociateRq Read(ReadOnlySequence<byte> body)
    {
        var (version, called, calling, appContext, contexts, userInfo) =
            AssociateFields.ReadVariable(body, PresentationContextRq.ItemType, PresentationContextRq.Read, "A-ASSOCIATE-RQ", "Table 9-11");
        if (appContext == null) throw AssociateFields.Missing("application context item", "§9.3.2.1");
        if (contexts.Count == 0) throw AssociateFields.Missing("presentation context items", "§9.3.2.2");
        if (userInfo == null) throw AssociateFields.Missing("user information item", "§9.3.2.3");
        return new AAssociateRq
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
