using System.Runtime.InteropServices;
using static MedNode.Dicom.Native.CharLsInterop;

namespace MedNode.Dicom.Native;

/// <summary>A decoded JPEG-LS image. Samples are little-endian bytes (1 byte when BitsPerSample ≤ 8, else 2), component-interleaved
/// (sample by sample) whatever the interleave mode of the stream: CharLS returns line- and sample-interleaved scans pixel by pixel,
/// and a non-interleaved (planar) scan is interleaved here.</summary>
public sealed record CharLsImage(int Width, int Height, int BitsPerSample, int ComponentCount, int NearLossless, int InterleaveMode, byte[] Samples);

/// <summary>JPEG-LS (ISO/IEC 14495-1) through CharLS's C API.</summary>
public static unsafe class CharLs
{
    /// <summary>charls_interleave_mode.</summary>
    public const int InterleaveNone = 0, InterleaveLine = 1, InterleaveSample = 2;

    /// <summary>Decodes a JPEG-LS stream; throws before allocating when the decoded image would exceed <paramref name="maxOutputBytes"/>.</summary>
    public static CharLsImage Decode(ReadOnlySpan<byte> data, long maxOutputBytes = int.MaxValue)
    {
        NativeCodecLibraries.Require(NativeCodecLibraries.CharLs);
        var decoder = charls_jpegls_decoder_create();
        if (decoder == IntPtr.Zero) throw new NativeCodecException("charls_jpegls_decoder_create failed");
        try
        {
            fixed (byte* p = data)
            {
                Check(charls_jpegls_decoder_set_source_buffer(decoder, p, (nuint)data.Length));
                Check(charls_jpegls_decoder_read_header(decoder));
                FrameInfo info;
                Check(charls_jpegls_decoder_get_frame_info(decoder, &info));
                int near, mode;
                Check(charls_jpegls_decoder_get_near_lossless(decoder, 0, &near));
                Check(charls_jpegls_decoder_get_interleave_mode(decoder, &mode));
                nuint size;
                Check(charls_jpegls_decoder_get_destination_size(decoder, 0, &size));
                var bytesPerSample = info.BitsPerSample <= 8 ? 1 : 2;
                var expected = (long)info.Width * info.Height * info.ComponentCount * bytesPerSample;
                if ((long)size != expected) throw new NativeCodecException($"CharLS destination size {size} differs from {expected}");
                if (expected > maxOutputBytes) throw new NativeCodecException($"JPEG-LS image of {expected} bytes exceeds the expected {maxOutputBytes}");
                var output = new byte[expected];
                fixed (byte* o = output) Check(charls_jpegls_decoder_decode_to_buffer(decoder, o, size, 0));
                if (mode == InterleaveNone && info.ComponentCount > 1)
                    output = Interleave(output, (int)(info.Width * info.Height), info.ComponentCount, bytesPerSample);
                return new CharLsImage((int)info.Width, (int)info.Height, info.BitsPerSample, info.ComponentCount, near, mode, output);
            }
        }
        finally
        {
            charls_jpegls_decoder_destroy(decoder);
        }
    }

    /// <summary>Encodes pixel-interleaved samples (1 byte each when bitsPerSample ≤ 8, else 2, little-endian).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> samples, int width, int height, int bitsPerSample, int componentCount, int nearLossless)
    {
        NativeCodecLibraries.Require(NativeCodecLibraries.CharLs);
        var encoder = charls_jpegls_encoder_create();
        if (encoder == IntPtr.Zero) throw new NativeCodecException("charls_jpegls_encoder_create failed");
        try
        {
            var info = new FrameInfo { Width = (uint)width, Height = (uint)height, BitsPerSample = bitsPerSample, ComponentCount = componentCount };
            Check(charls_jpegls_encoder_set_frame_info(encoder, &info));
            Check(charls_jpegls_encoder_set_near_lossless(encoder, nearLossless));
            Check(charls_jpegls_encoder_set_interleave_mode(encoder, componentCount > 1 ? InterleaveSample : InterleaveNone));
            nuint estimate;
            Check(charls_jpegls_encoder_get_estimated_destination_size(encoder, &estimate));
            var destination = new byte[checked((int)estimate)];
            nuint written;
            fixed (byte* d = destination)
            fixed (byte* s = samples)
            {
                Check(charls_jpegls_encoder_set_destination_buffer(encoder, d, estimate));
                Check(charls_jpegls_encoder_encode_from_buffer(encoder, s, (nuint)samples.Length, 0));
                Check(charls_jpegls_encoder_get_bytes_written(encoder, &written));
            }
            return destination.AsSpan(0, checked((int)written)).ToArray();
        }
        finally
        {
            charls_jpegls_encoder_destroy(encoder);
        }
    }

    private static byte[] Interleave(byte[] planar, int pixels, int components, int bytesPerSample)
    {
        var result = new byte[planar.Length];
        for (var c = 0; c < components; c++)
            for (var i = 0; i < pixels; i++)
                for (var b = 0; b < bytesPerSample; b++)
                    result[((i * components) + c) * bytesPerSample + b] = planar[((c * pixels) + i) * bytesPerSample + b];
        return result;
    }

    private static void Check(int errc)
    {
        if (errc == 0) return;
        var message = Marshal.PtrToStringUTF8(charls_get_error_message(errc));
        throw new NativeCodecException($"CharLS error {errc}: {message}");
    }
}
