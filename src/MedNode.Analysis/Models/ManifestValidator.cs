using Microsoft.ML.OnnxRuntime;

namespace MedNode.Analysis.Models;

/// <summary>Checks a manifest for consistency, and against the input and output metadata of its ONNX graph.</summary>
internal static class ManifestValidator
{
    public static void Validate(ModelManifest m)
    {
        var id = string.IsNullOrWhiteSpace(m.Id) ? "(no id)" : m.Id;
        if (m.Sha256.Length != 64) Fail(id, "sha256 must be 64 hex digits");
        if (m.Input.Layout != "NCDHW") Fail(id, $"input layout {m.Input.Layout} is not supported; this runtime feeds NCDHW on the DICOM grid");
        if (m.Input.Orientation != "LPS") Fail(id, $"input orientation {m.Input.Orientation} is not supported; this runtime feeds the LPS grid of the series");
        if (m.Input.Channels != 1) Fail(id, "only single-channel input is supported");
        if (m.Normalisation.Kind is not ("window" or "zscore")) Fail(id, $"normalisation kind {m.Normalisation.Kind} is not 'window' or 'zscore'");
        if (m.Normalisation.Kind == "window" && !(m.Normalisation.AMax > m.Normalisation.AMin)) Fail(id, "normalisation window needs aMax > aMin");
        if (m.Normalisation.Kind == "zscore" && !(m.Normalisation.Std > 0)) Fail(id, "z-score normalisation needs std > 0");
        if (m.TargetSpacing is not { Length: 3 } || m.TargetSpacing.Any(s => !(s > 0))) Fail(id, "targetSpacing must be three positive numbers (x, y, z mm)");
        if (m.PatchSize is not { Length: 3 } || m.PatchSize.Any(p => p < 1 || p > 512)) Fail(id, "patchSize must be three sizes between 1 and 512");
        if (m.SpatialDivisor < 1 || m.PatchSize.Any(p => p % m.SpatialDivisor != 0)) Fail(id, "patchSize must be a multiple of spatialDivisor");
        if (!(m.Overlap >= 0 && m.Overlap < 1)) Fail(id, "overlap must be in [0, 1)");
        if (m.Output.Kind is not ("logits" or "probabilities")) Fail(id, $"output kind {m.Output.Kind} is not 'logits' or 'probabilities'");
        if (m.Output.Activation is not ("sigmoid" or "softmax" or "none")) Fail(id, $"output activation {m.Output.Activation} is not 'sigmoid', 'softmax' or 'none'");
        if (m.Output.Kind == "logits" && m.Output.Activation == "none") Fail(id, "logits need an activation");
        if (m.Classes.Count == 0) Fail(id, "at least one class is needed");
        if (!(m.Threshold > 0 && m.Threshold < 1)) Fail(id, "threshold must be in (0, 1)");
        if (m.MinLesionVolumeMm3 < 0) Fail(id, "minLesionVolumeMm3 must not be negative");
        if (m.Refinement is { } r)
        {
            if (!(r.Zoom > 1 && r.Zoom <= 4)) Fail(id, "refinement.zoom must be above 1 and at most 4");
            if (!(r.MarginMm >= 0 && r.MarginMm <= 200)) Fail(id, "refinement.marginMm must be between 0 and 200");
            if (r.MaxVoxels < 1) Fail(id, "refinement.maxVoxels must be positive");
            if (r.MaxCandidateVolumeMm3 is { } v && !(v > 0)) Fail(id, "refinement.maxCandidateVolumeMm3 must be positive");
        }
    }

    /// <summary>The output channels the graph must have: one per class, plus background for softmax.</summary>
    public static int OutputChannels(ModelManifest m) => m.Output.Activation == "softmax" ? m.Classes.Count + 1 : m.Classes.Count;

    public static void CheckShapes(ModelManifest m, InferenceSession session)
    {
        if (!session.InputMetadata.TryGetValue(m.Input.TensorName, out var input))
            Fail(m.Id, $"shape mismatch: the graph has no input '{m.Input.TensorName}' (it has {string.Join(", ", session.InputMetadata.Keys)})");
        if (!session.OutputMetadata.TryGetValue(m.Output.TensorName, out var output))
            Fail(m.Id, $"shape mismatch: the graph has no output '{m.Output.TensorName}' (it has {string.Join(", ", session.OutputMetadata.Keys)})");
        CheckDims(m.Id, "input", input!.Dimensions, m.Input.Channels, m.PatchSize);
        CheckDims(m.Id, "output", output!.Dimensions, OutputChannels(m), m.PatchSize);
    }

    private static void CheckDims(string id, string what, int[] dims, int channels, int[] patch)
    {
        if (dims.Length != 5) Fail(id, $"shape mismatch: the {what} has rank {dims.Length}; NCDHW needs 5");
        if (dims[1] > 0 && dims[1] != channels) Fail(id, $"shape mismatch: the {what} has {dims[1]} channels; the manifest implies {channels}");
        // Fixed spatial axes must equal the patch (D, H, W) = (z, y, x); dynamic ones (-1) take any tile.
        int[] expected = [patch[2], patch[1], patch[0]];
        for (var a = 0; a < 3; a++)
        {
            if (dims[a + 2] > 0 && dims[a + 2] != expected[a]) Fail(id, $"shape mismatch: the {what}'s spatial axis {a + 2} is fixed at {dims[a + 2]}, but the patch needs {expected[a]}");
        }
    }

    private static void Fail(string id, string message) => throw new ModelLoadException($"model {id}: {message}");
}
