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
        var r = new SequenceReader<byte>(body);
        AssociateFields.ReadFixed(ref r, out var version, out var called, out var calling);
        string? appContext = null;
        UserInformation? userInfo = null;
        List<PresentationContextAc> contexts = [];
        while (!r.End)
        {
            var v = PduEncoding.ReadItem(ref r, out var type, out _);
            switch (type)
            {
                case AssociateFields.ApplicationContextItemType:
                    appContext = AssociateFields.ReadApplicationContext(v);
                    break;
                case PresentationContextAc.ItemType:
                    contexts.Add(PresentationContextAc.Read(v));
                    break;
                case UserInformation.ItemType:
                    userInfo = UserInformation.Read(v);
                    break;
                default:
                    throw new DicomProtocolException(AAbortReason.UnrecognizedPduParameter, $"A-ASSOCIATE-AC holds an unknown item 0x{type:X2} (PS3.8 Table 9-17).");
            }
        }
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
