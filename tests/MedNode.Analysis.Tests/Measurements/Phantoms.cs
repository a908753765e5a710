using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Tests.Measurements;

/// <summary>Rasterises analytic shapes: a voxel is inside when its centre is inside the shape.</summary>
internal static class Phantoms
{
    /// <summary>An ellipsoid with centre <paramref name="centre"/> (patient mm) and semi-axes a, b, c along the unit axes u1, u2, u3.</summary>
    public static Volume<byte> Ellipsoid(VolumeGeometry g, Vec3 centre, double a, double b, double c, Vec3? u1 = null, Vec3? u2 = null)
    {
        var e1 = (u1 ?? new Vec3(1, 0, 0)).Normalized();
        var e2 = (u2 ?? new Vec3(0, 1, 0)).Normalized();
        var e3 = Vec3.Cross(e1, e2).Normalized();
        var mask = new Volume<byte>(g);
        for (var z = 0; z < g.SizeZ; z++)
        {
            for (var y = 0; y < g.SizeY; y++)
            {
                for (var x = 0; x < g.SizeX; x++)
                {
                    var d = g.IndexToPatient(x, y, z) - centre;
                    double p = Vec3.Dot(d, e1) / a, q = Vec3.Dot(d, e2) / b, r = Vec3.Dot(d, e3) / c;
                    if (p * p + q * q + r * r <= 1) mask[x, y, z] = 1;
                }
            }
        }
        return mask;
    }

    /// <summary>A grid just large enough for a shape of the given radius (mm), centred on <paramref name="centre"/>.</summary>
    public static VolumeGeometry GridAround(Vec3 centre, double radius, Vec3 spacing, Vec3? row = null, Vec3? column = null)
    {
        var r = (row ?? new Vec3(1, 0, 0)).Normalized();
        var c = (column ?? new Vec3(0, 1, 0)).Normalized();
        var s = Vec3.Cross(r, c);
        int nx = (int)Math.Ceiling(2 * radius / spacing.X) + 5, ny = (int)Math.Ceiling(2 * radius / spacing.Y) + 5, nz = (int)Math.Ceiling(2 * radius / spacing.Z) + 5;
        // Origin so that the grid centre sits at the shape centre, offset by a fraction of a voxel to avoid symmetric ties.
        var origin = centre - r * (spacing.X * (nx - 1) / 2.0 + 0.13 * spacing.X) - c * (spacing.Y * (ny - 1) / 2.0 + 0.21 * spacing.Y) - s * (spacing.Z * (nz - 1) / 2.0 + 0.07 * spacing.Z);
        return new VolumeGeometry(nx, ny, nz, spacing, origin, r, c, s);
    }
}
