using MedNode.Dicom.Imaging;

namespace MedNode.Dicom;

/// <summary>
/// Transcoding between transfer syntaxes. Between the uncompressed syntaxes only the encoding changes (the writer
/// byte-swaps for big endian); compressed pixel data goes through the codec registry.
/// </summary>
public static class DicomTranscoder
{
    /// <summary>Returns a data set ready to be written in <paramref name="target"/> (the input is not changed).</summary>
    public static DicomDataset Transcode(DicomDataset ds, DicomTransferSyntax source, DicomTransferSyntax target)
    {
        bool sourceEncapsulated = ds[DicomPixelData.PixelDataTag] is DicomFragmentSequence;
        if (!sourceEncapsulated && !target.IsEncapsulated) return ds;
        if (sourceEncapsulated && target.Uid == source.Uid) return ds;
        return PixelTranscoder.Transcode(ds, source, target);
    }

    /// <summary>One frame decoded to native little endian bytes, before rescale.</summary>
    public static byte[] DecodeFrame(DicomPixelData pixels, DicomTransferSyntax ts, int frame)
    {
        if (!pixels.IsEncapsulated) return pixels.GetNativeFrame(frame);
        return PixelTranscoder.DecodeFrame(pixels, ts, frame);
    }
}
