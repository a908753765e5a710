using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>
/// Computes <see cref="LesionMeasurements"/> for a binary mask, with the IBSI 1 definitions (chapter 3.1) on the
/// mask as given (no resampling). Work is limited to the mask's bounding box.
/// </summary>
public static class LesionMeasurer
{
    /// <summary>
    /// Measures the non-zero voxels of <paramref name="mask"/> as one lesion. <paramref name="image"/>, when given,
    /// must share the mask's grid; its values inside the mask give <see cref="LesionMeasurements.Intensity"/>.
    /// </summary>
    public static LesionMeasurements Measure(Volume<byte> mask, Volume<float>? image = null)
    {
        if (image != null && (image.SizeX != mask.SizeX || image.SizeY != mask.SizeY || image.SizeZ != mask.SizeZ))
            throw new ArgumentException("The image must have the mask's dimensions.", nameof(image));
        var box = NonZeroBox(mask) ?? throw new ArgumentException("The mask is empty.", nameof(mask));
        var cropped = box == new VoxelBox(0, 0, 0, mask.SizeX - 1, mask.SizeY - 1, mask.SizeZ - 1) ? mask : mask.Crop(box);
        return MeasureCropped(cropped, image?.Crop(box), box);
    }

    /// <summary>Measures one component of a labelling; <paramref name="image"/>, when given, shares the labelled grid.</summary>
    public static LesionMeasurements Measure(ComponentLabeling labeling, int label, Volume<float>? image = null)
    {
        var component = labeling.Components[label - 1];
        return MeasureCropped(labeling.ExtractMask(label), image?.Crop(component.Box), component.Box);
    }

    private static LesionMeasurements MeasureCropped(Volume<byte> mask, Volume<float>? image, VoxelBox boxInSource)
    {
        var g = mask.Geometry;
        var mesh = MaskMesh.Measure(mask);
        double v = mesh.Volume, a = mesh.SurfaceArea;

        // Voxel-centre moments in grid mm, and intensity statistics, in one pass.
        long n = 0;
        double sx = 0, sy = 0, sz = 0, sxx = 0, syy = 0, szz = 0, sxy = 0, sxz = 0, syz = 0;
        double iSum = 0, iSum2 = 0, iMin = double.PositiveInfinity, iMax = double.NegativeInfinity;
        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                var row = g.Index(0, y, z);
                for (var x = 0; x < g.SizeX; x++)
                {
                    if (mask.Data[row + x] == 0) continue;
                    double px = x * g.Spacing.X, py = y * g.Spacing.Y, pz = z * g.Spacing.Z;
                    n++;
                    sx += px; sy += py; sz += pz;
                    sxx += px * px; syy += py * py; szz += pz * pz;
                    sxy += px * py; sxz += px * pz; syz += py * pz;
                    if (image != null)
                    {
                        double val = image.Data[row + x];
                        iSum += val;
                        iSum2 += val * val;
                        if (val < iMin) iMin = val;
                        if (val > iMax) iMax = val;
                    }
                }
            }
        }
        var mean = new Vec3(sx / n, sy / n, sz / n);
        // Sample covariance (1/(N-1)): with 1/N the IBSI digital phantom's minor axis (9.31 ± 0.06 mm) falls outside its tolerance.
        var dn = n > 1 ? n - 1 : 1;
        double cxx = (sxx - n * mean.X * mean.X) / dn, cyy = (syy - n * mean.Y * mean.Y) / dn, czz = (szz - n * mean.Z * mean.Z) / dn;
        double cxy = (sxy - n * mean.X * mean.Y) / dn, cxz = (sxz - n * mean.X * mean.Z) / dn, cyz = (syz - n * mean.Y * mean.Z) / dn;
        var (lambda, _) = PrincipalAxes.Eigen(cxx, cxy, cxz, cyy, cyz, czz);
        double lMajor = Math.Max(lambda[0], 0), lMinor = Math.Max(lambda[1], 0), lLeast = Math.Max(lambda[2], 0);

        var aabb = mesh.VertexMax - mesh.VertexMin;
        var aabbVolume = aabb.X * aabb.Y * aabb.Z;
        var aabbArea = 2 * (aabb.X * aabb.Y + aabb.X * aabb.Z + aabb.Y * aabb.Z);
        var sphereTerm = Math.Cbrt(36 * Math.PI * v * v);

        IntensityStatistics? intensity = null;
        if (image != null)
        {
            var im = iSum / n;
            intensity = new IntensityStatistics(im, iMin, iMax, Math.Sqrt(Math.Max(iSum2 / n - im * im, 0)));
        }

        var recist = RecistDiameters.Measure(mask);
        if (recist != null) recist = recist with { SliceIndex = recist.SliceIndex + boxInSource.MinZ };
        var last = new VoxelBox(0, 0, 0, g.SizeX - 1, g.SizeY - 1, g.SizeZ - 1);
        return new LesionMeasurements
        {
            VoxelCount = n,
            VolumeMesh = v,                                                    // IBSI RNU0
            VolumeVoxelCounting = n * g.VoxelVolume,                           // IBSI YEKZ
            SurfaceArea = a,                                                   // IBSI C0JK
            SurfaceToVolumeRatio = a / v,                                      // IBSI 2PR5
            Compactness1 = v / (Math.Sqrt(Math.PI) * Math.Pow(a, 1.5)),        // IBSI SKGS
            Compactness2 = 36 * Math.PI * v * v / (a * a * a),                 // IBSI BQWJ
            SphericalDisproportion = a / sphereTerm,                           // IBSI KRCK
            Sphericity = sphereTerm / a,                                       // IBSI QCFX
            Asphericity = Math.Cbrt(a * a * a / (36 * Math.PI * v * v)) - 1,   // IBSI 25C7
            Maximum3DDiameter = mesh.Diameter,                                 // IBSI L0JK
            Maximum3DDiameterFrom = g.GridMmToPatient(mesh.DiameterFrom),
            Maximum3DDiameterTo = g.GridMmToPatient(mesh.DiameterTo),
            MajorAxisLength = 4 * Math.Sqrt(lMajor),                           // IBSI TDIC
            MinorAxisLength = 4 * Math.Sqrt(lMinor),                           // IBSI P9VJ
            LeastAxisLength = 4 * Math.Sqrt(lLeast),                           // IBSI 7J51
            Elongation = lMajor > 0 ? Math.Sqrt(lMinor / lMajor) : 1,          // IBSI Q3CK
            Flatness = lMajor > 0 ? Math.Sqrt(lLeast / lMajor) : 1,            // IBSI N17B
            VolumeDensityAabb = aabbVolume > 0 ? v / aabbVolume : 0,           // IBSI PBX1
            AreaDensityAabb = aabbArea > 0 ? a / aabbArea : 0,                 // IBSI R59B
            Centroid = g.GridMmToPatient(mean),
            BoundingBox = boxInSource,
            BoundingBoxSizeMm = new Vec3(boxInSource.SizeX * g.Spacing.X, boxInSource.SizeY * g.Spacing.Y, boxInSource.SizeZ * g.Spacing.Z),
            BoundingBoxMinCorner = g.IndexToPatient(0, 0, 0),
            BoundingBoxMaxCorner = g.IndexToPatient(last.MaxX, last.MaxY, last.MaxZ),
            Recist = recist,
            Intensity = intensity,
        };
    }

    private static VoxelBox? NonZeroBox(Volume<byte> mask)
    {
        var g = mask.Geometry;
        int x0 = int.MaxValue, y0 = int.MaxValue, z0 = int.MaxValue, x1 = -1, y1 = -1, z1 = -1;
        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                var line = new ReadOnlySpan<byte>(mask.Data, g.Index(0, y, z), g.SizeX);
                var first = line.IndexOfAnyExcept((byte)0);
                if (first < 0) continue;
                var last = line.LastIndexOfAnyExcept((byte)0);
                x0 = Math.Min(x0, first); x1 = Math.Max(x1, last);
                y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                z0 = Math.Min(z0, z); z1 = Math.Max(z1, z);
            }
        }
        return x1 < 0 ? null : new VoxelBox(x0, y0, z0, x1, y1, z1);
    }
}
