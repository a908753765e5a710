using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Results;

/// <summary>
/// dcmjs (npm, the library OHIF loads SEG and SR with) reads MedNode's SEG onto the source stack and the SR's TID 1500
/// groups; expectations come from the phantom and from the AnalysisResult that went in, not from our writers' output.
/// </summary>
[Collection(PhantomResultCollection.Name)]
public sealed class ResultDcmjsTests(PhantomResultFixture f)
{
    private static readonly object Gate = new();
    private static (JsonElement Json, byte[] Labelmap)? cached;

    private (JsonElement Json, byte[] Labelmap) Dcmjs()
    {
        lock (Gate)
        {
            if (cached is { } c) return c;
            var outDir = Path.Combine(f.Work, "dcmjs");
            Directory.CreateDirectory(outDir);
            var script = Path.Combine(AppContext.BaseDirectory, "Results", "dcmjs-read.cjs");
            var r = NodePackages.RunScript(script, [f.SourceDir, f.SegPath, f.SrPath, outDir]);
            if (r.ExitCode != 0) throw new InvalidOperationException($"dcmjs-read.cjs failed ({r.ExitCode}): {r.StdErr}{r.StdOut}");
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "result.json")));
            cached = (doc.RootElement.Clone(), File.ReadAllBytes(Path.Combine(outDir, "labelmap.bin")));
            return cached.Value;
        }
    }

    [RequiresNodePackagesFact("dcmjs")]
    [Trait("Conformance", "PS3.3 A.51")]
    public void Dcmjs_Seg_MapsOntoPhantomLesionsVoxelForVoxel()
    {
        var (json, labelmap) = Dcmjs();
        var spec = PhantomResultFixture.Spec;
        var g = spec.Geometry;

        json.GetProperty("labelmaps").GetInt32().Should().Be(1, "the lesions do not overlap");
        json.GetProperty("imageSopInstanceUids").EnumerateArray().Select(e => e.GetString())
            .Should().Equal(f.Source.Select(s => s.GetString(DicomTags.SOPInstanceUID)), "the phantom's slices are written in z order");
        labelmap.Length.Should().Be(g.VoxelCount * 2);
        var labels = new int[g.VoxelCount];
        for (var i = 0; i < labels.Length; i++) labels[i] = BinaryPrimitives.ReadUInt16LittleEndian(labelmap.AsSpan(2 * i));

        // Voxel for voxel: the label dcmjs places is the segment of the lesion the pipeline found there.
        for (var n = 0; n < f.Result.Lesions.Count; n++)
        {
            var expected = f.FullMask(f.Result.Lesions[n]);
            var mismatches = Enumerable.Range(0, labels.Length).Count(i => (labels[i] == n + 1) != (expected[i] != 0));
            mismatches.Should().Be(0, $"segment {n + 1}");
        }
        labels.Should().OnlyContain(l => l >= 0 && l <= f.Result.Lesions.Count);

        // Each segment's centroid, in patient coordinates from the phantom's own grid, lies on a known ellipsoid's centre.
        var centroids = Enumerable.Range(1, f.Result.Lesions.Count).Select(n => Centroid(labels, n, g)).ToList();
        foreach (var lesion in spec.Lesions)
        {
            var nearest = centroids.Min(c => Vec3.Distance(c, lesion.Centre));
            nearest.Should().BeLessThan(1.0, $"a segment lies on the phantom lesion at {lesion.Centre}");
        }
    }

    [RequiresNodePackagesFact("dcmjs")]
    public void Dcmjs_Seg_SegmentsCarryManifestLabelsCodesAndColour()
    {
        var (json, _) = Dcmjs();
        var cls = f.Manifest.Classes.Single();
        var rgb = new[] { 1, 3, 5 }.Select(i => int.Parse(cls.Colour.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        var segments = json.GetProperty("segments").EnumerateArray().ToList();

        segments.Should().HaveCount(PhantomResultFixture.Spec.Lesions.Count);
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            s.GetProperty("number").GetInt32().Should().Be(i + 1);
            s.GetProperty("label").GetString().Should().Be($"{cls.Label} {i + 1}");
            s.GetProperty("category").GetString().Should().Be(cls.Category.Value);
            s.GetProperty("type").GetString().Should().Be(cls.Type.Value);
            s.GetProperty("algorithmType").GetString().Should().Be("AUTOMATIC");
            s.GetProperty("algorithmName").GetString().Should().Be(f.Manifest.Name);
            s.GetProperty("algorithmVersion").GetString().Should().Be(f.Manifest.Version);
            s.GetProperty("algorithmSource").GetString().Should().Be(f.Manifest.Sha256);
            // dcmjs converts the CIELab value back to sRGB (D50, Bradford; as DCMTK): the manifest's colour within rounding.
            var back = s.GetProperty("rgb").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            for (var c = 0; c < 3; c++) back[c].Should().BeCloseTo(rgb[c], 1, $"channel {c} of {cls.Colour}");
        }
    }

    [RequiresNodePackagesFact("dcmjs")]
    [Trait("Conformance", "PS3.16 TID 1410")]
    public void Dcmjs_Sr_BidirectionalRecistEqualsTheMeasuredAxes()
    {
        var (json, _) = Dcmjs();
        var tools = json.GetProperty("bidirectional").EnumerateArray().ToList();
        var cls = f.Manifest.Classes.Single();

        tools.Should().HaveCount(f.Result.Lesions.Count);
        for (var i = 0; i < tools.Count; i++)
        {
            var recist = f.Result.Lesions[i].Measurements.Recist!;
            var t = tools[i];
            t.GetProperty("sopInstanceUid").GetString().Should().Be(f.Result.Slices[recist.SliceIndex].SopInstanceUid, "the axes lie on the key slice");
            t.GetProperty("finding").GetString().Should().Be(cls.Type.Value);
            t.GetProperty("length").GetDouble().Should().BeApproximately(recist.LongAxisMm, 0.1);
            t.GetProperty("width").GetDouble().Should().BeApproximately(recist.ShortAxisMm, 0.1);
            // The SCOORD end points, mapped to patient space through the source image's plane by the test script.
            var p = t.GetProperty("points").EnumerateArray().Select(e => e.EnumerateArray().Select(v => v.GetDouble()).ToArray()).Select(a => new Vec3(a[0], a[1], a[2])).ToList();
            Vec3.Distance(p[0], p[1]).Should().BeApproximately(recist.LongAxisMm, 0.1);
            Vec3.Distance(p[2], p[3]).Should().BeApproximately(recist.ShortAxisMm, 0.1);
            Vec3.Distance(p[0], recist.LongAxisFrom).Should().BeLessThan(0.1);
            Vec3.Distance(p[1], recist.LongAxisTo).Should().BeLessThan(0.1);
            Vec3.Distance(p[2], recist.ShortAxisFrom).Should().BeLessThan(0.1);
            Vec3.Distance(p[3], recist.ShortAxisTo).Should().BeLessThan(0.1);
        }
    }

    /// <summary>
    /// Each lesion's RECIST group has no top-level SCOORD (OHIF would draw only that) and takes its ROI from the SEG frame of
    /// its segment on the key slice; its bounding box is a closed POLYLINE Image Region in a group of its own Tracking UID,
    /// equal to the pipeline mask's in-plane extent on the key slice.
    /// </summary>
    [RequiresNodePackagesFact("dcmjs")]
    [Trait("Conformance", "PS3.16 TID 1410")]
    public void Dcmjs_Sr_RecistGroupReferencesSegFrameAndBoxGroupIsTheMaskExtent()
    {
        var (json, _) = Dcmjs();
        var groups = json.GetProperty("planar").EnumerateArray().ToList();
        var recistGroups = groups.Where(g => g.TryGetProperty("segmentationFrame", out _)).ToList();
        var boxGroups = groups.Where(g => g.TryGetProperty("imageRegion", out _)).ToList();
        var geometry = f.Result.SourceGeometry!;

        groups.Should().HaveCount(2 * f.Result.Lesions.Count);
        recistGroups.Should().HaveCount(f.Result.Lesions.Count);
        boxGroups.Should().HaveCount(f.Result.Lesions.Count);
        for (var i = 0; i < f.Result.Lesions.Count; i++)
        {
            var lesion = f.Result.Lesions[i];
            var key = lesion.Measurements.Recist!.SliceIndex;
            var keySop = f.Result.Slices[key].SopInstanceUid;
            var (recist, box) = (recistGroups[i], boxGroups[i]);

            recist.GetProperty("topLevelScoords").GetInt32().Should().Be(0);
            var frame = recist.GetProperty("segmentationFrame");
            frame.GetProperty("seg").GetString().Should().Be(f.Encoded.Segmentation!.GetString(DicomTags.SOPInstanceUID));
            frame.GetProperty("segment").GetInt32().Should().Be(i + 1, "the SEG frame is one of this lesion's segment");
            frame.GetProperty("source").GetString().Should().Be(keySop, "the SEG frame lies on the key slice");
            frame.GetProperty("sourceImage").GetString().Should().Be(keySop);

            box.GetProperty("trackingUid").GetString().Should().NotBe(recist.GetProperty("trackingUid").GetString());
            box.GetProperty("trackingId").GetString().Should().Be(recist.GetProperty("trackingId").GetString() + " bounding box");
            box.GetProperty("topLevelScoords").GetInt32().Should().Be(1);
            var region = box.GetProperty("imageRegion");
            region.GetProperty("graphicType").GetString().Should().Be("POLYLINE");
            region.GetProperty("sopInstanceUid").GetString().Should().Be(keySop);
            // The mask's extent on the key slice; the region's corners are pixel edges (pixel centres at +0.5).
            var mask = f.FullMask(lesion);
            var inSlice = Enumerable.Range(0, geometry.SizeY).SelectMany(y => Enumerable.Range(0, geometry.SizeX).Select(x => (x, y)))
                .Where(p => mask[geometry.Index(p.x, p.y, key)] != 0).ToList();
            double x0 = inSlice.Min(p => p.x), y0 = inSlice.Min(p => p.y), x1 = inSlice.Max(p => p.x) + 1, y1 = inSlice.Max(p => p.y) + 1;
            region.GetProperty("points").EnumerateArray().Select(e => e.GetDouble())
                .Should().Equal([x0, y0, x1, y0, x1, y1, x0, y1, x0, y0], (a, b) => Math.Abs(a - b) < 1e-4);
        }
    }

    [RequiresNodePackagesFact("dcmjs")]
    [Trait("Conformance", "PS3.16 TID 1411")]
    public void Dcmjs_Sr_VolumetricGroupsCarryTheMeasurementsAndReferences()
    {
        var (json, _) = Dcmjs();
        var groups = json.GetProperty("volumetric").EnumerateArray().ToList();

        groups.Should().HaveCount(f.Result.Lesions.Count);
        for (var i = 0; i < groups.Count; i++)
        {
            var m = f.Result.Lesions[i].Measurements;
            var g = groups[i];
            g.GetProperty("referencedSegment").GetInt32().Should().Be(i + 1);
            g.GetProperty("referencedSeg").GetString().Should().Be(f.Encoded.Segmentation!.GetString(DicomTags.SOPInstanceUID));
            g.GetProperty("sourceSeries").GetString().Should().Be(f.Source[0].GetString(DicomTags.SeriesInstanceUID));
            var nums = g.GetProperty("nums");
            Check(nums, "118565006", m.VolumePartial!.Value, "mm3");
            Check(nums, "RNU0", m.VolumeMesh, "mm3");
            Check(nums, "YEKZ", m.VolumeVoxelCounting, "mm3");
            Check(nums, "C0JK", m.SurfaceArea, "mm2");
            Check(nums, "QCFX", m.Sphericity, "1");
            Check(nums, "L0JK", m.Maximum3DDiameter, "mm");
            Check(nums, "Q3CK", m.Elongation, "1");
            Check(nums, "N17B", m.Flatness, "1");
        }
    }

    private static void Check(JsonElement nums, string code, double expected, string unit)
    {
        var n = nums.GetProperty(code);
        n.GetProperty("unit").GetString().Should().Be(unit, code);
        n.GetProperty("value").GetDouble().Should().BeApproximately(expected, Math.Max(1e-6, Math.Abs(expected) * 1e-9), code);
    }

    private static Vec3 Centroid(int[] labels, int label, VolumeGeometry g)
    {
        double x = 0, y = 0, z = 0;
        long n = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] != label) continue;
            x += i % g.SizeX;
            y += i / g.SizeX % g.SizeY;
            z += i / (g.SizeX * g.SizeY);
            n++;
        }
        n.Should().BePositive($"segment {label} has voxels in dcmjs's labelmap");
        return g.IndexToPatient(x / n, y / n, z / n);
    }
}
