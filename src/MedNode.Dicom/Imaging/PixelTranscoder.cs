using MedNode.Dicom.Imaging.Codecs;

namespace MedNode.Dicom.Imaging;

/// <summary>Decodes and encodes pixel data through the codecs (PLACEHOLDER until the codec registry lands).</summary>
internal static class PixelTranscoder
{
    public static DicomDataset Transcode(DicomDataset ds, DicomTransferSyntax source, DicomTransferSyntax target) =>
        throw new DicomCodecNotSupportedException($"transfer syntax not supported: transcoding {source.Name} to {target.Name} needs a codec");

    public static byte[] DecodeFrame(DicomPixelData pixels, DicomTransferSyntax ts, int frame) =>
        throw new DicomCodecNotSupportedException($"transfer syntax not supported: no decoder for {ts.Name}");
}
