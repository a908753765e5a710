using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Tests.Volumes;

[Trait("Conformance", "PS3.3 C.7.6.2.1.1")]
public class VolumeGeometryTests
{
    [Fact]
    public void IndexToPatient_AxialSlice_FollowsImagePlaneEquation()
    {
        // PS3.3 C.7.6.2.1.1: P = S + X·Δi·i + Y·Δj·j, with Δi the column spacing (Pixel Spacing[1]) and Δj the row
        // spacing (Pixel Spacing[0]); here Pixel Spacing = [0.6, 0.8] (row, column), slices 2.5 mm apart along +z.
        var g = new VolumeGeometry(512, 512, 10, new Vec3(0.8, 0.6, 2.5), new Vec3(-200, -180, 50), new Vec3(1, 0, 0), new Vec3(0, 1, 0), new Vec3(0, 0, 1));

        g.IndexToPatient(10, 20, 3).Should().Be(new Vec3(-200 + 0.8 * 10, -180 + 0.6 * 20, 50 + 2.5 * 3));
    }

    [Fact]
    public void IndexToPatient_SagittalSlice_UsesTheDirectionCosines()
    {
        // Sagittal: Image Orientation (Patient) = [0, 1, 0, 0, 0, -1] (columns advance along +y, rows along -z); slices along +x.
        var g = new VolumeGeometry(256, 256, 40, new Vec3(1, 1, 3), new Vec3(-60, -120, 130), new Vec3(0, 1, 0), new Vec3(0, 0, -1), new Vec3(1, 0, 0));

        g.IndexToPatient(5, 7, 2).Should().Be(new Vec3(-60 + 3 * 2, -120 + 5, 130 - 7));
    }

    [Fact]
    public void PatientToIndex_ObliqueGrid_InvertsIndexToPatient()
    {
        double t = 0.4, u = 0.3;
        var row = new Vec3(Math.Cos(t), Math.Sin(t), 0);
        var column = new Vec3(-Math.Sin(t) * Math.Cos(u), Math.Cos(t) * Math.Cos(u), Math.Sin(u));
        var g = new VolumeGeometry(64, 64, 20, new Vec3(0.7, 0.9, 2.0), new Vec3(12, -30, 7), row, column, Vec3.Cross(row, column));

        var p = g.IndexToPatient(3.25, 17.5, 11);
        var back = g.PatientToIndex(p);

        back.X.Should().BeApproximately(3.25, 1e-9);
        back.Y.Should().BeApproximately(17.5, 1e-9);
        back.Z.Should().BeApproximately(11, 1e-9);
        // Distances in patient space follow the spacing along each axis.
        Vec3.Distance(g.IndexToPatient(0, 0, 0), g.IndexToPatient(0, 0, 1)).Should().BeApproximately(2.0, 1e-12);
        Vec3.Distance(g.IndexToPatient(0, 0, 0), g.IndexToPatient(1, 1, 0)).Should().BeApproximately(Math.Sqrt(0.49 + 0.81), 1e-12);
    }

    [Fact]
    public void Crop_SubBox_KeepsPatientPositions()
    {
        var g = new VolumeGeometry(20, 20, 20, new Vec3(0.5, 0.5, 2), new Vec3(1, 2, 3), new Vec3(0, 1, 0), new Vec3(0, 0, -1), new Vec3(-1, 0, 0));
        var volume = new Volume<float>(g);
        volume[7, 8, 9] = 42;

        var cropped = volume.Crop(new VoxelBox(5, 6, 7, 10, 10, 12));

        cropped[2, 2, 2].Should().Be(42);
        cropped.Geometry.IndexToPatient(2, 2, 2).Should().Be(g.IndexToPatient(7, 8, 9));
    }

    [Fact]
    public void FromAffine_ScaledAxes_SplitsSpacingAndDirections()
    {
        double[] affine = [0, 0, 3, -5, -0.5, 0, 0, 10, 0, 0.8, 0, 20];

        var g = VolumeGeometry.FromAffine(4, 5, 6, affine);

        g.Spacing.Should().Be(new Vec3(0.5, 0.8, 3));
        g.RowDirection.Should().Be(new Vec3(0, -1, 0));
        g.ColumnDirection.Should().Be(new Vec3(0, 0, 1));
        g.SliceDirection.Should().Be(new Vec3(1, 0, 0));
        g.IndexToPatient(1, 2, 3).Should().Be(new Vec3(-5 + 9, 10 - 0.5, 20 + 1.6));
    }
}
