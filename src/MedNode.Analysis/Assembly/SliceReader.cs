using MedNode.Analysis.Volumes;
using MedNode.Dicom;
using MedNode.Dicom.Imaging;
using MedNode.Dicom.Imaging.Codecs;

namespace MedNode.Analysis.Assembly;

/// <summary>
/// Reads the frames of one SOP instance as <see cref="SliceCandidate"/>s: single-frame images through the Image
/// Plane module (PS3.3 C.7.6.2), enhanced multi-frame images through the Shared and Per-Frame Functional Groups
/// (PS3.3 C.7.6.16): Plane Position (Patient) C.7.6.16.2.3, Plane Orientation (Patient) C.7.6.16.2.4, Pixel
/// Measures C.7.6.16.2.1 and Pixel Value Transformation C.7.6.16.2.9.
/// </summary>
internal static class SliceReader
{
    /// <summary>The frames of <paramref name="ds"/>, or a reason why it cannot be part of a volume.</summary>
    public static (IReadOnlyList<SliceCandidate>? Slices, string? Reason) Read(DicomDataset ds, DicomTransferSyntax transferSyntax)
    {
        var sop = ds.GetString(DicomTags.SOPInstanceUID) ?? "(no SOP Instance UID)";
        var pixels = DicomPixelData.Create(ds);
        if (pixels == null) return (null, $"instance {sop} has no pixel data");
        if ((pixels.IsEncapsulated || transferSyntax.IsEncapsulated) && !DicomCodecRegistry.Default.IsDecodable(transferSyntax.Uid))
        {
            // The registry's reason names what is missing, e.g. the Debian package of a native codec library.
            var status = DicomCodecRegistry.Default.GetStatus(transferSyntax.Uid);
            return (null, $"instance {sop}: transfer syntax not supported: {status.Reason}");
        }
        if (pixels.FrameProblem is { } problem) return (null, $"instance {sop}: {problem}");
        if (pixels.Info.SamplesPerPixel != 1) return (null, $"instance {sop} has {pixels.Info.SamplesPerPixel} samples per pixel; a volume needs grey-scale images");
        if (pixels.Tag != DicomPixelData.PixelDataTag) return (null, $"instance {sop} has float pixel data, which the assembler does not read");

        var modality = ds.GetString(DicomTags.Modality) ?? "";
        var series = ds.GetString(DicomTags.SeriesInstanceUID);
        var frameOfReference = ds.GetString(DicomTags.FrameOfReferenceUID);
        var tilt = ds.GetDouble(DicomTags.GantryDetectorTilt, 0);
        int? padding = ds.GetInt(DicomTags.PixelPaddingValue);
        var shared = ds.GetSequence(DicomTags.SharedFunctionalGroupsSequence).FirstOrDefault();
        var perFrame = ds.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence);

        var result = new List<SliceCandidate>(pixels.NumberOfFrames);
        for (var f = 0; f < pixels.NumberOfFrames; f++)
        {
            var groups = f < perFrame.Count ? perFrame[f] : null;
            var position = Functional(DicomTags.PlanePositionSequence, DicomTags.ImagePositionPatient, groups, shared, ds);
            var orientation = Functional(DicomTags.PlaneOrientationSequence, DicomTags.ImageOrientationPatient, groups, shared, ds);
            var spacing = Functional(DicomTags.PixelMeasuresSequence, DicomTags.PixelSpacing, groups, shared, ds);
            if (position.Length != 3) return (null, $"instance {sop} frame {f + 1} has no Image Position (Patient)");
            if (orientation.Length != 6) return (null, $"instance {sop} frame {f + 1} has no Image Orientation (Patient)");
            if (spacing.Length != 2 || !(spacing[0] > 0 && spacing[1] > 0)) return (null, $"instance {sop} frame {f + 1} has no valid Pixel Spacing");
            var (slope, intercept) = Rescale(groups, shared, ds);
            var frame = f;
            result.Add(new SliceCandidate(
                new SliceSource(sop, f),
                new Vec3(position[0], position[1], position[2]),
                new Vec3(orientation[0], orientation[1], orientation[2]),
                new Vec3(orientation[3], orientation[4], orientation[5]),
                spacing[0],
                spacing[1],
                pixels.Info.Rows,
                pixels.Info.Columns,
                frameOfReference,
                modality,
                series,
                tilt,
                () => LoadFrame(pixels, transferSyntax, frame, slope, intercept, padding)));
        }
        return (result, null);
    }

    private static SliceFrame LoadFrame(DicomPixelData pixels, DicomTransferSyntax transferSyntax, int frame, double slope, double intercept, int? padding)
    {
        // Native frames as stored; compressed frames through the codec registry (decoded to native little endian).
        var stored = pixels.GetStoredValues(DicomTranscoder.DecodeFrame(pixels, transferSyntax, frame));
        var values = new float[stored.Length];
        var padded = 0;
        for (var i = 0; i < stored.Length; i++)
        {
            if (padding is { } p && stored[i] == p)
            {
                // Padding is not tissue (PS3.3 C.7.5.1.1.2); it is shown as air.
                values[i] = -1024f;
                padded++;
            }
            else
            {
                values[i] = (float)(stored[i] * slope + intercept);
            }
        }
        return new SliceFrame(values, padded);
    }

    /// <summary>A value from the per-frame group, else the shared group, else the top-level attribute.</summary>
    private static double[] Functional(DicomTag sequence, DicomTag attribute, DicomDataset? perFrame, DicomDataset? shared, DicomDataset ds)
    {
        foreach (var groups in new[] { perFrame, shared })
        {
            if (groups?.GetSequence(sequence).FirstOrDefault() is { } item && item.GetDoubles(attribute) is { Length: > 0 } v) return v;
        }
        return ds.GetDoubles(attribute);
    }

    private static (double Slope, double Intercept) Rescale(DicomDataset? perFrame, DicomDataset? shared, DicomDataset ds)
    {
        var source = ds;
        foreach (var groups in new[] { perFrame, shared })
        {
            if (groups?.GetSequence(DicomTags.PixelValueTransformationSequence).FirstOrDefault() is { } item && item.Contains(DicomTags.RescaleSlope))
            {
                source = item;
                break;
            }
        }
        var slope = source.GetDouble(DicomTags.RescaleSlope, 1.0);
        var intercept = source.GetDouble(DicomTags.RescaleIntercept, 0.0);
        if (slope == 0 || double.IsNaN(slope)) slope = 1;
        if (double.IsNaN(intercept)) intercept = 0;
        return (slope, intercept);
    }
}
