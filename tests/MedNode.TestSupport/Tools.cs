using System.Diagnostics;
using System.Text;

namespace MedNode.TestSupport;

/// <summary>Runs external tools (DCMTK, GDCM, dicom3tools) for interop tests.</summary>
public static class Tools
{
    public static string? Find(string name)
    {
        if (name.Contains('/')) return File.Exists(name) ? name : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    /// <summary>Runs a tool to completion with a timeout; output is captured as UTF-8 (Latin-1 when <paramref name="latin1"/>).</summary>
    public static Result Run(string tool, IEnumerable<string> args, TimeSpan? timeout = null, string? workDir = null, bool latin1 = false, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(Find(tool) ?? tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        if (latin1) { psi.StandardOutputEncoding = Encoding.Latin1; psi.StandardErrorEncoding = Encoding.Latin1; }
        else { psi.StandardOutputEncoding = Encoding.UTF8; psi.StandardErrorEncoding = Encoding.UTF8; }
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit((int)(timeout ?? TimeSpan.FromMinutes(2)).TotalMilliseconds))
        {
            try { p.Kill(true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"{tool} {string.Join(' ', args)} timed out");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, so.Result, se.Result);
    }
}
