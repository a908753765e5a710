using MedNode.Analysis.Inference;
using MedNode.Dicom;
using MedNode.Dicom.IO;

namespace MedNode.Analysis.Results;

/// <summary>Reads back the source images a result was computed from, as <see cref="ResultEncoder"/> needs them.</summary>
public static class ResultSourceImages
{
    /// <summary>
    /// The data sets of the files whose SOP instances make up <paramref name="result"/>'s slices: headers only (reading
    /// stops at Pixel Data), except for the key slices when <paramref name="objects"/> includes the Secondary Capture
    /// fallback, which renders them. Files of other instances are ignored.
    /// </summary>
    public static IReadOnlyList<DicomDataset> Load(IEnumerable<string> files, AnalysisResult result, ResultObjects objects, CancellationToken cancellationToken = default)
    {
        var wanted = result.Slices.Select(s => s.SopInstanceUid).ToHashSet(StringComparer.Ordinal);
        var keys = objects.HasFlag(ResultObjects.SecondaryCaptureAndKeyObjects)
            ? result.Lesions.Where(l => l.Measurements.Recist != null).Select(l => result.Slices[l.Measurements.Recist!.SliceIndex].SopInstanceUid).ToHashSet(StringComparer.Ordinal)
            : [];
        var images = new List<DicomDataset>();
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DicomDataset header;
            try
            {
                header = DicomFile.Open(file, new DicomReadOptions { StopAtPixelData = true }).Dataset;
            }
            catch (Exception e) when (e is DicomParseException or DicomValueException or IOException or UnauthorizedAccessException)
            {
                continue; // unreadable: the assembler skipped it too
            }
            var uid = header.GetString(DicomTags.SOPInstanceUID);
            if (uid == null || !wanted.Remove(uid)) continue;
            images.Add(keys.Contains(uid) ? DicomFile.Open(file).Dataset : header);
        }
        return images;
    }
}
