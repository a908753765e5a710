namespace MedNode.Dicom.Network.Pdus;

/// <summary>Presentation Context Item of the A-ASSOCIATE-RQ (PS3.8 §9.3.2.2, item type 20H) with its Abstract Syntax (30H) and Transfer Syntax (40H) sub-items.</summary>
public sealed record PresentationContextRq(byte Id, string AbstractSyntax, IReadOnlyList<string> TransferSyntaxes)
{
    public const byte ItemType = 0x20;
    internal const byte AbstractSyntaxType = 0x30;
    internal const byte TransferSyntaxType = 0x40;

    internal void Write(IBufferWriter<byte> w)
    {
        var length = 4 + 4 + PduEncoding.AsciiLength(AbstractSyntax) + TransferSyntaxes.Sum(t => 4 + PduEncoding.AsciiLength(t));
        PduEncoding.WriteItemHeader(w, ItemType, length);
        PduEncoding.WriteByte(w, Id);
        PduEncoding.WriteZeros(w, 3);
        PduEncoding.WriteItemHeader(w, AbstractSyntaxType, PduEncoding.AsciiLength(AbstractSyntax));
        PduEncoding.WriteAscii(w, AbstractSyntax);
        foreach (var ts in TransferSyntaxes)
        {
            PduEncoding.WriteItemHeader(w, TransferSyntaxType, PduEncoding.AsciiLength(ts));
            PduEncoding.WriteAscii(w, ts);
        }
    }

    internal static PresentationContextRq Read(SequenceReader<byte> r)
    {
        var id = PduEncoding.ReadByte(ref r);
        PduEncoding.Skip(ref r, 3);
        string? abstractSyntax = null;
        List<string> transferSyntaxes = [];
        while (!r.End)
        {
            var v = PduEncoding.ReadItem(ref r, out var type, out _);
            switch (type)
            {
                case AbstractSyntaxType when abstractSyntax == null:
                    abstractSyntax = PduEncoding.ReadUid(ref v, (int)v.Remaining);
                    break;
                case TransferSyntaxType:
                    transferSyntaxes.Add(PduEncoding.ReadUid(ref v, (int)v.Remaining));
                    break;
                case AbstractSyntaxType:
                    throw new DicomProtocolException(AAbortReason.UnexpectedPduParameter, $"Presentation context {id} holds two abstract syntax sub-items (PS3.8 §9.3.2.2).");
                default:
                    throw new DicomProtocolException(AAbortReason.UnrecognizedPduParameter, $"Presentation context {id} holds an unknown sub-item 0x{type:X2} (PS3.8 §9.3.2.2).");
            }
        }
        if (abstractSyntax == null || transferSyntaxes.Count == 0)
            throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"Presentation context {id} needs one abstract syntax and at least one transfer syntax (PS3.8 §9.3.2.2).");
        return new PresentationContextRq(id, abstractSyntax, transferSyntaxes);
    }
}

/// <summary>Result/Reason of a Presentation Context Item in the A-ASSOCIATE-AC (PS3.8 Table 9-18).</summary>
public enum PresentationContextResult : byte
{
    Acceptance = 0,
    UserRejection = 1,
    NoReason = 2,
    AbstractSyntaxNotSupported = 3,
    TransferSyntaxesNotSupported = 4,
}

/// <summary>
/// Presentation Context Item of the A-ASSOCIATE-AC (PS3.8 §9.3.3.2, item type 21H). The transfer syntax is
/// significant only when the result is acceptance.
/// </summary>
public sealed record PresentationContextAc(byte Id, PresentationContextResult Result, string TransferSyntax)
{
    public const byte ItemType = 0x21;

    internal void Write(IBufferWriter<byte> w)
    {
        var tsLength = PduEncoding.AsciiLength(TransferSyntax);
        PduEncoding.WriteItemHeader(w, ItemType, 4 + 4 + tsLength);
        PduEncoding.WriteByte(w, Id);
        PduEncoding.WriteByte(w, 0);
        PduEncoding.WriteByte(w, (byte)Result);
        PduEncoding.WriteByte(w, 0);
        PduEncoding.WriteItemHeader(w, PresentationContextRq.TransferSyntaxType, tsLength);
        PduEncoding.WriteAscii(w, TransferSyntax);
    }

    internal static PresentationContextAc Read(SequenceReader<byte> r)
    {
        var id = PduEncoding.ReadByte(ref r);
        PduEncoding.Skip(ref r, 1);
        var result = PduEncoding.ReadByte(ref r);
        PduEncoding.Skip(ref r, 1);
        var ts = "";
        while (!r.End)
        {
            var v = PduEncoding.ReadItem(ref r, out var type, out _);
            if (type != PresentationContextRq.TransferSyntaxType)
                throw new DicomProtocolException(AAbortReason.UnrecognizedPduParameter, $"Accepted presentation context {id} holds an unexpected sub-item 0x{type:X2} (PS3.8 §9.3.3.2).");
            ts = PduEncoding.ReadUid(ref v, (int)v.Remaining);
        }
        return new PresentationContextAc(id, (PresentationContextResult)result, ts);
    }
}
