using System.Globalization;
using System.Text.RegularExpressions;
using MedNode.Analysis.Assembly;
using MedNode.Analysis.Structures;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Structures;

/// <summary>The shared STS-CT data set (../shared/datasets/sts-ct): its patient table and its series and RTSTRUCTs.</summary>
internal static partial class StsCt
{
    public const string Data = "datasets/sts-ct";
    public const string RoiName = "GTV_Mass_CT";

    /// <summary>The README's patient table: ID → "GTV volume, voxel (mm3)" (the external golden value).</summary>
    public static IReadOnlyDictionary<string, double> ReadmeVoxelVolumes()
    {
        var lines = File.ReadAllLines(Path.Combine(SharedData.Get(Data), "README.md"));
        var header = lines.First(l => l.StartsWith("| ID |", StringComparison.Ordinal)).Split('|').Select(c => c.Trim()).ToList();
        var column = header.IndexOf("GTV volume, voxel (mm3)");
        column.Should().BePositive("the README table has a 'GTV volume, voxel (mm3)' column");
        var result = new Dictionary<string, double>();
        foreach (var line in lines.Where(l => PatientRow().IsMatch(l)))
        {
            var cells = line.Split('|').Select(c => c.Trim()).ToList();
            result[cells[1]] = double.Parse(cells[column], CultureInfo.InvariantCulture);
        }
        return result;
    }

    public static AssembledSeries Series(string patient)
    {
        var files = Directory.GetFiles(Path.Combine(SharedData.Get(Data), patient, "image"), "*.dcm");
        var result = SeriesAssembler.AssembleFiles(files);
        result.SkipReason.Should().BeNull();
        return result.Series!;
    }

    public static string ImageDir(string patient) => Path.Combine(SharedData.Get(Data), patient, "image");

    /// <summary>The GTV of <paramref name="patient"/> rasterised by MedNode onto its image grid.</summary>
    public static Volume<byte> GtvMask(string patient, AssembledSeries series)
    {
        var rs = DicomFile.Open(Path.Combine(SharedData.Get(Data), patient, "mask", "RS.dcm")).Dataset;
        // No frame-of-reference check here: STS_046's ROI (3006,0024) names a frame of reference other than its images',
        // although its Referenced Frame of Reference Sequence (3006,0010) and its geometry match them.
        return RtStructRasterizer.Rasterize(rs, RoiName, series.Image.Geometry);
    }

    [GeneratedRegex(@"^\| STS_\d+ \|")]
    private static partial Regex PatientRow();
}
