using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;

namespace MedNode.Host;

/// <summary>`mednode echo AE@host:port` and `mednode store FILES|DIR --to AE@host:port [--aet AE]`.</summary>
public static class DimseCommands
{
    public static async Task<int> EchoAsync(string[] args)
    {
        var (calling, rest) = TakeOption(args, "--aet", "MEDNODE");
        if (rest.Count != 1) throw new UsageException("usage: mednode echo AE@host:port [--aet AE]");
        var (ae, host, port) = Parse(rest[0]);
        var status = await new DicomClient(host, port, ae, calling ?? "MEDNODE").EchoAsync();
        Console.Out.WriteLine($"C-ECHO {ae}@{host}:{port}: status 0x{status:X4}");
        return status == DimseStatus.Success ? 0 : 1;
    }

    public static async Task<int> StoreAsync(string[] args)
    {
        var (calling, rest1) = TakeOption(args, "--aet", "MEDNODE");
        var (to, paths) = TakeOption([.. rest1], "--to", null);
        if (to == null || paths.Count == 0) throw new UsageException("usage: mednode store FILES|DIR --to AE@host:port [--aet AE]");
        var (ae, host, port) = Parse(to);
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).ToList();
        var done = 0;
        var progress = new Progress<StoreOutcome>(o =>
        {
            done++;
            var what = o.Status is { } s ? $"0x{s:X4}" : "not sent";
            Console.Error.Write($"\r[{done}/{files.Count}] {what} {Path.GetFileName(o.Path)}".PadRight(79));
        });
        var outcomes = await new DicomClient(host, port, ae, calling ?? "MEDNODE").StoreAsync(files, progress);
        Console.Error.WriteLine();
        var failed = outcomes.Where(o => !o.IsSuccess).ToList();
        foreach (var f in failed) Console.Error.WriteLine($"{f.Path}: {(f.Status is { } s ? $"status 0x{s:X4}" : "not sent")} {f.Error}");
        Console.Out.WriteLine($"{outcomes.Count - failed.Count} of {files.Count} stored to {ae}@{host}:{port}");
        return failed.Count == 0 && outcomes.Count == files.Count ? 0 : 1;
    }

    private static (string Ae, string Host, int Port) Parse(string address)
    {
        try
        {
            return DicomClient.ParseAddress(address);
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static (string? Value, List<string> Remaining) TakeOption(string[] args, string name, string? fallback)
    {
        var rest = new List<string>();
        string? value = fallback;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == name)
            {
                if (i + 1 >= args.Length) throw new UsageException($"{name} needs a value");
                value = args[++i];
            }
            else rest.Add(args[i]);
        }
        return (value, rest);
    }
}
