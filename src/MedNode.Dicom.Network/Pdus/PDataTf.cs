namespace MedNode.Dicom.Network.Pdus;

/// <summary>
/// A Presentation Data Value item (PS3.8 §9.3.5.1, Annex E.2): the presentation context ID, the message control
/// header (bit 0 set: command, clear: data set; bit 1 set: last fragment) and a message fragment.
/// A PDV read from a buffer slices that buffer and is valid only until the reader advances past it.
/// </summary>
public readonly record struct PresentationDataValue(byte PresentationContextId, bool IsCommand, bool IsLastFragment, ReadOnlySequence<byte> Data)
{
    /// <summary>Item-length (4) + presentation context ID (1) + message control header (1).</summary>
    public const int Overhead = 6;

    public PresentationDataValue(byte presentationContextId, bool isCommand, bool isLastFragment, ReadOnlyMemory<byte> data)
        : this(presentationContextId, isCommand, isLastFragment, new ReadOnlySequence<byte>(data)) { }

    public byte MessageControlHeader => (byte)((IsCommand ? 1 : 0) | (IsLastFragment ? 2 : 0));
}

/// <summary>P-DATA-TF PDU (PS3.8 §9.3.5, Table 9-22): one or more presentation data value items.</summary>
public sealed record PDataTf(IReadOnlyList<PresentationDataValue> Values) : Pdu
{
    public override PduType Type => PduType.PDataTf;

    /// <summary>The PDU-length field: the sum of the PDV items.</summary>
    public long BodyLength => Values.Sum(v => PresentationDataValue.Overhead + v.Data.Length);

    public override void Write(IBufferWriter<byte> writer)
    {
        var length = BodyLength;
        if (length > uint.MaxValue) throw new InvalidOperationException("A P-DATA-TF PDU cannot exceed 4 GiB (PS3.8 §9.3.5).");
        PduEncoding.WritePduHeader(writer, PduType.PDataTf, (uint)length);
        foreach (var v in Values) WriteValue(writer, v);
    }

    /// <summary>Writes one PDV item (PS3.8 Table 9-23, Annex E.2).</summary>
    internal static void WriteValue(IBufferWriter<byte> writer, PresentationDataValue v)
    {
        PduEncoding.WriteUInt32(writer, (uint)(v.Data.Length + 2));
        PduEncoding.WriteByte(writer, v.PresentationContextId);
        PduEncoding.WriteByte(writer, v.MessageControlHeader);
        foreach (var segment in v.Data) writer.Write(segment.Span);
    }

    /// <summary>Reads the PDV items, slicing <paramref name="body"/> without copying.</summary>
    internal static PDataTf Read(ReadOnlySequence<byte> body)
    {
        var values = new List<PresentationDataValue>(1);
        var r = new SequenceReader<byte>(body);
        while (!r.End)
        {
            var itemLength = PduEncoding.ReadUInt32(ref r);
            if (itemLength < 2)
                throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"A PDV item length of {itemLength} leaves no room for the context ID and message control header (PS3.8 Table 9-23).");
            if (r.Remaining < itemLength)
                throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"A PDV item claims {itemLength} bytes but only {r.Remaining} remain in the P-DATA-TF PDU.");
            var pcid = PduEncoding.ReadByte(ref r);
            var mch = PduEncoding.ReadByte(ref r);
            var data = r.UnreadSequence.Slice(0, itemLength - 2);
            r.Advance(itemLength - 2);
            values.Add(new PresentationDataValue(pcid, (mch & 1) != 0, (mch & 2) != 0, data));
        }
        if (values.Count == 0)
            throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, "A P-DATA-TF PDU holds no presentation data value item (PS3.8 §9.3.5).");
        return new PDataTf(values);
    }
}
