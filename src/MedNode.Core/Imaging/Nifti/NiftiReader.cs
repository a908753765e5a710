using System.Buffers.Binary;
using System.IO.Compression;

namespace MedNode.Core.Imaging.Nifti;

/// <summary>
/// Reads single-file NIfTI-1 images (<c>.nii</c>, magic <c>n+1</c>), optionally gzip-compressed (<c>.nii.gz</c>),
/// following nifti1.h (NIfTI-1 Data Format Working Group). The header is read and validated first; the voxel buffer
/// is allocated only once its size is known and within <see cref="MaxVoxels"/>.
/// Not supported: the two-file <c>.hdr/.img</c> pair (magic <c>ni1</c>), NIfTI-2, complex and RGB data types.
/// </summary>
public static class NiftiReader
{
    /// <summary>Size of the NIfTI-1 header (<c>sizeof_hdr</c>).</summary>
    public const int HeaderSize = 348;

    /// <summary>Upper bound on the voxel count accepted (2^30, about 4 GiB of float32).</summary>
    public const long MaxVoxels = 1L << 30;

    /// <summary>Reads a <c>.nii</c> or <c>.nii.gz</c> file (gzip is recognised by its magic bytes, not the name).</summary>
    public static NiftiImage ReadFile(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file);
    }

    /// <summary>
    /// Reads an image from a stream, decompressing gzip when the stream starts with 1F 8B. A non-seekable stream is
    /// first copied (still compressed) into memory so that its magic bytes can be inspected.
    /// </summary>
    public static NiftiImage Read(Stream stream)
    {
        if (!stream.CanSeek)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            return Read(copy);
        }
        Span<byte> magic = stackalloc byte[2];
        var start = stream.Position;
        var got = ReadFully(stream, magic);
        stream.Position = start;
        if (got == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
        {
            using var gz = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            return ReadUncompressed(gz);
        }
        return ReadUncompressed(stream);
    }

    /// <summary>Parses a header from the first 348 bytes of <paramref name="buffer"/>.</summary>
    public static NiftiHeader ParseHeader(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < HeaderSize) throw new InvalidDataException($"NIfTI header needs {HeaderSize} bytes, got {buffer.Length}.");
        var little = BinaryPrimitives.ReadInt32LittleEndian(buffer);
        var big = BinaryPrimitives.ReadInt32BigEndian(buffer);
        bool bigEndian;
        if (little == HeaderSize) bigEndian = false;
        else if (big == HeaderSize) bigEndian = true;
        else throw new InvalidDataException($"Not a NIfTI-1 header: sizeof_hdr is {little}, expected {HeaderSize}.");

        var magic = buffer.Slice(344, 4);
        if (magic.SequenceEqual("ni1\0"u8)) throw new NotSupportedException("Two-file NIfTI (.hdr/.img, magic 'ni1') is not supported.");
        if (!magic.SequenceEqual("n+1\0"u8)) throw new InvalidDataException("Not a single-file NIfTI-1 image: magic is not 'n+1'.");

        var hdr = buffer[..HeaderSize].ToArray();
        short I16(int o) => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(hdr.AsSpan(o)) : BinaryPrimitives.ReadInt16LittleEndian(hdr.AsSpan(o));
        float F32(int o) => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(hdr.AsSpan(o)) : BinaryPrimitives.ReadSingleLittleEndian(hdr.AsSpan(o));

        int dimCount = I16(40);
        if (dimCount is < 1 or > 7) throw new InvalidDataException($"NIfTI dim[0] is {dimCount}; it must be 1 to 7.");
        var dims = new int[7];
        for (var i = 0; i < 7; i++)
        {
            var d = i < dimCount ? I16(42 + 2 * i) : (short)1;
            if (d < 1) throw new InvalidDataException($"NIfTI dim[{i + 1}] is {d}; it must be positive.");
            dims[i] = d;
        }
        var dataType = (NiftiDataType)I16(70);
        if (!Enum.IsDefined(dataType)) throw new NotSupportedException($"NIfTI datatype {(short)dataType} is not supported.");
        int bitpix = I16(72);
        if (bitpix != ExpectedBits(dataType)) throw new InvalidDataException($"NIfTI bitpix {bitpix} does not match datatype {dataType}.");
        var pixdim = new float[8];
        for (var i = 0; i < 8; i++) pixdim[i] = F32(76 + 4 * i);
        var voxOffset = F32(108);
        if (!(voxOffset >= HeaderSize + 4) || voxOffset > int.MaxValue) throw new InvalidDataException($"NIfTI vox_offset {voxOffset} is invalid for a single-file image.");
        var srows = new float[12];
        for (var i = 0; i < 12; i++) srows[i] = F32(280 + 4 * i);

        return new NiftiHeader
        {
            BigEndian = bigEndian,
            DimensionCount = dimCount,
            Dimensions = dims,
            DataType = dataType,
            BitsPerVoxel = bitpix,
            PixDim = pixdim,
            VoxelOffset = (long)voxOffset,
            ScaleSlope = F32(112),
            ScaleIntercept = F32(116),
            QFormCode = I16(252),
            SFormCode = I16(254),
            Quaternion = [F32(256), F32(260), F32(264)],
            QOffset = [F32(268), F32(272), F32(276)],
            SRows = srows,
        };
    }

    /// <summary>
    /// The voxel-to-world (RAS+) affine of nifti1.h: method 3 (sform) when sform_code &gt; 0, else method 2
    /// (qform quaternion, qfac = pixdim[0]) when qform_code &gt; 0, else method 1 (pixdim scaling only).
    /// </summary>
    public static double[] ComputeAffine(NiftiHeader h)
    {
        if (h.SFormCode > 0)
        {
            var a = new double[12];
            for (var i = 0; i < 12; i++) a[i] = h.SRows[i];
            return a;
        }
        double dx = h.PixDim[1], dy = h.PixDim[2], dz = h.PixDim[3];
        if (h.QFormCode > 0)
        {
            double b = h.Quaternion[0], c = h.Quaternion[1], d = h.Quaternion[2];
            var aa = 1.0 - (b * b + c * c + d * d);
            double a = aa < 1e-7 ? 0.0 : Math.Sqrt(aa);
            if (aa < 1e-7)
            {
                // nifti1_io: a 180 degree rotation; renormalise (b, c, d).
                var n = Math.Sqrt(b * b + c * c + d * d);
                b /= n; c /= n; d /= n;
            }
            double qfac = h.PixDim[0] < 0 ? -1.0 : 1.0;
            double[] r =
            [
                a * a + b * b - c * c - d * d, 2 * b * c - 2 * a * d, 2 * b * d + 2 * a * c,
                2 * b * c + 2 * a * d, a * a + c * c - b * b - d * d, 2 * c * d - 2 * a * b,
                2 * b * d - 2 * a * c, 2 * c * d + 2 * a * b, a * a + d * d - c * c - b * b,
            ];
            return
            [
                r[0] * dx, r[1] * dy, r[2] * dz * qfac, h.QOffset[0],
                r[3] * dx, r[4] * dy, r[5] * dz * qfac, h.QOffset[1],
                r[6] * dx, r[7] * dy, r[8] * dz * qfac, h.QOffset[2],
            ];
        }
        return [dx, 0, 0, 0, 0, dy, 0, 0, 0, 0, dz, 0];
    }

    private static NiftiImage ReadUncompressed(Stream s)
    {
        var headerBytes = new byte[HeaderSize];
        if (ReadFully(s, headerBytes) != HeaderSize) throw new InvalidDataException("NIfTI stream ends inside the header.");
        var header = ParseHeader(headerBytes);
        var count = header.VoxelCount;
        if (count > MaxVoxels) throw new InvalidDataException($"NIfTI image has {count} voxels, more than the limit of {MaxVoxels}.");

        // Skip the extension flag and any extensions up to vox_offset.
        var skip = header.VoxelOffset - HeaderSize;
        var scratch = new byte[4096];
        while (skip > 0)
        {
            var n = s.Read(scratch, 0, (int)Math.Min(scratch.Length, skip));
            if (n == 0) throw new InvalidDataException("NIfTI stream ends before vox_offset.");
            skip -= n;
        }

        var raw = new byte[count * header.BytesPerVoxel];
        if (ReadFully(s, raw) != raw.Length) throw new InvalidDataException($"NIfTI voxel data is truncated: expected {raw.Length} bytes.");
        var data = Decode(header, raw, (int)count);
        return new NiftiImage(header, data, ComputeAffine(header));
    }

    private static float[] Decode(NiftiHeader h, byte[] raw, int count)
    {
        var data = new float[count];
        var big = h.BigEndian;
        ReadOnlySpan<byte> r = raw;
        for (var i = 0; i < count; i++)
        {
            data[i] = h.DataType switch
            {
                NiftiDataType.UInt8 => r[i],
                NiftiDataType.Int8 => (sbyte)r[i],
                NiftiDataType.Int16 => big ? BinaryPrimitives.ReadInt16BigEndian(r[(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(r[(2 * i)..]),
                NiftiDataType.UInt16 => big ? BinaryPrimitives.ReadUInt16BigEndian(r[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(r[(2 * i)..]),
                NiftiDataType.Int32 => big ? BinaryPrimitives.ReadInt32BigEndian(r[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(r[(4 * i)..]),
                NiftiDataType.UInt32 => big ? BinaryPrimitives.ReadUInt32BigEndian(r[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(r[(4 * i)..]),
                NiftiDataType.Float32 => big ? BinaryPrimitives.ReadSingleBigEndian(r[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(r[(4 * i)..]),
                NiftiDataType.Float64 => (float)(big ? BinaryPrimitives.ReadDoubleBigEndian(r[(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(r[(8 * i)..])),
                _ => throw new NotSupportedException($"NIfTI datatype {h.DataType} is not supported."),
            };
        }
        // nifti1.h: scl_slope == 0 means the values are not scaled.
        if (h.ScaleSlope != 0 && float.IsFinite(h.ScaleSlope) && (h.ScaleSlope != 1 || h.ScaleIntercept != 0))
        {
            for (var i = 0; i < count; i++) data[i] = data[i] * h.ScaleSlope + h.ScaleIntercept;
        }
        return data;
    }

    private static int ExpectedBits(NiftiDataType t) => t switch
    {
        NiftiDataType.UInt8 or NiftiDataType.Int8 => 8,
        NiftiDataType.Int16 or NiftiDataType.UInt16 => 16,
        NiftiDataType.Int32 or NiftiDataType.UInt32 or NiftiDataType.Float32 => 32,
        NiftiDataType.Float64 => 64,
        _ => 0,
    };

    private static int ReadFully(Stream s, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
