using System.Globalization;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;

namespace MedNode.Analysis.Phantoms;

/// <summary>An axis-aligned ellipsoidal lesion: centre in patient coordinates (LPS, mm), semi-axes in mm, and its HU.</summary>
public sealed record PhantomEllipsoid(Vec3 Centre, Vec3 Radii, double Hu)
{
    /// <summary>The analytic volume, 4/3·π·a·b·c (mm³).</summary>
    public double Volume => 4.0 / 3.0 * Math.PI * Radii.X * Radii.Y * Radii.Z;

    internal bool Contains(Vec3 p)
    {
        var d = p - Centre;
        return (d.X * d.X / (Radii.X * Radii.X)) + (d.Y * d.Y / (Radii.Y * Radii.Y)) + (d.Z * d.Z / (Radii.Z * Radii.Z)) <= 1;
    }
}

/// <summary>
/// A synthetic axial CT: air, a soft-tissue body ellipse (cylinder along z), ellipsoidal lesions, Gaussian noise.
/// Intensities are partial-volume averages over 2×2×2 sub-samples per voxel; the analytic mask uses the
/// voxel-centre-inside rule.
/// </summary>
public sealed record CtPhantomSpec
{
    public int Columns { get; init; } = 160;

    public int Rows { get; init; } = 160;

    public int Slices { get; init; } = 48;

    /// <summary>In-plane pixel size (mm), rows and columns alike.</summary>
    public double PixelSpacing { get; init; } = 0.8;

    public double SliceSpacing { get; init; } = 1.5;

    /// <summary>Image Position (Patient) of the first slice's first pixel.</summary>
    public Vec3 Origin { get; init; } = new(-64, -64, -36);

    public double BodyHu { get; init; } = 40;

    /// <summary>Semi-axes (x, y) of the body ellipse in mm, centred on the in-plane centre of the field.</summary>
    public (double X, double Y) BodyRadii { get; init; } = (58, 50);

    public double NoiseSigma { get; init; } = 10;

    public int Seed { get; init; } = 1;

    /// <summary>Rescale Intercept (0028,1052): −1024 or 0 (stored values are then HU directly).</summary>
    public double RescaleIntercept { get; init; } = -1024;

    public IReadOnlyList<PhantomEllipsoid> Lesions { get; init; } = [];

    public VolumeGeometry Geometry => VolumeGeometry.Axial(Columns, Rows, Slices, new Vec3(PixelSpacing, PixelSpacing, SliceSpacing), Origin);
}

/// <summary>Renders <see cref="CtPhantomSpec"/>s as images, analytic masks and CT Image Storage series.</summary>
public static class CtPhantom
{
    private const string CtImageStorage = "1.2.840.10008.5.1.4.1.1.2";

    /// <summary>The phantom in HU, with noise, as the DICOM series stores it (rounded to integers).</summary>
    public static Volume<float> Render(CtPhantomSpec spec)
    {
        var g = spec.Geometry;
        var data = new float[g.VoxelCount];
        var random = new Random(spec.Seed);
        var centre = g.IndexToPatient((g.SizeX - 1) / 2.0, (g.SizeY - 1) / 2.0, 0);
        double[] offsets = [-0.25, 0.25];
        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                for (var x = 0; x < g.SizeX; x++)
                {
                    double sum = 0;
                    foreach (var oz in offsets)
                    {
                        foreach (var oy in offsets)
                        {
                            foreach (var ox in offsets) sum += HuAt(spec, g.IndexToPatient(x + ox, y + oy, z + oz), centre);
                        }
                    }
                    var hu = (sum / 8) + (spec.NoiseSigma * Gaussian(random));
                    data[g.Index(x, y, z)] = (float)Math.Round(Math.Clamp(hu, -1024, 3071));
                }
            }
        }
        return new Volume<float>(g, data);
    }

    /// <summary>The analytic mask of lesion <paramref name="lesion"/>, or of all lesions when null (voxel centre inside).</summary>
    public static Volume<byte> AnalyticMask(CtPhantomSpec spec, int? lesion = null)
    {
        var g = spec.Geometry;
        var mask = new byte[g.VoxelCount];
        var lesions = lesion is { } i ? [spec.Lesions[i]] : spec.Lesions;
        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                for (var x = 0; x < g.SizeX; x++)
                {
                    var p = g.IndexToPatient(x, y, z);
                    if (lesions.Any(l => l.Contains(p))) mask[g.Index(x, y, z)] = 1;
                }
            }
        }
        return new Volume<byte>(g, mask);
    }

    /// <summary>One CT Image Storage data set per slice (PS3.3 A.3), 16-bit signed, native pixel data.</summary>
    public static IReadOnlyList<DicomDataset> CreateSeries(CtPhantomSpec spec)
    {
        var image = Render(spec);
        var g = spec.Geometry;
        var study = DicomImplementation.NewUid();
        var series = DicomImplementation.NewUid();
        var frameOfReference = DicomImplementation.NewUid();
        var result = new List<DicomDataset>(g.SizeZ);
        var plane = g.SizeX * g.SizeY;
        for (var k = 0; k < g.SizeZ; k++)
        {
            var ds = new DicomDataset();
            ds.AddOrUpdate(DicomTags.SOPClassUID, CtImageStorage);
            ds.AddOrUpdate(DicomTags.SOPInstanceUID, DicomImplementation.NewUid());
            ds.AddOrUpdate(DicomTags.Modality, "CT");
            ds.AddOrUpdate(DicomTags.PatientName, "Phantom^Lesion");
            ds.AddOrUpdate(DicomTags.PatientID, "PHANTOM-" + spec.Seed.ToString(CultureInfo.InvariantCulture));
            ds.AddOrUpdate(DicomTags.StudyInstanceUID, study);
            ds.AddOrUpdate(DicomTags.SeriesInstanceUID, series);
            ds.AddOrUpdate(DicomTags.FrameOfReferenceUID, frameOfReference);
            ds.AddOrUpdate(DicomTags.InstanceNumber, DicomVR.IS, k + 1);
            var position = g.IndexToPatient(0, 0, k);
            ds.AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, position.X, position.Y, position.Z);
            ds.AddOrUpdate(DicomTags.ImageOrientationPatient, DicomVR.DS, 1, 0, 0, 0, 1, 0);
            ds.AddOrUpdate(DicomTags.PixelSpacing, DicomVR.DS, spec.PixelSpacing, spec.PixelSpacing);
            ds.AddOrUpdate(DicomTags.SliceThickness, DicomVR.DS, spec.SliceSpacing);
            ds.AddOrUpdate(DicomTags.SamplesPerPixel, (ushort)1);
            ds.AddOrUpdate(DicomTags.PhotometricInterpretation, "MONOCHROME2");
            ds.AddOrUpdate(DicomTags.Rows, (ushort)g.SizeY);
            ds.AddOrUpdate(DicomTags.Columns, (ushort)g.SizeX);
            ds.AddOrUpdate(DicomTags.BitsAllocated, (ushort)16);
            ds.AddOrUpdate(DicomTags.BitsStored, (ushort)16);
            ds.AddOrUpdate(DicomTags.HighBit, (ushort)15);
            ds.AddOrUpdate(DicomTags.PixelRepresentation, (ushort)1);
            ds.AddOrUpdate(DicomTags.RescaleIntercept, DicomVR.DS, spec.RescaleIntercept);
            ds.AddOrUpdate(DicomTags.RescaleSlope, DicomVR.DS, 1);
            ds.AddOrUpdate(DicomTags.RescaleType, "HU");
            var pixels = new byte[plane * 2];
            for (var i = 0; i < plane; i++)
            {
                var stored = (short)Math.Round(image.Data[(k * plane) + i] - spec.RescaleIntercept);
                System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(pixels.AsSpan(2 * i), stored);
            }
            ds.AddOrUpdate(new DicomTag(0x7FE0, 0x0010), DicomVR.OW, pixels);
            result.Add(ds);
        }
        return result;
    }

    /// <summary>Writes the series as Part 10 files in Explicit VR Little Endian; returns the paths in slice order.</summary>
    public static IReadOnlyList<string> WriteSeries(CtPhantomSpec spec, string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        var series = CreateSeries(spec);
        for (var k = 0; k < series.Count; k++)
        {
            var path = Path.Combine(directory, $"CT{k + 1:D4}.dcm");
            using (var stream = File.Create(path)) DicomFileWriter.Write(stream, series[k], DicomTransferSyntax.ExplicitVRLittleEndian);
            paths.Add(path);
        }
        return paths;
    }

    private static double HuAt(CtPhantomSpec spec, Vec3 p, Vec3 centre)
    {
        double dx = (p.X - centre.X) / spec.BodyRadii.X, dy = (p.Y - centre.Y) / spec.BodyRadii.Y;
        if ((dx * dx) + (dy * dy) > 1) return -1000;
        foreach (var l in spec.Lesions)
        {
            if (l.Contains(p)) return l.Hu;
        }
        return spec.BodyHu;
    }

    private static double Gaussian(Random random)
    {
        // Box–Muller.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
