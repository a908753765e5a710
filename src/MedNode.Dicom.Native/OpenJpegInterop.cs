using System.Runtime.InteropServices;

namespace MedNode.Dicom.Native;

/// <summary>
/// Raw P/Invoke declarations for OpenJPEG 2.5 (openjpeg.h). Struct layouts are those of OpenJPEG 2.5 on LP64 Linux
/// (x86-64): checked with offsetof() against /usr/include/openjpeg-2.5/openjpeg.h from libopenjp2-7-dev 2.5.0.
/// </summary>
internal static unsafe class OpenJpegInterop
{
    private const string Lib = NativeCodecLibraries.OpenJpegImportName;

    /// <summary>OPJ_CODEC_FORMAT.</summary>
    internal const int CodecJ2k = 0, CodecJp2 = 2;

    /// <summary>OPJ_COLOR_SPACE.</summary>
    internal const int ClrspcUnspecified = 0, ClrspcSrgb = 1, ClrspcGray = 2, ClrspcSycc = 3;

    /// <summary>sizeof(opj_dparameters_t) is 8252 and sizeof(opj_cparameters_t) 18720 in 2.5.0; the buffers are larger so that a
    /// newer minor version that appends fields cannot write past them.</summary>
    internal const int DecoderParametersBufferSize = 16 * 1024, EncoderParametersBufferSize = 32 * 1024;

    /// <summary>Offsets in opj_cparameters_t (OpenJPEG 2.5, LP64).</summary>
    internal const int CpDistoAllocOffset = 20, TcpNumLayersOffset = 4796, TcpRatesOffset = 4800,
        NumResolutionOffset = 5600, IrreversibleOffset = 5616, TcpMctOffset = 18698;

    /// <summary>opj_image_t (48 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct OpjImage
    {
        public uint X0, Y0, X1, Y1, NumComps;
        public int ColorSpace;
        public OpjImageComp* Comps;
        public byte* IccProfileBuf;
        public uint IccProfileLen;
    }

    /// <summary>opj_image_comp_t (64 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct OpjImageComp
    {
        public uint Dx, Dy, W, H, X0, Y0, Prec, Bpp, Sgnd, ResnoDecoded, Factor;
        public int* Data;
        public ushort Alpha;
    }

    /// <summary>opj_image_cmptparm_t (36 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct OpjImageCmptParm
    {
        public uint Dx, Dy, W, H, X0, Y0, Prec, Bpp, Sgnd;
    }

    [DllImport(Lib)] internal static extern IntPtr opj_version();
    [DllImport(Lib)] internal static extern IntPtr opj_create_decompress(int format);
    [DllImport(Lib)] internal static extern IntPtr opj_create_compress(int format);
    [DllImport(Lib)] internal static extern void opj_destroy_codec(IntPtr codec);
    [DllImport(Lib)] internal static extern void opj_set_default_decoder_parameters(byte* parameters);
    [DllImport(Lib)] internal static extern void opj_set_default_encoder_parameters(byte* parameters);
    [DllImport(Lib)] internal static extern int opj_setup_decoder(IntPtr codec, byte* parameters);
    [DllImport(Lib)] internal static extern int opj_setup_encoder(IntPtr codec, byte* parameters, OpjImage* image);
    [DllImport(Lib)] internal static extern int opj_set_error_handler(IntPtr codec, delegate* unmanaged[Cdecl]<byte*, IntPtr, void> handler, IntPtr clientData);
    [DllImport(Lib)] internal static extern int opj_read_header(IntPtr stream, IntPtr codec, OpjImage** image);
    [DllImport(Lib)] internal static extern int opj_decode(IntPtr codec, IntPtr stream, OpjImage* image);
    [DllImport(Lib)] internal static extern int opj_end_decompress(IntPtr codec, IntPtr stream);
    [DllImport(Lib)] internal static extern int opj_start_compress(IntPtr codec, OpjImage* image, IntPtr stream);
    [DllImport(Lib)] internal static extern int opj_encode(IntPtr codec, IntPtr stream);
    [DllImport(Lib)] internal static extern int opj_end_compress(IntPtr codec, IntPtr stream);
    [DllImport(Lib)] internal static extern OpjImage* opj_image_create(uint numcmpts, OpjImageCmptParm* cmptparms, int clrspc);
    [DllImport(Lib)] internal static extern void opj_image_destroy(OpjImage* image);
    [DllImport(Lib)] internal static extern IntPtr opj_stream_create(nuint bufferSize, int isInput);
    [DllImport(Lib)] internal static extern void opj_stream_destroy(IntPtr stream);
    [DllImport(Lib)] internal static extern void opj_stream_set_read_function(IntPtr stream, delegate* unmanaged[Cdecl]<byte*, nuint, IntPtr, nuint> fn);
    [DllImport(Lib)] internal static extern void opj_stream_set_write_function(IntPtr stream, delegate* unmanaged[Cdecl]<byte*, nuint, IntPtr, nuint> fn);
    [DllImport(Lib)] internal static extern void opj_stream_set_skip_function(IntPtr stream, delegate* unmanaged[Cdecl]<long, IntPtr, long> fn);
    [DllImport(Lib)] internal static extern void opj_stream_set_seek_function(IntPtr stream, delegate* unmanaged[Cdecl]<long, IntPtr, int> fn);
    [DllImport(Lib)] internal static extern void opj_stream_set_user_data(IntPtr stream, IntPtr data, IntPtr freeFn);
    [DllImport(Lib)] internal static extern void opj_stream_set_user_data_length(IntPtr stream, ulong length);
}
