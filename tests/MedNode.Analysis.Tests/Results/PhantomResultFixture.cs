using MedNode.Analysis.Inference;
using MedNode.Analysis.Models;
using MedNode.Analysis.Phantoms;
using MedNode.Analysis.Results;
using MedNode.Analysis.Tests.Inference;
using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.TestSupport;

namespace MedNode.Analysis.Tests.Results;

/// <summary>
/// Runs the bundled phantom-lesion model once on a synthetic CT series (anisotropic: 0.8 mm pixels, 1.5 mm slices)
/// written as DICOM files, encodes the result as SEG, SR, SC and KOS, and writes them as Part 10 files.
/// </summary>
public sealed class PhantomResultFixture : IDisposable
{
    public static readonly CtPhantomSpec Spec = PhantomEndToEndTests.Spec with
    {
        Lesions =
        [
            new PhantomEllipsoid(new Vec3(-25, -15, -10), new Vec3(12, 10, 9), 130),
            new PhantomEllipsoid(new Vec3(20, 15, 5), new Vec3(8, 8, 8), 120),
            new PhantomEllipsoid(new Vec3(-15, 25, 15), new Vec3(6, 5, 5), 140),
        ],
    };

    private readonly TempDir dir = new();

    public PhantomResultFixture()
    {
        SourceFiles = CtPhantom.WriteSeries(Spec, SourceDir);
        using var model = new ModelLoader(new CapturingLogger<ModelLoader>()).Load(ModelLoaderTests.PhantomModelDir, new InferenceOptions { Device = InferenceDevice.Cpu });
        Manifest = model.Manifest;
        Result = new AnalysisPipeline(TimeProvider.System).AnalyzeFiles(SourceFiles, model);
        if (Result.Status != AnalysisStatus.Completed) throw new InvalidOperationException("the phantom analysis did not complete: " + Result.Reason);
        Source = SourceFiles.Select(f => DicomFile.Open(f).Dataset).ToList();
        Encoded = new ResultEncoder(TimeProvider.System).Encode(Result, Source, Manifest, ResultObjects.All);
        SegPath = Write("seg.dcm", Encoded.Segmentation!);
        SrPath = Write("sr.dcm", Encoded.MeasurementReport!);
        ScPaths = Encoded.SecondaryCaptures.Select((sc, i) => Write($"sc{i + 1}.dcm", sc)).ToList();
        KoPath = Write("ko.dcm", Encoded.KeyObjectSelection!);
    }

    public string SourceDir => Path.Combine(dir.Path, "ct");
    public IReadOnlyList<string> SourceFiles { get; }
    public IReadOnlyList<DicomDataset> Source { get; }
    public ModelManifest Manifest { get; }
    public AnalysisResult Result { get; }
    public EncodedResult Encoded { get; }
    public string SegPath { get; }
    public string SrPath { get; }
    public IReadOnlyList<string> ScPaths { get; }
    public string KoPath { get; }
    public string Work => dir.Path;

    private string Write(string name, DicomDataset ds)
    {
        var path = dir.File(name);
        using (var fs = File.Create(path)) DicomFileWriter.Write(fs, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        return path;
    }

    /// <summary>The lesion's mask pasted on the whole source grid (x fastest, then y, then z).</summary>
    public byte[] FullMask(DetectedLesion lesion)
    {
        var g = Result.SourceGeometry!;
        var full = new byte[g.VoxelCount];
        var b = lesion.BoxInSource;
        for (var z = 0; z < lesion.Mask.SizeZ; z++)
        {
            for (var y = 0; y < lesion.Mask.SizeY; y++)
            {
                for (var x = 0; x < lesion.Mask.SizeX; x++)
                {
                    if (lesion.Mask[x, y, z] != 0) full[g.Index(x + b.MinX, y + b.MinY, z + b.MinZ)] = 1;
                }
            }
        }
        return full;
    }

    /// <summary>dciodvfy's "Error" lines for a file (dicom3tools writes its findings to stderr).</summary>
    public static List<string> DciodvfyErrors(string path, out string output)
    {
        var r = Tools.Run("dciodvfy", [path]);
        output = r.StdOut + r.StdErr;
        return output.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
    }

    public void Dispose() => dir.Dispose();
}

/// <summary>One phantom analysis shared by the result tests (it takes a while on CPU).</summary>
[CollectionDefinition(Name)]
public sealed class PhantomResultCollection : ICollectionFixture<PhantomResultFixture>
{
    public const string Name = "phantom results";
}
