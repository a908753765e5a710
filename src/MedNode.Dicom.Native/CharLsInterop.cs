using System.Runtime.InteropServices;

namespace MedNode.Dicom.Native;

/// <summary>Raw P/Invoke declarations for the CharLS 2.x C API (charls/charls_jpegls_decoder.h, charls_jpegls_encoder.h).</summary>
internal static unsafe class CharLsInterop
{
    private const string Lib = NativeCodecLibraries.CharLsImportName;

    /// <summary>charls_frame_info (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FrameInfo
    {
        public uint Width, Height;
        public int BitsPerSample, ComponentCount;
    }

    [DllImport(Lib)] internal static extern IntPtr charls_get_error_message(int errc);
    [DllImport(Lib)] internal static extern IntPtr charls_jpegls_decoder_create();
    [DllImport(Lib)] internal static extern void charls_jpegls_decoder_destroy(IntPtr decoder);
    [DllImport(Lib)] internal static extern int charls_jpegls_decoder_set_source_buffer(IntPtr decoder, byte* source, nuint size);
    [DllImport(Lib)] internal static extern int charls_jpegls_decoder_read_header(IntPtr decoder);
    [DllImport(Lib)] internal static extern int charls_jpegls_decoder_get_frame_info(IntPtr decoder, FrameInfo* frameInfo);
    [DllImport(Lib)] internal static extern int charls_jpegls_decoder_get_near_lossless(IntPtr decoder, int component, int* nearLossless);
    [DllImport(Lib)] internal static extern int charls_jpegls_decoder_get_interleave_mode(IntPtr decoder, int* interleaveMode);
    [DllImport(Lib)] internal static extern int charls_jpegls_decoder_get_destination_size(IntPtr decoder, uint stride, nuint* size);
    [DllImport(Lib)] internal static extern int charls_jpegls_decoder_decode_to_buffer(IntPtr decoder, byte* destination, nuint size, uint stride);
    [DllImport(Lib)] internal static extern IntPtr charls_jpegls_encoder_create();
    [DllImport(Lib)] internal static extern void charls_jpegls_encoder_destroy(IntPtr encoder);
    [DllImport(Lib)] internal static extern int charls_jpegls_encoder_set_frame_info(IntPtr encoder, FrameInfo* frameInfo);
    [DllImport(Lib)] internal static extern int charls_jpegls_encoder_set_near_lossless(IntPtr encoder, int nearLossless);
    [DllImport(Lib)] internal static extern int charls_jpegls_encoder_set_interleave_mode(IntPtr encoder, int interleaveMode);
    [DllImport(Lib)] internal static extern int charls_jpegls_encoder_get_estimated_destination_size(IntPtr encoder, nuint* size);
    [DllImport(Lib)] internal static extern int charls_jpegls_encoder_set_destination_buffer(IntPtr encoder, byte* destination, nuint size);
    [DllImport(Lib)] internal static extern int charls_jpegls_encoder_encode_from_buffer(IntPtr encoder, byte* source, nuint size, uint stride);
    [DllImport(Lib)] internal static extern int charls_jpegls_encoder_get_bytes_written(IntPtr encoder, nuint* bytesWritten);
}
