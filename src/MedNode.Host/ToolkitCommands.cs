using MedNode.Dicom;
using MedNode.Dicom.Imaging;
using MedNode.Dicom.IO;
using MedNode.Dicom.Json;

namespace MedNode.Host;

/// <summary>The toolkit verbs of `mednode`: dump, json, xml, transcode, pixels.</summary>
public static class ToolkitCommands
{
    public static int Dump(string[] args)
    {
        var file = Open(args, "dump FILE");
        Console.Out.Write(DicomDump.Format(file));
        return 0;
    }

    public static int Json(string[] args)
    {
        var file = Open(args, "json FILE");
        using var stdout = Console.OpenStandardOutput();
        DicomJsonWriter.Write(stdout, file.Dataset);
        stdout.Write("\n"u8);
        return 0;
    }

    public static int Xml(string[] args)
    {
        var file = Open(args, "xml FILE");
        Console.Out.WriteLine(DicomXmlWriter.Serialize(file.Dataset));
        return 0;
    }

    public static int Transcode(string[] args)
    {
        var pos = Positional(args, "--ts");
        var tsUid = Option(args, "--ts");
        if (pos.Count != 2 || tsUid == null) throw new UsageException("usage: mednode transcode IN OUT --ts UID");
        if (!DicomTransferSyntax.IsKnown(tsUid)) throw new UsageException($"unknown transfer syntax UID '{tsUid}'");
        var ts = DicomTransferSyntax.Lookup(tsUid);
        var file = DicomFile.Open(pos[0]);
        var ds = DicomTranscoder.Transcode(file.Dataset, file.TransferSyntax, ts);
        DicomFileWriter.SaveDurably(pos[1], ds, ts, file.Meta);
        return 0;
    }

    public static int Pixels(string[] args)
    {
        var pos = Positional(args, "--frame", "--out");
        var outPath = Option(args, "--out");
        var frameText = Option(args, "--frame") ?? "0";
        if (pos.Count != 1 || outPath == null) throw new UsageException("usage: mednode pixels FILE --frame N --out RAW");
        if (!int.TryParse(frameText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int frame))
            throw new UsageException($"--frame must be a frame number, not '{frameText}'");
        var file = DicomFile.Open(pos[0]);
        var pixels = DicomPixelData.Create(file.Dataset) ?? throw new UsageException("the file has no pixel data");
        var bytes = DicomTranscoder.DecodeFrame(pixels, file.TransferSyntax, frame);
        File.WriteAllBytes(outPath, bytes);
        return 0;
    }

    private static DicomFile Open(string[] args, string usage)
    {
        if (args.Length != 1) throw new UsageException("usage: mednode " + usage);
        return DicomFile.Open(args[0]);
    }

    private static List<string> Positional(string[] args, params string[] optionsWithValue)
    {
        var r = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (optionsWithValue.Contains(args[i])) { i++; continue; }
            if (args[i].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option '{args[i]}'");
            r.Add(args[i]);
        }
        return r;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>Bad command-line usage: exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
