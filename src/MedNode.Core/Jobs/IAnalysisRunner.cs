using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using MedNode.Core.Export;
using MedNode.Core.Index;
using MedNode.Dicom.Objects.StructuredReport;

namespace MedNode.Core.Jobs;

/// <summary>A result object written by a runner: a complete Part 10 file in the blob store's temporary folder.</summary>
public sealed record ResultFile(string TempPath, ResultKind Kind);

/// <summary>What an analysis produced, or why it was skipped.</summary>
public sealed record AnalysisRunResult(
    bool Skipped,
    string? SkipReason,
    IReadOnlyList<ResultFile> Files,
    IReadOnlyDictionary<string, double> StageTimings,
    string? MeasurementsJson,
    string? Device = null);

/// <summary>Runs one job's analysis (MedNode.Analysis implements it: assemble, quality gate, infer, measure, encode).</summary>
public interface IAnalysisRunner
{
    /// <summary>The model's SHA-256, or null when the model is not installed.</summary>
    string? ModelSha256(string modelId);

    /// <param name="predecessorReports">The SR documents of the unit's earlier version that this job's SR replaces (written as its
    /// Predecessor Documents Sequence, PS3.3 C.17.2); empty for a first version.</param>
    /// <param name="tempDirectory">Where to write result files (on the blob store's file system).</param>
    Task<AnalysisRunResult> RunAsync(AnalysisJob job, IReadOnlyList<InstanceRecord> inputs, IReadOnlyList<SrDocumentReference> predecessorReports, string tempDirectory, CancellationToken cancellationToken);
}

/// <summary>
/// UIDs of a job's results derived from the job id, so that a job run again after a crash produces the same SOP
/// Instance UIDs, and the store and destinations keep one copy. UUID-derived, under the 2.25 root (PS3.5 §B.2).
/// </summary>
public static class ResultUids
{
    public static string For(Guid jobId, string purpose)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(jobId.ToString("N") + "/" + purpose));
        var b = hash.AsSpan(0, 16).ToArray();
        b[6] = (byte)((b[6] & 0x0F) | 0x50); // version 5-style name-based UUID
        b[8] = (byte)((b[8] & 0x3F) | 0x80); // RFC 4122 variant
        return "2.25." + new BigInteger(b, isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
