using System.Buffers.Binary;

namespace MedNode.Dicom.Network.Pdus;

/// <summary>
/// Reads whole PDUs from a buffer without blocking (PS3.8 §9.3): <see cref="TryRead"/> returns false when more
/// bytes are needed, and checks the PDU type and the PDU-length field against its limits before it looks at, or
/// allocates for, the body.
/// </summary>
public static class PduReader
{
    /// <summary>
    /// The largest P-DATA-TF this reader ever accepts, even when the local maximum length is 0 ("no limit",
    /// PS3.8 §D.1): a whole PDU is held in memory while it is parsed.
    /// </summary>
    public const uint AbsoluteMaxPDataLength = 64 * 1024 * 1024;

    /// <summary>The default limit for PDUs other than P-DATA-TF (an A-ASSOCIATE-RQ with every storage SOP class is far smaller).</summary>
    public const uint DefaultMaxAssociatePduLength = 1024 * 1024;

    /// <summary>
    /// Tries to read one PDU from the front of <paramref name="buffer"/>. On success the buffer is sliced past it.
    /// A P-DATA-TF read this way slices <paramref name="buffer"/> and is valid until its bytes are released.
    /// </summary>
    /// <param name="maxPDataLength">The Maximum Length this side announced (PS3.8 §D.1); 0 means no limit.</param>
    /// <param name="maxOtherLength">The limit for every other PDU type.</param>
    /// <exception cref="DicomProtocolException">The bytes are not a valid PDU; the exception names the A-ABORT reason.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, uint maxPDataLength, uint maxOtherLength, out Pdu? pdu)
    {
        pdu = null;
        if (buffer.Length < PduEncoding.PduHeaderLength) return false;
        Span<byte> header = stackalloc byte[PduEncoding.PduHeaderLength];
        buffer.Slice(0, PduEncoding.PduHeaderLength).CopyTo(header);
        var type = (PduType)header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[2..]);
        CheckHeader(type, length, maxPDataLength, maxOtherLength);
        if (buffer.Length - PduEncoding.PduHeaderLength < length) return false;

        var body = buffer.Slice(PduEncoding.PduHeaderLength, length);
        pdu = type switch
        {
            PduType.AAssociateRq => AAssociateRq.Read(body),
            PduType.AAssociateAc => AAssociateAc.Read(body),
            PduType.AAssociateRj => AAssociateRj.Read(body),
            PduType.PDataTf => PDataTf.Read(body),
            PduType.AReleaseRq => new AReleaseRq(),
            PduType.AReleaseRp => new AReleaseRp(),
            PduType.AAbort => AAbort.Read(body),
            _ => throw new InvalidOperationException("unreachable: the type was checked"),
        };
        buffer = buffer.Slice(body.End);
        return true;
    }

    /// <summary>Checks a PDU header (PS3.8 §9.3.1) before anything of the body is read.</summary>
    public static void CheckHeader(PduType type, uint length, uint maxPDataLength, uint maxOtherLength)
    {
        switch (type)
        {
            case PduType.AAssociateRq or PduType.AAssociateAc:
                if (length > maxOtherLength)
                    throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"{type} PDU of {length} bytes exceeds the limit of {maxOtherLength}.");
                break;
            case PduType.PDataTf:
                var limit = maxPDataLength == 0 ? AbsoluteMaxPDataLength : Math.Min(maxPDataLength, AbsoluteMaxPDataLength);
                if (length > limit)
                    throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"P-DATA-TF PDU of {length} bytes exceeds the negotiated maximum length of {limit} (PS3.8 §D.1).");
                break;
            case PduType.AAssociateRj or PduType.AReleaseRq or PduType.AReleaseRp or PduType.AAbort:
                if (length != 4)
                    throw new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"{type} PDU has length {length}; PS3.8 §9.3 fixes it at 4.");
                break;
            default:
                throw new DicomProtocolException(AAbortReason.UnrecognizedPdu, $"Unrecognized PDU type 0x{(byte)type:X2} (PS3.8 §9.3.1).");
        }
    }
}
