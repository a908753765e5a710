using MedNode.Dicom.Buffers;
using MedNode.Dicom.Imaging.Codecs;

namespace MedNode.Dicom.Imaging;

/// <summary>
/// Decodes and encodes the pixel data of a data set through <see cref="DicomCodecRegistry"/>: frame by frame, updating the Image
/// Pixel module (Photometric Interpretation, Planar Configuration) and Lossy Image Compression (PS3.3 C.7.6.1.1.5) to match.
/// Throws <see cref="DicomCodecNotSupportedException"/> naming the reason when a codec is missing.
/// </summary>
internal static class PixelTranscoder
{
    private static readonly DicomTag PhotometricInterpretation = new(0x0028, 0x0004);
    private static readonly DicomTag PlanarConfiguration = new(0x0028, 0x0006);
    private static readonly DicomTag LossyImageCompression = new(0x0028, 0x2110);

    /// <summary>A copy of <paramref name="ds"/> whose pixel data is encoded for <paramref name="target"/>; the input is not changed.</summary>
    public static DicomDataset Transcode(DicomDataset ds, DicomTransferSyntax source, DicomTransferSyntax target) =>
        Transcode(ds, source, target, DicomCodecRegistry.Default);

    public static DicomDataset Transcode(DicomDataset ds, DicomTransferSyntax source, DicomTransferSyntax target, DicomCodecRegistry registry)
    {
        var result = ds.Clone();
        var pixels = DicomPixelData.Create(ds);
        if (pixels == null || pixels.Tag != DicomPixelData.PixelDataTag) return result;
        if (source.IsEncapsulated == target.IsEncapsulated && (!source.IsEncapsulated || source.Uid == target.Uid)) return result;

        // 1. Native frames (decoding when the source is encapsulated).
        var info = pixels.Info;
        var frames = new List<byte[]>(pixels.NumberOfFrames);
        for (var f = 0; f < pixels.NumberOfFrames; f++)
        {
            if (!pixels.IsEncapsulated) { frames.Add(pixels.GetNativeFrame(f)); continue; }
            var decoded = registry.Decode(source.Uid, pixels.GetEncapsulatedFrame(f), info);
            frames.Add(decoded.Data);
            if (f == 0) info = info with { PhotometricInterpretation = decoded.PhotometricInterpretation, PlanarConfiguration = decoded.PlanarConfiguration };
        }

        // 2. Encoded for the target.
        if (!target.IsEncapsulated)
        {
            result.AddOrUpdate(DicomPixelData.PixelDataTag, info.BitsAllocated > 8 ? DicomVR.OW : DicomVR.OB, ConcatenateNative(frames, info));
        }
        else
        {
            if (!registry.TryGet(target.Uid, out var encoder) || !encoder.CanEncode)
                throw new DicomCodecNotSupportedException(registry.GetStatus(target.Uid).CanDecode
                    ? $"encoding to {target.Name} is not supported" : registry.GetStatus(target.Uid).Reason);
            var sequence = new DicomFragmentSequence(DicomPixelData.PixelDataTag, DicomVR.OB);
            foreach (var frame in frames)
            {
                var encoded = encoder.Encode(frame, info);
                if (encoded.Length % 2 == 1) Array.Resize(ref encoded, encoded.Length + 1); // fragments have even length (PS3.5 §A.4)
                sequence.Fragments.Add(new MemoryByteBuffer(encoded));
            }
            result.Add(sequence);
            // JPEG, JPEG-LS and JPEG 2000 encoders take colour-by-pixel or colour-by-plane input and write one interleaved image.
            if (info.SamplesPerPixel > 1 && target.Uid != DicomTransferSyntax.RLELossless.Uid && !IsByteCopy(target)) info = info with { PlanarConfiguration = 0 };
            if (target.IsLossy) result.AddOrUpdate(LossyImageCompression, DicomVR.CS, "01");
        }
        result.AddOrUpdate(PhotometricInterpretation, DicomVR.CS, info.PhotometricInterpretation);
        if (info.SamplesPerPixel > 1) result.AddOrUpdate(PlanarConfiguration, (ushort)info.PlanarConfiguration);
        return result;
    }

    /// <summary>One frame as native little-endian bytes: as stored, or decoded with the codec of <paramref name="ts"/>.</summary>
    public static byte[] DecodeFrame(DicomPixelData pixels, DicomTransferSyntax ts, int frame) =>
        pixels.IsEncapsulated ? DicomCodecRegistry.Default.Decode(ts.Uid, pixels.GetEncapsulatedFrame(frame), pixels.Info).Data : pixels.GetNativeFrame(frame);

    private static bool IsByteCopy(DicomTransferSyntax ts) =>
        ts.Uid == DicomTransferSyntax.DeflatedImageFrameCompression.Uid || ts.Uid == DicomTransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian.Uid;

    /// <summary>Frames one after another; 1-bit frames are packed without byte alignment between them (PS3.5 §8.1.1).</summary>
    private static byte[] ConcatenateNative(List<byte[]> frames, FrameInfo info)
    {
        if (info.BitsAllocated != 1 || (long)info.Rows * info.Columns % 8 == 0) return frames.SelectMany(f => f).ToArray();
        var bitsPerFrame = (long)info.Rows * info.Columns * info.SamplesPerPixel;
        var result = new byte[(bitsPerFrame * frames.Count + 7) / 8];
        long bit = 0;
        foreach (var frame in frames)
            for (long i = 0; i < bitsPerFrame; i++, bit++)
                if (((frame[i >> 3] >> (int)(i & 7)) & 1) != 0) result[bit >> 3] |= (byte)(1 << (int)(bit & 7));
        return result;
    }
}
