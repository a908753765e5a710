namespace MedNode.Dicom.Imaging.Codecs;

/// <summary>Encapsulated Uncompressed Explicit VR Little Endian, 1.2.840.10008.1.2.1.98 (PS3.5 §A.4.11): each fragment holds one
/// native frame unchanged.</summary>
public sealed class EncapsulatedUncompressedCodec : IDicomCodec
{
    public string TransferSyntaxUid => DicomTransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian.Uid;
    public bool CanDecode => true;
    public bool CanEncode => true;

    public DecodedFrame Decode(ReadOnlySpan<byte> encoded, FrameInfo info)
    {
        var length = checked((int)info.FrameLength);
        if (encoded.Length < length) throw new DicomCodecException($"encapsulated uncompressed frame has {encoded.Length} bytes, {length} expected");
        return new DecodedFrame(encoded[..length].ToArray(), info.PhotometricInterpretation, info.PlanarConfiguration);
    }

    public byte[] Encode(ReadOnlySpan<byte> native, FrameInfo info)
    {
        var length = checked((int)info.FrameLength);
        if (native.Length < length) throw new DicomCodecException($"native frame has {native.Length} bytes, {length} expected");
        var result = new byte[length + (length & 1)]; // fragments have even length (PS3.5 §A.4)
        native[..length].CopyTo(result);
        return result;
    }
}
