using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;

namespace MedNode.Host;

/// <summary>`mednode echo AE@host:port` and `mednode store FILES|DIR --to AE@host:port [--aet AE] [--progress] [--commit ...]`.</summary>
public static class DimseCommands
{
    public static async Task<int> EchoAsync(string[] args)
    {
        var (tls, args0) = TlsClientArguments.Take(args);
        var (calling, rest) = TakeOption(args0, "--aet", "MEDNODE");
        if (rest.Count != 1) throw new UsageException("usage: mednode echo AE@host:port [--aet AE] " + TlsClientArguments.Usage);
        var (ae, host, port) = Parse(rest[0]);
        var status = await new DicomClient(host, port, ae, calling ?? "MEDNODE") { Tls = tls }.EchoAsync();
        Console.Out.WriteLine($"C-ECHO {ae}@{host}:{port}: status 0x{status:X4}");
        return status == DimseStatus.Success ? 0 : 1;
    }

    public const string StoreUsage = "usage: mednode store FILES|DIR --to AE@host:port [--aet AE] [--progress] [--commit [--commit-listen IP:PORT] [--commit-timeout SECONDS]] " + TlsClientArguments.Usage;

    public static async Task<int> StoreAsync(string[] args)
    {
        var (tls, args0) = TlsClientArguments.Take(args);
        var (progressFlag, rest0) = TakeFlag(args0, "--progress");
        var (commit, rest1) = TakeFlag([.. rest0], "--commit");
        var (listen, rest2) = TakeOption([.. rest1], "--commit-listen", null);
        var (timeoutText, rest3) = TakeOption([.. rest2], "--commit-timeout", "120");
        var (calling, rest4) = TakeOption([.. rest3], "--aet", "MEDNODE");
        var (to, paths) = TakeOption([.. rest4], "--to", null);
        if (to == null || paths.Count == 0) throw new UsageException(StoreUsage);
        if (!int.TryParse(timeoutText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var timeoutSeconds) || timeoutSeconds < 1)
            throw new UsageException("--commit-timeout needs a whole number of seconds");
        if (listen != null && !commit) throw new UsageException("--commit-listen goes with --commit");
        var (ae, host, port) = Parse(to);
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).ToList();
        var progress = StoreProgress.ShouldDraw(progressFlag) ? new StoreProgress(files.Count, Console.Error) : null;
        var client = new DicomClient(host, port, ae, calling ?? "MEDNODE") { Tls = tls };
        var outcomes = await client.StoreAsync(files, progress);
        progress?.Complete();
        var failed = outcomes.Where(o => !o.IsSuccess).ToList();
        foreach (var f in failed) Console.Error.WriteLine($"{f.Path}: {(f.Status is { } s ? $"status 0x{s:X4}" : "not sent")} {f.Error}");
        Console.Out.WriteLine($"{outcomes.Count - failed.Count} of {files.Count} stored to {ae}@{host}:{port}");
        var code = failed.Count == 0 && outcomes.Count == files.Count ? 0 : 1;
        if (commit && await StoreCommitment.RunAsync(client, outcomes, listen, TimeSpan.FromSeconds(timeoutSeconds)) != 0) code = 1;
        return code;
    }

    private static (bool Present, List<string> Remaining) TakeFlag(string[] args, string name) =>
        (args.Contains(name, StringComparer.Ordinal), args.Where(a => a != name).ToList());

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
