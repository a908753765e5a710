using System.Globalization;
using MedNode.Analysis.Structures;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;

namespace MedNode.Analysis.Tests.Structures;

/// <summary>
/// The RTSTRUCT rasteriser on hand-built structure sets whose masks follow from the geometry: a grid of 10 × 10 × 3
/// voxels, 1 × 1 × 2 mm, origin (0, 0, 0), so voxel (x, y, z) has its centre at (x, y, 2z) mm.
/// </summary>
public class RtStructRasterizerTests
{
    private static readonly VolumeGeometry Grid = VolumeGeometry.Axial(10, 10, 3, new Vec3(1, 1, 2));

    [Fact]
    [Trait("Conformance", "PS3.3 C.8.8.6")]
    public void Rasterize_SquareContour_SetsPixelCentresInside()
    {
        // The square 1.5..4.5 mm contains the centres 2, 3, 4 in x and y: 9 voxels, all on slice 1 (z = 2 mm).
        var ds = Structure(Contour("CLOSED_PLANAR", Square(1.5, 4.5, 2)));

        var mask = RtStructRasterizer.Rasterize(ds, "GTV", Grid);

        mask.Data.Sum(b => b).Should().Be(9);
        for (var y = 2; y <= 4; y++)
        {
            for (var x = 2; x <= 4; x++) mask[x, y, 1].Should().Be(1);
        }
    }

    [Fact]
    [Trait("Conformance", "PS3.3 C.8.8.6.3")]
    public void Rasterize_ContourInsideContourOnOneSlice_CutsAHole()
    {
        // Outer square 0.5..7.5 (centres 1..7: 49 voxels), inner 2.5..5.5 (centres 3..5: 9 voxels) → a ring of 40.
        var ds = Structure(Contour("CLOSED_PLANAR", Square(0.5, 7.5, 4)), Contour("CLOSED_PLANAR", Square(2.5, 5.5, 4)));

        var mask = RtStructRasterizer.Rasterize(ds, "GTV", Grid);

        mask.Data.Sum(b => b).Should().Be(40);
        mask[4, 4, 2].Should().Be(0);
        mask[1, 1, 2].Should().Be(1);
    }

    [Fact]
    public void Rasterize_Triangle_MatchesHalfPlaneTest()
    {
        // The triangle (0.2, 0.2), (8.7, 0.2), (0.2, 8.7): centres with x, y ≥ 1 and x + y < 8.9 are inside.
        var ds = Structure(Contour("CLOSED_PLANAR", [0.2, 0.2, 0, 8.7, 0.2, 0, 0.2, 8.7, 0]));

        var mask = RtStructRasterizer.Rasterize(ds, "GTV", Grid);

        var expected = 0;
        for (var y = 0; y < 10; y++)
        {
            for (var x = 0; x < 10; x++)
            {
                var inside = x >= 1 && y >= 1 && x + y < 8.9;
                if (inside) expected++;
                mask[x, y, 0].Should().Be(inside ? (byte)1 : (byte)0, $"voxel ({x}, {y})");
            }
        }
        mask.Data.Sum(b => b).Should().Be(expected);
    }

    [Fact]
    public void Rasterize_UnknownRoi_ThrowsNamingTheRois()
    {
        var ds = Structure(Contour("CLOSED_PLANAR", Square(1.5, 4.5, 2)));

        var act = () => RtStructRasterizer.Rasterize(ds, "PTV", Grid);

        act.Should().Throw<RtStructException>().WithMessage("*no ROI named 'PTV'*'GTV'*");
    }

    [Fact]
    public void Rasterize_ContourBetweenSlices_Throws()
    {
        var ds = Structure(Contour("CLOSED_PLANAR", Square(1.5, 4.5, 3)));

        var act = () => RtStructRasterizer.Rasterize(ds, "GTV", Grid);

        act.Should().Throw<RtStructException>().WithMessage("*not on any of the 3 image slices*");
    }

    [Fact]
    public void Rasterize_ContourBeyondLastSlice_Throws()
    {
        var ds = Structure(Contour("CLOSED_PLANAR", Square(1.5, 4.5, 6)));

        var act = () => RtStructRasterizer.Rasterize(ds, "GTV", Grid);

        act.Should().Throw<RtStructException>().WithMessage("*not on any of the 3 image slices*");
    }

    [Theory]
    [InlineData("OPEN_PLANAR")]
    [InlineData("POINT")]
    public void Rasterize_OpenContour_Throws(string type)
    {
        var ds = Structure(Contour(type, Square(1.5, 4.5, 2)));

        var act = () => RtStructRasterizer.Rasterize(ds, "GTV", Grid);

        act.Should().Throw<RtStructException>().WithMessage($"*'{type}'; only CLOSED_PLANAR*");
    }

    [Fact]
    public void Rasterize_PointCountDisagreesWithContourData_Throws()
    {
        var contour = Contour("CLOSED_PLANAR", Square(1.5, 4.5, 2));
        contour.AddOrUpdate(DicomTags.NumberOfContourPoints, DicomVR.IS, "5");
        var ds = Structure(contour);

        var act = () => RtStructRasterizer.Rasterize(ds, "GTV", Grid);

        act.Should().Throw<RtStructException>().WithMessage("*12 values*5 × 3*");
    }

    [Fact]
    public void Rasterize_TooManyPoints_ThrowsBeforeRasterising()
    {
        var ds = Structure(Contour("CLOSED_PLANAR", Square(1.5, 4.5, 2)));

        var act = () => RtStructRasterizer.Rasterize(ds, "GTV", Grid, limits: new RtStructLimits { MaxPointsPerContour = 3 });

        act.Should().Throw<RtStructException>().WithMessage("*4 points; the limit is 3*");
    }

    [Fact]
    public void Rasterize_ContourNotInSlicePlane_Throws()
    {
        var ds = Structure(Contour("CLOSED_PLANAR", [1.5, 1.5, 2, 4.5, 1.5, 2, 4.5, 4.5, 4]));

        var act = () => RtStructRasterizer.Rasterize(ds, "GTV", Grid);

        act.Should().Throw<RtStructException>().WithMessage("*not planar*");
    }

    [Fact]
    public void Rasterize_OtherFrameOfReference_Throws()
    {
        var ds = Structure(Contour("CLOSED_PLANAR", Square(1.5, 4.5, 2)));

        var act = () => RtStructRasterizer.Rasterize(ds, "GTV", Grid, frameOfReferenceUid: "1.2.3.5");

        act.Should().Throw<RtStructException>().WithMessage("*frame of reference 1.2.3.4*1.2.3.5*");
    }

    private static double[] Square(double lo, double hi, double z) => [lo, lo, z, hi, lo, z, hi, hi, z, lo, hi, z];

    private static DicomDataset Contour(string type, double[] points)
    {
        var c = new DicomDataset();
        c.AddOrUpdate(DicomTags.ContourGeometricType, DicomVR.CS, type);
        c.AddOrUpdate(DicomTags.NumberOfContourPoints, DicomVR.IS, (points.Length / 3).ToString(CultureInfo.InvariantCulture));
        c.AddOrUpdate(DicomTags.ContourData, DicomVR.DS, points);
        return c;
    }

    private static DicomDataset Structure(params DicomDataset[] contours)
    {
        var roi = new DicomDataset();
        roi.AddOrUpdate(DicomTags.ROINumber, DicomVR.IS, "7");
        roi.AddOrUpdate(DicomTags.ReferencedFrameOfReferenceUID, DicomVR.UI, "1.2.3.4");
        roi.AddOrUpdate(DicomTags.ROIName, DicomVR.LO, "GTV");
        var roiContour = new DicomDataset();
        roiContour.AddOrUpdate(DicomTags.ReferencedROINumber, DicomVR.IS, "7");
        roiContour.AddOrUpdate(DicomTags.ContourSequence, contours);
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.StructureSetROISequence, roi);
        ds.AddOrUpdate(DicomTags.ROIContourSequence, roiContour);
        return ds;
    }
}
