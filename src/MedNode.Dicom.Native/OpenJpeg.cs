using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static MedNode.Dicom.Native.OpenJpegInterop;

namespace MedNode.Dicom.Native;

/// <summary>One decoded JPEG 2000 component: samples as OpenJPEG gives them (sign included when <see cref="Signed"/>).</summary>
public sealed record OpenJpegComponent(int Width, int Height, int Dx, int Dy, int Precision, bool Signed, int[] Data);

/// <summary>A decoded JPEG 2000 image. <see cref="ColorSpace"/> is OPJ_COLOR_SPACE (0 unspecified, 1 sRGB, 2 grey, 3 sYCC).</summary>
public sealed record OpenJpegImage(int Width, int Height, int ColorSpace, IReadOnlyList<OpenJpegComponent> Components);

/// <summary>A native codec reported an error for this input.</summary>
public sealed class NativeCodecException(string message) : Exception(message);

/// <summary>
/// JPEG 2000 (ISO/IEC 15444-1) and HTJ2K (15444-15) through libopenjp2, from and to memory. A raw codestream (starting
/// with SOC FF4F) and a JP2 file (starting with the signature box) are both decoded.
/// </summary>
public static unsafe class OpenJpeg
{
    /// <summary>Decodes a codestream or JP2 file. The header is read first: an image larger than <paramref name="maxWidth"/> ×
    /// <paramref name="maxHeight"/> is rejected before its samples are decoded.</summary>
    public static OpenJpegImage Decode(ReadOnlySpan<byte> data, int maxWidth = int.MaxValue, int maxHeight = int.MaxValue)
    {
        NativeCodecLibraries.Require(NativeCodecLibraries.OpenJpeg);
        int format = IsJp2(data) ? CodecJp2 : CodecJ2k;
        var messages = new List<string>();
        var messagesHandle = GCHandle.Alloc(messages);
        var codec = opj_create_decompress(format);
        var stream = IntPtr.Zero;
        OpjImage* image = null;
        var parameters = (byte*)NativeMemory.AllocZeroed(DecoderParametersBufferSize);
        try
        {
            if (codec == IntPtr.Zero) throw new NativeCodecException("opj_create_decompress failed");
            opj_set_error_handler(codec, &OnMessage, GCHandle.ToIntPtr(messagesHandle));
            opj_set_default_decoder_parameters(parameters);
            if (opj_setup_decoder(codec, parameters) == 0) throw Failure("opj_setup_decoder", messages);
            fixed (byte* p = data)
            {
                var state = new ReadState { Data = p, Length = data.Length };
                stream = opj_stream_create((nuint)Math.Min(Math.Max(data.Length, 1), 1 << 20), 1);
                if (stream == IntPtr.Zero) throw new NativeCodecException("opj_stream_create failed");
                opj_stream_set_read_function(stream, &Read);
                opj_stream_set_skip_function(stream, &SkipRead);
                opj_stream_set_seek_function(stream, &SeekRead);
                opj_stream_set_user_data(stream, (IntPtr)(&state), IntPtr.Zero);
                opj_stream_set_user_data_length(stream, (ulong)data.Length);
                if (opj_read_header(stream, codec, &image) == 0) throw Failure("opj_read_header", messages);
                if (image->X1 - image->X0 > (uint)maxWidth || image->Y1 - image->Y0 > (uint)maxHeight || image->NumComps > 4)
                    throw new NativeCodecException($"JPEG 2000 image {image->X1 - image->X0}×{image->Y1 - image->Y0}×{image->NumComps} exceeds the expected {maxWidth}×{maxHeight}");
                if (opj_decode(codec, stream, image) == 0) throw Failure("opj_decode", messages);
                if (opj_end_decompress(codec, stream) == 0) throw Failure("opj_end_decompress", messages);
            }
            return Copy(image);
        }
        finally
        {
            if (image != null) opj_image_destroy(image);
            if (stream != IntPtr.Zero) opj_stream_destroy(stream);
            if (codec != IntPtr.Zero) opj_destroy_codec(codec);
            NativeMemory.Free(parameters);
            messagesHandle.Free();
        }
    }

    /// <summary>
    /// Encodes equally sized component planes as a raw J2K codestream. Reversible (5-3 wavelet, lossless) when
    /// <paramref name="compressionRatio"/> is 0, else irreversible (9-7) at that ratio. <paramref name="multipleComponentTransform"/>
    /// applies RCT/ICT to the first three components.
    /// </summary>
    public static byte[] Encode(int width, int height, int precision, bool signed, IReadOnlyList<int[]> planes,
        float compressionRatio, bool multipleComponentTransform)
    {
        NativeCodecLibraries.Require(NativeCodecLibraries.OpenJpeg);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfNotEqual(planes.Count is 1 or 3, true, nameof(planes));
        var count = planes.Count;
        var cmpt = stackalloc OpjImageCmptParm[count];
        for (var c = 0; c < count; c++)
        {
            if (planes[c].Length < width * height) throw new ArgumentException("plane shorter than width × height", nameof(planes));
            cmpt[c] = new OpjImageCmptParm { Dx = 1, Dy = 1, W = (uint)width, H = (uint)height, Prec = (uint)precision, Sgnd = signed ? 1u : 0u };
        }
        var messages = new List<string>();
        var messagesHandle = GCHandle.Alloc(messages);
        var output = new WriteState();
        var outputHandle = GCHandle.Alloc(output);
        var image = opj_image_create((uint)count, cmpt, count == 3 ? ClrspcSrgb : ClrspcGray);
        var codec = opj_create_compress(CodecJ2k);
        var stream = IntPtr.Zero;
        var parameters = (byte*)NativeMemory.AllocZeroed(EncoderParametersBufferSize);
        try
        {
            if (image == null || codec == IntPtr.Zero) throw new NativeCodecException("opj_image_create/opj_create_compress failed");
            image->X0 = 0; image->Y0 = 0; image->X1 = (uint)width; image->Y1 = (uint)height;
            for (var c = 0; c < count; c++)
                new ReadOnlySpan<int>(planes[c], 0, width * height).CopyTo(new Span<int>(image->Comps[c].Data, width * height));
            opj_set_error_handler(codec, &OnMessage, GCHandle.ToIntPtr(messagesHandle));
            opj_set_default_encoder_parameters(parameters);
            var lossless = compressionRatio <= 0;
            *(int*)(parameters + TcpNumLayersOffset) = 1;
            *(float*)(parameters + TcpRatesOffset) = lossless ? 0f : compressionRatio;
            *(int*)(parameters + CpDistoAllocOffset) = 1;
            *(int*)(parameters + IrreversibleOffset) = lossless ? 0 : 1;
            // Resolutions: 2^(levels) must not exceed the smallest image dimension (15444-1 B.5); OpenJPEG's default is 6.
            var levels = Math.Min(5, (int)Math.Floor(Math.Log2(Math.Min(width, height))));
            *(int*)(parameters + NumResolutionOffset) = levels + 1;
            *(parameters + TcpMctOffset) = (byte)(multipleComponentTransform && count == 3 ? 1 : 0);
            if (opj_setup_encoder(codec, parameters, image) == 0) throw Failure("opj_setup_encoder", messages);
            stream = opj_stream_create(1 << 20, 0);
            if (stream == IntPtr.Zero) throw new NativeCodecException("opj_stream_create failed");
            opj_stream_set_write_function(stream, &Write);
            opj_stream_set_skip_function(stream, &SkipWrite);
            opj_stream_set_seek_function(stream, &SeekWrite);
            opj_stream_set_user_data(stream, GCHandle.ToIntPtr(outputHandle), IntPtr.Zero);
            if (opj_start_compress(codec, image, stream) == 0) throw Failure("opj_start_compress", messages);
            if (opj_encode(codec, stream) == 0) throw Failure("opj_encode", messages);
            if (opj_end_compress(codec, stream) == 0) throw Failure("opj_end_compress", messages);
            return output.Stream.ToArray();
        }
        finally
        {
            if (stream != IntPtr.Zero) opj_stream_destroy(stream);
            if (codec != IntPtr.Zero) opj_destroy_codec(codec);
            if (image != null) opj_image_destroy(image);
            NativeMemory.Free(parameters);
            outputHandle.Free();
            messagesHandle.Free();
        }
    }

    /// <summary>A JP2 file starts with the 12-byte signature box 0000000C 6A502020 0D0A870A (15444-1 I.5.1).</summary>
    public static bool IsJp2(ReadOnlySpan<byte> data) =>
        data.Length >= 12 && data[..12].SequenceEqual(new byte[] { 0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A });

    private static OpenJpegImage Copy(OpjImage* image)
    {
        var components = new OpenJpegComponent[image->NumComps];
        for (var c = 0; c < components.Length; c++)
        {
            var comp = image->Comps[c];
            var length = checked((int)(comp.W * comp.H));
            var data = new int[length];
            if (comp.Data == null) throw new NativeCodecException($"component {c} has no data");
            new ReadOnlySpan<int>(comp.Data, length).CopyTo(data);
            components[c] = new OpenJpegComponent((int)comp.W, (int)comp.H, (int)comp.Dx, (int)comp.Dy, (int)comp.Prec, comp.Sgnd != 0, data);
        }
        return new OpenJpegImage((int)(image->X1 - image->X0), (int)(image->Y1 - image->Y0), image->ColorSpace, components);
    }

    private static NativeCodecException Failure(string call, List<string> messages) =>
        new($"OpenJPEG {call} failed{(messages.Count > 0 ? ": " + string.Join("; ", messages.Select(m => m.Trim())) : "")}");

    private struct ReadState
    {
        public byte* Data;
        public long Length;
        public long Position;
    }

    private sealed class WriteState
    {
        public MemoryStream Stream { get; } = new();
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnMessage(byte* message, IntPtr clientData)
    {
        if (GCHandle.FromIntPtr(clientData).Target is List<string> list && list.Count < 16)
            list.Add(Marshal.PtrToStringUTF8((IntPtr)message) ?? "");
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nuint Read(byte* buffer, nuint count, IntPtr user)
    {
        var s = (ReadState*)user;
        var remaining = s->Length - s->Position;
        if (remaining <= 0) return unchecked((nuint)(-1));
        var n = (long)Math.Min((ulong)remaining, count);
        Buffer.MemoryCopy(s->Data + s->Position, buffer, (long)count, n);
        s->Position += n;
        return (nuint)n;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static long SkipRead(long count, IntPtr user)
    {
        var s = (ReadState*)user;
        var target = Math.Clamp(s->Position + count, 0, s->Length);
        var skipped = target - s->Position;
        s->Position = target;
        return skipped == 0 && count != 0 ? -1 : skipped;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int SeekRead(long position, IntPtr user)
    {
        var s = (ReadState*)user;
        if (position < 0 || position > s->Length) return 0;
        s->Position = position;
        return 1;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nuint Write(byte* buffer, nuint count, IntPtr user)
    {
        var s = ((WriteState)GCHandle.FromIntPtr(user).Target!).Stream;
        s.Write(new ReadOnlySpan<byte>(buffer, checked((int)count)));
        return count;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static long SkipWrite(long count, IntPtr user)
    {
        var s = ((WriteState)GCHandle.FromIntPtr(user).Target!).Stream;
        var target = s.Position + count;
        if (target < 0) return -1;
        if (target > s.Length) s.SetLength(target);
        s.Position = target;
        return count;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int SeekWrite(long position, IntPtr user)
    {
        var s = ((WriteState)GCHandle.FromIntPtr(user).Target!).Stream;
        if (position < 0) return 0;
        if (position > s.Length) s.SetLength(position);
        s.Position = position;
        return 1;
    }
}
