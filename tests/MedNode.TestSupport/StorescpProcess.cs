using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MedNode.TestSupport;

/// <summary>
/// DCMTK's storescp on 127.0.0.1 (../shared/PEERS.md: TCP_NODELAY=1), writing to a folder; started on a given or free
/// port, stopped by its PID.
/// </summary>
public sealed class StorescpProcess : IDisposable
{
    private readonly Process _process;

    public StorescpProcess(string outputDir, int? port = null, params string[] options)
    {
        Port = port ?? FreePort();
        OutputDir = outputDir;
        Directory.CreateDirectory(outputDir);
        var psi = new ProcessStartInfo(Tools.Find("storescp") ?? throw new InvalidOperationException("storescp (dcmtk) is not installed"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in (string[])[.. options, "-aet", "STORESCP", "-od", outputDir, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]) psi.ArgumentList.Add(a);
        psi.Environment["TCP_NODELAY"] = "1";
        _process = Process.Start(psi)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!SpinWait.SpinUntil(() => CanConnect(Port), TimeSpan.FromSeconds(20)))
            throw new InvalidOperationException("storescp did not start listening on port " + Port);
    }

    public int Port { get; }

    public string OutputDir { get; }

    /// <summary>Files storescp wrote whose name contains the SOP Instance UID (storescp names files MODALITY.UID).</summary>
    public IReadOnlyList<string> FilesFor(string sopInstanceUid) =>
        Directory.EnumerateFiles(OutputDir).Where(f => Path.GetFileName(f).EndsWith("." + sopInstanceUid, StringComparison.Ordinal) || Path.GetFileName(f) == sopInstanceUid).ToList();

    public static int FreePort() => FreePorts.Next();

    /// <summary>Whether something accepts TCP connections on the loopback <paramref name="port"/> (sleeps 50 ms when not, for polling).</summary>
    public static bool CanConnect(int port)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            Thread.Sleep(50);
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
