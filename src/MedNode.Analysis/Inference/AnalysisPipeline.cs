using MedNode.Analysis.Assembly;
using MedNode.Analysis.Measurements;
using MedNode.Analysis.Models;
using MedNode.Analysis.Quality;
using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Inference;

/// <summary>
/// Series → volume → quality gate → resample to the model's spacing → normalise → sliding window → probability back
/// on the source grid → threshold → 26-connected components → (when the model asks for it) a finer second pass
/// around each component (<see cref="LesionRefiner"/>) → drop those below the minimum volume → IBSI measurements per
/// lesion. Unsuitable series are skipped with a reason and non-finite outputs fail the analysis;
/// no exception escapes except <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class AnalysisPipeline(TimeProvider timeProvider)
{
    /// <summary>Reads, assembles and analyses the DICOM files of one series.</summary>
    public AnalysisResult AnalyzeFiles(IEnumerable<string> files, LoadedModel model, CancellationToken cancellationToken = default)
    {
        var start = timeProvider.GetTimestamp();
        var cpu = ProcessCpu();
        var assembled = SeriesAssembler.AssembleFiles(files);
        var assembly = Timing("assembly", timeProvider.GetElapsedTime(start), ProcessCpu() - cpu);
        if (!assembled.IsSuccess) return Skipped(model, assembled.SkipReason!, null, null, [assembly]);
        return Analyze(assembled.Series!, model, cancellationToken, [assembly]);
    }

    /// <summary>Analyses an assembled series.</summary>
    public AnalysisResult Analyze(AssembledSeries series, LoadedModel model, CancellationToken cancellationToken = default) =>
        Analyze(series, model, cancellationToken, []);

    private AnalysisResult Analyze(AssembledSeries series, LoadedModel model, CancellationToken cancellationToken, List<StageTiming> timings)
    {
        var m = model.Manifest;
        var source = series.Image;
        var t = timeProvider.GetTimestamp();
        var cpuT = ProcessCpu();
        var quality = QualityGate.Evaluate(series, new QualityExpectations { Modality = m.Modality });
        Stage("quality", ref t);
        if (!quality.Passed) return Skipped(model, "quality gate: " + string.Join("; ", quality.FailureReasons), quality, series, timings);

        var grid = Resampler.Regrid(source.Geometry, new Vec3(m.TargetSpacing[0], m.TargetSpacing[1], m.TargetSpacing[2]));
        var resampled = Resampler.Trilinear(source, grid, cancellationToken);
        Stage("resample", ref t);
        var normalised = Normalise(resampled.Data, m.Normalisation);
        var pad = Normalise([-1024f], m.Normalisation)[0];
        Stage("normalise", ref t);

        float[][] probabilities;
        try
        {
            probabilities = SlidingWindow.Predict(model, normalised, grid.SizeX, grid.SizeY, grid.SizeZ, pad, cancellationToken);
        }
        catch (NonFiniteOutputException e)
        {
            Stage("inference", ref t);
            return Result(AnalysisStatus.Failed, model, e.Message, quality, series, [], timings);
        }
        Stage("inference", ref t);

        var lesions = new List<DetectedLesion>();
        var refineTicks = TimeSpan.Zero;
        var refineCpu = default(Cpu);
        for (var c = 0; c < m.Classes.Count; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Probabilities are interpolated back to the source grid and thresholded there, which keeps sub-voxel
            // boundary information that thresholding on the coarse grid and copying the nearest voxel would lose.
            var onSource = Resampler.Trilinear(new Volume<float>(grid, probabilities[c]), source.Geometry, cancellationToken);
            var labeling = Label(onSource, m.Threshold);
            if (m.Refinement != null)
            {
                var since = timeProvider.GetTimestamp();
                var cpuSince = ProcessCpu();
                // Candidates down to half the minimum volume: a small lesion the coarse pass under-segments may still
                // reach the minimum once refined.
                var candidates = labeling.Components
                    .Where(k => k.VolumeMm3 >= m.MinLesionVolumeMm3 / 2 && k.VolumeMm3 < (m.Refinement.MaxCandidateVolumeMm3 ?? double.PositiveInfinity))
                    .Select(k => k.Box).ToList();
                try
                {
                    if (candidates.Count > 0 && LesionRefiner.Refine(source, onSource, c, candidates, model, pad, cancellationToken) > 0)
                        labeling = Label(onSource, m.Threshold);
                }
                catch (NonFiniteOutputException e)
                {
                    timings.Add(Timing("refine", refineTicks + timeProvider.GetElapsedTime(since), refineCpu + (ProcessCpu() - cpuSince)));
                    return Result(AnalysisStatus.Failed, model, "refinement: " + e.Message, quality, series, [], timings);
                }
                refineTicks += timeProvider.GetElapsedTime(since);
                refineCpu += ProcessCpu() - cpuSince;
            }
            foreach (var component in labeling.Components)
            {
                if (component.VolumeMm3 < m.MinLesionVolumeMm3) continue;
                var lesionMask = labeling.ExtractMask(component.Label);
                var measurements = LesionMeasurer.Measure(labeling, component.Label, source);
                // The model's transition from inside to outside spans about a voxel of its grid, and trilinear
                // interpolation spreads it over one more: two model voxels of shell hold the whole tail.
                var sum = PartialVolume.EstimateMm3(onSource, labeling, component, m.Threshold, 2 * m.TargetSpacing.Max(), mask: lesionMask);
                // Small lesions: an ellipsoid fitted to the image, where the fit passes its checks, is less noisy than the sum.
                var (volume, method, _) = SmallLesionVolume.Estimate(source, onSource, m.Threshold, lesionMask, component.Box, measurements.Maximum3DDiameter, sum);
                measurements = measurements with { VolumePartial = volume, VolumePartialMethod = method };
                lesions.Add(new DetectedLesion(lesions.Count + 1, m.Classes[c], lesionMask, component.Box, MeanInside(onSource, lesionMask, component.Box), measurements));
            }
        }
        if (m.Refinement != null)
        {
            timings.Add(Timing("refine", refineTicks, refineCpu));
            timings.Add(Timing("postprocess", timeProvider.GetElapsedTime(t) - refineTicks, ProcessCpu() - cpuT - refineCpu));
        }
        else
        {
            Stage("postprocess", ref t);
        }
        return Result(AnalysisStatus.Completed, model, null, quality, series, lesions, timings);

        void Stage(string name, ref long since)
        {
            var now = ProcessCpu();
            timings.Add(Timing(name, timeProvider.GetElapsedTime(since), now - cpuT));
            since = timeProvider.GetTimestamp();
            cpuT = now;
        }
    }

    /// <summary>CPU time of the whole process so far (every thread): user plus kernel, and kernel.</summary>
    private static Cpu ProcessCpu() => new(Environment.CpuUsage.TotalTime, Environment.CpuUsage.PrivilegedTime);

    private readonly record struct Cpu(TimeSpan Total, TimeSpan Kernel)
    {
        public static Cpu operator -(Cpu a, Cpu b) => new(a.Total - b.Total, a.Kernel - b.Kernel);

        public static Cpu operator +(Cpu a, Cpu b) => new(a.Total + b.Total, a.Kernel + b.Kernel);
    }

    private static StageTiming Timing(string stage, TimeSpan elapsed, Cpu cpu) => new(stage, elapsed, cpu.Total, cpu.Kernel);

    private static ComponentLabeling Label(Volume<float> probability, double threshold)
    {
        var mask = new byte[probability.Geometry.VoxelCount];
        for (var i = 0; i < mask.Length; i++) mask[i] = probability.Data[i] >= threshold ? (byte)1 : (byte)0;
        return ConnectedComponents.Label(new Volume<byte>(probability.Geometry, mask));
    }

    private static double MeanInside(Volume<float> probability, Volume<byte> mask, VoxelBox box)
    {
        double sum = 0;
        long n = 0;
        for (var z = 0; z < mask.SizeZ; z++)
        {
            for (var y = 0; y < mask.SizeY; y++)
            {
                for (var x = 0; x < mask.SizeX; x++)
                {
                    if (mask[x, y, z] == 0) continue;
                    sum += probability[x + box.MinX, y + box.MinY, z + box.MinZ];
                    n++;
                }
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    internal static float[] Normalise(float[] values, IntensityNormalisation n)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (n.Kind == "window")
            {
                if (n.Clip) v = Math.Clamp(v, n.AMin, n.AMax);
                v = n.BMin + ((v - n.AMin) / (n.AMax - n.AMin) * (n.BMax - n.BMin));
            }
            else
            {
                v = (v - n.Mean) / n.Std;
                if (n.Clip) v = Math.Clamp(v, n.BMin, n.BMax);
            }
            result[i] = (float)v;
        }
        return result;
    }

    private static AnalysisResult Skipped(LoadedModel model, string reason, QualityReport? quality, AssembledSeries? series, List<StageTiming> timings) =>
        Result(AnalysisStatus.Skipped, model, reason, quality, series, [], timings);

    private static AnalysisResult Result(AnalysisStatus status, LoadedModel model, string? reason, QualityReport? quality, AssembledSeries? series, List<DetectedLesion> lesions, List<StageTiming> timings) => new()
    {
        Status = status,
        Reason = reason,
        Model = new ModelIdentity(model.Manifest.Id, model.Manifest.Version, model.Manifest.Sha256),
        Device = model.Device,
        Quality = quality,
        SourceGeometry = series?.Image.Geometry,
        Slices = series?.Slices ?? [],
        Lesions = lesions,
        Timings = timings,
    };
}
