using MedNode.Dicom;
using MedNode.TestSupport;

namespace MedNode.Objects.Tests;

/// <summary>A clock stopped at a fixed instant.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public static readonly FixedClock Default = new(new DateTimeOffset(2026, 11, 25, 20, 0, 0, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => now;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}

internal static class ObjectFiles
{
    /// <summary>Writes a data set as a Part 10 file in Explicit VR Little Endian.</summary>
    public static string Write(TempDir dir, string name, DicomDataset ds)
    {
        var path = dir.File(name);
        using (var fs = File.Create(path)) DicomFileWriter.Write(fs, ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        return path;
    }

    /// <summary>dciodvfy's "Error" lines for a file (dicom3tools writes its findings to stderr).</summary>
    public static List<string> DciodvfyErrors(string path, out string output)
    {
        var r = Tools.Run("dciodvfy", [path]);
        output = r.StdOut + r.StdErr;
        return output.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
    }
}
