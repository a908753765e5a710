namespace MedNode.Dicom.Network.Pdus;

/// <summary>
/// The fixed fields that A-ASSOCIATE-RQ and -AC share (PS3.8 Tables 9-11 and 9-17): protocol version, called and
/// calling AE titles and 32 reserved bytes, followed by the variable items.
/// </summary>
internal static class AssociateFields
{
    public const int FixedLength = 2 + 2 + 16 + 16 + 32;
    public const byte ApplicationContextItemType = 0x10;

    /// <summary>The DICOM Application Context Name (PS3.7 Annex A.2.1).</summary>
    public const string DicomApplicationContextName = "1.2.840.10008.3.1.1.1";

    public static void Write(IBufferWriter<byte> writer, PduType type, ushort protocolVersion, string calledAeTitle, string callingAeTitle, string applicationContextName, Action<IBufferWriter<byte>> writeContexts, UserInformation userInformation)
    {
        var body = new ArrayBufferWriter<byte>(1024);
        PduEncoding.WriteUInt16(body, protocolVersion);
        PduEncoding.WriteZeros(body, 2);
        PduEncoding.WriteAeTitle(body, calledAeTitle);
        PduEncoding.WriteAeTitle(body, callingAeTitle);
        PduEncoding.WriteZeros(body, 32);
        PduEncoding.WriteItemHeader(body, ApplicationContextItemType, PduEncoding.AsciiLength(applicationContextName));
        PduEncoding.WriteAscii(body, applicationContextName);
        writeContexts(body);
        userInformation.Write(body);
        PduEncoding.WritePduHeader(writer, type, (uint)body.WrittenCount);
        writer.Write(body.WrittenSpan);
    }

    public static void ReadFixed(ref SequenceReader<byte> r, out ushort protocolVersion, out string called, out string calling)
    {
        if (r.Remaining < FixedLength)
            throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"An A-ASSOCIATE PDU of {r.Remaining} bytes is shorter than its {FixedLength}-byte fixed fields (PS3.8 Table 9-11).");
        protocolVersion = PduEncoding.ReadUInt16(ref r);
        PduEncoding.Skip(ref r, 2);
        called = PduEncoding.ReadAeTitle(ref r);
        calling = PduEncoding.ReadAeTitle(ref r);
        PduEncoding.Skip(ref r, 32);
    }

    public static string ReadApplicationContext(SequenceReader<byte> v) => PduEncoding.ReadUid(ref v, (int)v.Remaining);

    /// <summary>The fields of an A-ASSOCIATE-RQ or -AC as read, before the PDU checks which are mandatory.</summary>
    public readonly record struct Parsed<TContext>(ushort ProtocolVersion, string Called, string Calling, string? ApplicationContext, List<TContext> Contexts, UserInformation? UserInformation);

    /// <summary>
    /// Reads the fixed fields and the variable items of an A-ASSOCIATE-RQ (Table 9-11) or -AC (Table 9-17): the
    /// application context, the presentation context items of <paramref name="contextItemType"/>, and user information.
    /// Any other item is an unrecognized PDU parameter (PS3.8 §9.3.1).
    /// </summary>
    public static Parsed<TContext> ReadVariable<TContext>(ReadOnlySequence<byte> body, byte contextItemType, Func<SequenceReader<byte>, TContext> readContext, string pduName, string table)
    {
        var r = new SequenceReader<byte>(body);
        ReadFixed(ref r, out var version, out var called, out var calling);
        string? appContext = null;
        UserInformation? userInfo = null;
        List<TContext> contexts = [];
        while (!r.End)
        {
            var v = PduEncoding.ReadItem(ref r, out var type, out _);
            if (type == ApplicationContextItemType) appContext = ReadApplicationContext(v);
            else if (type == contextItemType) contexts.Add(readContext(v));
            else if (type == UserInformation.ItemType) userInfo = UserInformation.Read(v);
            else throw new DicomProtocolException(AAbortReason.UnrecognizedPduParameter, $"{pduName} holds an unknown item 0x{type:X2} (PS3.8 {table}).");
        }
        return new Parsed<TContext>(version, called, calling, appContext, contexts, userInfo);
    }

    public static DicomProtocolException Missing(string what, string table) =>
        new(AAbortReason.InvalidPduParameterValue, $"The A-ASSOCIATE PDU lacks its {what} (PS3.8 {table}).");
}
