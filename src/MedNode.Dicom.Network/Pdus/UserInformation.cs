namespace MedNode.Dicom.Network.Pdus;

/// <summary>Asynchronous Operations Window sub-item (PS3.7 §D.3.3.3); 0 means unlimited.</summary>
public sealed record AsynchronousOperationsWindow(ushort MaxOperationsInvoked, ushort MaxOperationsPerformed);

/// <summary>SCP/SCU Role Selection sub-item (PS3.7 §D.3.3.4): in the RQ, the roles proposed; in the AC, those accepted.</summary>
public sealed record ScpScuRoleSelection(string SopClassUid, bool ScuRole, bool ScpRole);

/// <summary>SOP Class Extended Negotiation sub-item (PS3.7 §D.3.3.5); the information is service-class specific.</summary>
public sealed record SopClassExtendedNegotiation(string SopClassUid, byte[] ServiceClassApplicationInformation);

/// <summary>SOP Class Common Extended Negotiation sub-item (PS3.7 §D.3.3.6), sent in the RQ only.</summary>
public sealed record SopClassCommonExtendedNegotiation(string SopClassUid, string ServiceClassUid, IReadOnlyList<string> RelatedGeneralSopClassUids, byte SubItemVersion = 0);

/// <summary>User Identity Type (PS3.7 Table D.3-14).</summary>
public enum UserIdentityType : byte
{
    Username = 1,
    UsernameAndPasscode = 2,
    KerberosServiceTicket = 3,
    SamlAssertion = 4,
    JsonWebToken = 5,
}

/// <summary>User Identity sub-item of the A-ASSOCIATE-RQ (PS3.7 §D.3.3.7.1).</summary>
public sealed record UserIdentityRq(UserIdentityType IdentityType, bool PositiveResponseRequested, byte[] PrimaryField, byte[] SecondaryField);

/// <summary>User Identity sub-item of the A-ASSOCIATE-AC (PS3.7 §D.3.3.7.2).</summary>
public sealed record UserIdentityAc(byte[] ServerResponse);

/// <summary>
/// User Information item (PS3.8 §9.3.2.3 / §9.3.3.3, item type 50H) and its sub-items (PS3.8 Annex D.1, PS3.7 Annex D.3.3).
/// Sub-items of an unknown type are ignored on receipt.
/// </summary>
public sealed record UserInformation
{
    public const byte ItemType = 0x50;
    internal const byte MaximumLengthType = 0x51;
    internal const byte ImplementationClassUidType = 0x52;
    internal const byte AsynchronousOperationsWindowType = 0x53;
    internal const byte RoleSelectionType = 0x54;
    internal const byte ImplementationVersionNameType = 0x55;
    internal const byte ExtendedNegotiationType = 0x56;
    internal const byte CommonExtendedNegotiationType = 0x57;
    internal const byte UserIdentityRqType = 0x58;
    internal const byte UserIdentityAcType = 0x59;

    /// <summary>Maximum Length sub-item (PS3.8 §D.1): the largest P-DATA-TF variable field the sender can receive; 0 = no limit.</summary>
    public uint? MaximumLength { get; init; }

    /// <summary>Implementation Class UID sub-item (PS3.7 §D.3.3.2).</summary>
    public string? ImplementationClassUid { get; init; }

    /// <summary>Implementation Version Name sub-item (PS3.7 §D.3.3.2), 1 to 16 characters.</summary>
    public string? ImplementationVersionName { get; init; }

    public AsynchronousOperationsWindow? AsynchronousOperationsWindow { get; init; }

    public IReadOnlyList<ScpScuRoleSelection> RoleSelections { get; init; } = [];

    public IReadOnlyList<SopClassExtendedNegotiation> ExtendedNegotiations { get; init; } = [];

    public IReadOnlyList<SopClassCommonExtendedNegotiation> CommonExtendedNegotiations { get; init; } = [];

    public UserIdentityRq? UserIdentityRq { get; init; }

    public UserIdentityAc? UserIdentityAc { get; init; }

    internal void Write(IBufferWriter<byte> writer)
    {
        var body = new ArrayBufferWriter<byte>(256);
        if (MaximumLength is { } max)
        {
            PduEncoding.WriteItemHeader(body, MaximumLengthType, 4);
            PduEncoding.WriteUInt32(body, max);
        }
        if (ImplementationClassUid is { } uid) WriteStringItem(body, ImplementationClassUidType, uid);
        if (AsynchronousOperationsWindow is { } w)
        {
            PduEncoding.WriteItemHeader(body, AsynchronousOperationsWindowType, 4);
            PduEncoding.WriteUInt16(body, w.MaxOperationsInvoked);
            PduEncoding.WriteUInt16(body, w.MaxOperationsPerformed);
        }
        foreach (var role in RoleSelections)
        {
            var n = PduEncoding.AsciiLength(role.SopClassUid);
            PduEncoding.WriteItemHeader(body, RoleSelectionType, 2 + n + 2);
            PduEncoding.WriteUInt16(body, (ushort)n);
            PduEncoding.WriteAscii(body, role.SopClassUid);
            PduEncoding.WriteByte(body, role.ScuRole ? (byte)1 : (byte)0);
            PduEncoding.WriteByte(body, role.ScpRole ? (byte)1 : (byte)0);
        }
        if (ImplementationVersionName is { } name) WriteStringItem(body, ImplementationVersionNameType, name);
        foreach (var ext in ExtendedNegotiations)
        {
            var n = PduEncoding.AsciiLength(ext.SopClassUid);
            PduEncoding.WriteItemHeader(body, ExtendedNegotiationType, 2 + n + ext.ServiceClassApplicationInformation.Length);
            PduEncoding.WriteUInt16(body, (ushort)n);
            PduEncoding.WriteAscii(body, ext.SopClassUid);
            PduEncoding.WriteBytes(body, ext.ServiceClassApplicationInformation);
        }
        foreach (var common in CommonExtendedNegotiations)
        {
            var sop = PduEncoding.AsciiLength(common.SopClassUid);
            var service = PduEncoding.AsciiLength(common.ServiceClassUid);
            var related = common.RelatedGeneralSopClassUids.Sum(u => 2 + PduEncoding.AsciiLength(u));
            PduEncoding.WriteItemHeader(body, CommonExtendedNegotiationType, 2 + sop + 2 + service + 2 + related, common.SubItemVersion);
            PduEncoding.WriteUInt16(body, (ushort)sop);
            PduEncoding.WriteAscii(body, common.SopClassUid);
            PduEncoding.WriteUInt16(body, (ushort)service);
            PduEncoding.WriteAscii(body, common.ServiceClassUid);
            PduEncoding.WriteUInt16(body, (ushort)related);
            foreach (var u in common.RelatedGeneralSopClassUids)
            {
                PduEncoding.WriteUInt16(body, (ushort)PduEncoding.AsciiLength(u));
                PduEncoding.WriteAscii(body, u);
            }
        }
        if (UserIdentityRq is { } idRq)
        {
            PduEncoding.WriteItemHeader(body, UserIdentityRqType, 1 + 1 + 2 + idRq.PrimaryField.Length + 2 + idRq.SecondaryField.Length);
            PduEncoding.WriteByte(body, (byte)idRq.IdentityType);
            PduEncoding.WriteByte(body, idRq.PositiveResponseRequested ? (byte)1 : (byte)0);
            PduEncoding.WriteUInt16(body, (ushort)idRq.PrimaryField.Length);
            PduEncoding.WriteBytes(body, idRq.PrimaryField);
            PduEncoding.WriteUInt16(body, (ushort)idRq.SecondaryField.Length);
            PduEncoding.WriteBytes(body, idRq.SecondaryField);
        }
        if (UserIdentityAc is { } idAc)
        {
            PduEncoding.WriteItemHeader(body, UserIdentityAcType, 2 + idAc.ServerResponse.Length);
            PduEncoding.WriteUInt16(body, (ushort)idAc.ServerResponse.Length);
            PduEncoding.WriteBytes(body, idAc.ServerResponse);
        }
        PduEncoding.WriteItemHeader(writer, ItemType, body.WrittenCount);
        writer.Write(body.WrittenSpan);
    }

    private static void WriteStringItem(IBufferWriter<byte> w, byte type, string value)
    {
        PduEncoding.WriteItemHeader(w, type, PduEncoding.AsciiLength(value));
        PduEncoding.WriteAscii(w, value);
    }

    /// <summary>Reads the value of a User Information item: a list of sub-items, each checked against what remains.</summary>
    internal static UserInformation Read(SequenceReader<byte> r)
    {
        uint? max = null;
        string? classUid = null, versionName = null;
        AsynchronousOperationsWindow? window = null;
        List<ScpScuRoleSelection> roles = [];
        List<SopClassExtendedNegotiation> ext = [];
        List<SopClassCommonExtendedNegotiation> common = [];
        UserIdentityRq? idRq = null;
        UserIdentityAc? idAc = null;
        while (!r.End)
        {
            var v = PduEncoding.ReadItem(ref r, out var type, out var second);
            switch (type)
            {
                case MaximumLengthType:
                    max = PduEncoding.ReadUInt32(ref v);
                    break;
                case ImplementationClassUidType:
                    classUid = PduEncoding.ReadUid(ref v, (int)v.Remaining);
                    break;
                case ImplementationVersionNameType:
                    versionName = PduEncoding.ReadAscii(ref v, (int)v.Remaining).TrimEnd(' ', '\0');
                    break;
                case AsynchronousOperationsWindowType:
                    window = new AsynchronousOperationsWindow(PduEncoding.ReadUInt16(ref v), PduEncoding.ReadUInt16(ref v));
                    break;
                case RoleSelectionType:
                {
                    var uid = PduEncoding.ReadUid(ref v, PduEncoding.ReadUInt16(ref v));
                    roles.Add(new ScpScuRoleSelection(uid, PduEncoding.ReadByte(ref v) != 0, PduEncoding.ReadByte(ref v) != 0));
                    break;
                }
                case ExtendedNegotiationType:
                {
                    var uid = PduEncoding.ReadUid(ref v, PduEncoding.ReadUInt16(ref v));
                    ext.Add(new SopClassExtendedNegotiation(uid, PduEncoding.ReadBytes(ref v, (int)v.Remaining)));
                    break;
                }
                case CommonExtendedNegotiationType:
                {
                    var sop = PduEncoding.ReadUid(ref v, PduEncoding.ReadUInt16(ref v));
                    var service = PduEncoding.ReadUid(ref v, PduEncoding.ReadUInt16(ref v));
                    var relatedLength = PduEncoding.ReadUInt16(ref v);
                    if (v.Remaining < relatedLength) throw PduEncoding.Truncated();
                    var rr = new SequenceReader<byte>(v.UnreadSequence.Slice(0, relatedLength));
                    List<string> related = [];
                    while (!rr.End) related.Add(PduEncoding.ReadUid(ref rr, PduEncoding.ReadUInt16(ref rr)));
                    common.Add(new SopClassCommonExtendedNegotiation(sop, service, related, second));
                    break;
                }
                case UserIdentityRqType:
                {
                    var idType = (UserIdentityType)PduEncoding.ReadByte(ref v);
                    var positive = PduEncoding.ReadByte(ref v) != 0;
                    var primary = PduEncoding.ReadBytes(ref v, PduEncoding.ReadUInt16(ref v));
                    var secondary = PduEncoding.ReadBytes(ref v, PduEncoding.ReadUInt16(ref v));
                    idRq = new UserIdentityRq(idType, positive, primary, secondary);
                    break;
                }
                case UserIdentityAcType:
                    idAc = new UserIdentityAc(PduEncoding.ReadBytes(ref v, PduEncoding.ReadUInt16(ref v)));
                    break;
                default:
                    // PS3.7 §D.3.3: a sub-item that is not recognised is ignored.
                    break;
            }
        }
        return new UserInformation
        {
            MaximumLength = max,
            ImplementationClassUid = classUid,
            ImplementationVersionName = versionName,
            AsynchronousOperationsWindow = window,
            RoleSelections = roles,
            ExtendedNegotiations = ext,
            CommonExtendedNegotiations = common,
            UserIdentityRq = idRq,
            UserIdentityAc = idAc,
        };
    }
}
