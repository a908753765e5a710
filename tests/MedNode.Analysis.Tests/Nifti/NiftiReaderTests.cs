using System.Buffers.Binary;
using System.IO.Compression;
using MedNode.Analysis.Volumes;
using MedNode.Core.Imaging.Nifti;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Nifti;

public class NiftiReaderTests
{
    private const string PhantomMask = "datasets/ibsi-digital-phantom/mask.nii.gz";

    [RequiresFact(PhantomMask)]
    public void ReadFile_IbsiPhantomMask_HasTheDocumentedGrid()
    {
        // IBSI 1, "Reference data sets": the digital phantom is 5×4×4 (x, y, z) voxels of 2.0×2.0×2.0 mm.
        var image = NiftiReader.ReadFile(SharedData.Get(PhantomMask));

        (image.SizeX, image.SizeY, image.SizeZ).Should().Be((5, 4, 4));
        image.Header.PixDim[1..4].Should().Equal(2f, 2f, 2f);
        image.Data.Should().HaveCount(80).And.OnlyContain(v => v == 0 || v == 1);
        var geometry = NiftiVolumes.Geometry(image);
        geometry.Spacing.Should().Be(new Vec3(2, 2, 2));
    }

    [RequiresFact(PhantomMask)]
    public void ComputeAffine_IbsiPhantom_QFormAgreesWithSForm()
    {
        // The file carries both an sform and a qform; the two nifti1.h methods must give the same voxel-to-world map.
        var header = NiftiReader.ReadFile(SharedData.Get(PhantomMask)).Header;
        header.SFormCode.Should().BeGreaterThan((short)0);
        header.QFormCode.Should().BeGreaterThan((short)0);

        var fromSForm = NiftiReader.ComputeAffine(header);
        var fromQForm = NiftiReader.ComputeAffine(header with { SFormCode = 0 });

        fromQForm.Should().Equal(fromSForm, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Read_SyntheticImage_DecodesValuesScalingAndQForm(bool bigEndian, bool gzip)
    {
        // 3×2×2 int16 values 0..11, scl_slope 2, scl_inter -1; qform: 90° about z (quatern_d = sin 45°), offset (10, 20, 30).
        var values = Enumerable.Range(0, 12).Select(i => (short)i).ToArray();
        var bytes = Build(bigEndian, [3, 2, 2], NiftiDataType.Int16, 16, [1, 0.5f, 0.75f, 2], slope: 2, inter: -1,
            qform: (1, [0, 0, (float)Math.Sqrt(0.5)], [10, 20, 30]), sform: null, data: values.SelectMany(v => ToBytes(v, bigEndian)).ToArray());
        var stream = new MemoryStream(gzip ? Gzip(bytes) : bytes);

        var image = NiftiReader.Read(stream);

        image.Data.Should().Equal(values.Select(v => 2f * v - 1f));
        // R = rotation of 90° about z: x' = -y, y' = x; columns scaled by pixdim (0.5, 0.75, 2).
        image.AffineRas.Should().Equal(new double[] { 0, -0.75, 0, 10, 0.5, 0, 0, 20, 0, 0, 2, 30 }, (a, b) => Math.Abs(a - b) < 1e-6);
        // LPS negates the x and y rows.
        image.AffineLps.Should().Equal(new double[] { 0, 0.75, 0, -10, -0.5, 0, 0, -20, 0, 0, 2, 30 }, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Read_SFormPresent_TakesPrecedenceOverQForm()
    {
        float[] srow = [-1, 0, 0, 5, 0, -1, 0, 6, 0, 0, 3, 7];
        var bytes = Build(false, [2, 2, 1], NiftiDataType.UInt8, 8, [1, 9, 9, 9], 0, 0, (1, [0, 0, 0], [0, 0, 0]), srow, [1, 2, 3, 4]);

        var image = NiftiReader.Read(new MemoryStream(bytes));

        image.AffineRas.Should().Equal(srow.Select(v => (double)v));
        image.Data.Should().Equal(1f, 2f, 3f, 4f); // scl_slope 0 means unscaled
    }

    [Fact]
    public void Read_TruncatedVoxelData_Throws()
    {
        var bytes = Build(false, [4, 4, 4], NiftiDataType.Float32, 32, [1, 1, 1, 1], 1, 0, null, null, new byte[10]);

        var act = () => NiftiReader.Read(new MemoryStream(bytes));

        act.Should().Throw<InvalidDataException>().WithMessage("*truncated*");
    }

    [Fact]
    public void Read_NotNifti_Throws()
    {
        var act = () => NiftiReader.Read(new MemoryStream(new byte[400]));

        act.Should().Throw<InvalidDataException>().WithMessage("*sizeof_hdr*");
    }

    [Fact]
    public void Read_TwoFileVariant_IsRejectedAsUnsupported()
    {
        var bytes = Build(false, [1, 1, 1], NiftiDataType.UInt8, 8, [1, 1, 1, 1], 0, 0, null, null, [0]);
        "ni1\0"u8.CopyTo(bytes.AsSpan(344));

        var act = () => NiftiReader.Read(new MemoryStream(bytes));

        act.Should().Throw<NotSupportedException>();
    }

    [Fact]
    public void Read_HugeDimensions_RejectedBeforeAllocating()
    {
        var bytes = Build(false, [32767, 32767, 32767], NiftiDataType.UInt8, 8, [1, 1, 1, 1], 0, 0, null, null, []);

        var act = () => NiftiReader.Read(new MemoryStream(bytes));

        act.Should().Throw<InvalidDataException>().WithMessage("*limit*");
    }

    private static byte[] Build(bool big, short[] dims, NiftiDataType type, short bitpix, float[] pixdim, float slope, float inter,
        (short Code, float[] Quatern, float[] Offset)? qform, float[]? sform, byte[] data)
    {
        var b = new byte[352 + data.Length];
        void I32(int o, int v) { if (big) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(o), v); }
        void I16(int o, short v) { if (big) BinaryPrimitives.WriteInt16BigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(o), v); }
        void F32(int o, float v) { if (big) BinaryPrimitives.WriteSingleBigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(o), v); }
        I32(0, 348);
        I16(40, (short)dims.Length);
        for (var i = 0; i < dims.Length; i++) I16(42 + 2 * i, dims[i]);
        I16(70, (short)type);
        I16(72, bitpix);
        for (var i = 0; i < pixdim.Length; i++) F32(76 + 4 * i, pixdim[i]);
        F32(108, 352);
        F32(112, slope);
        F32(116, inter);
        if (qform is { } q)
        {
            I16(252, q.Code);
            for (var i = 0; i < 3; i++) F32(256 + 4 * i, q.Quatern[i]);
            for (var i = 0; i < 3; i++) F32(268 + 4 * i, q.Offset[i]);
        }
        if (sform != null)
        {
            I16(254, 1);
            for (var i = 0; i < 12; i++) F32(280 + 4 * i, sform[i]);
        }
        "n+1\0"u8.CopyTo(b.AsSpan(344));
        data.CopyTo(b, 352);
        return b;
    }

    private static byte[] ToBytes(short v, bool big)
    {
        var b = new byte[2];
        if (big) BinaryPrimitives.WriteInt16BigEndian(b, v); else BinaryPrimitives.WriteInt16LittleEndian(b, v);
        return b;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }
}
