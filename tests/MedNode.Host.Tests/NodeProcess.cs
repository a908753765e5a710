using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// A `mednode serve` process on free loopback ports, in its own working directory, with its stdout and stderr lines
/// collected. Stopped with SIGTERM (<see cref="Terminate"/>) or killed on dispose.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private NodeProcess(Process process, string workDir, int http, int dimse)
    {
        _process = process;
        WorkDir = workDir;
        HttpPort = http;
        DimsePort = dimse;
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) _lines.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string WorkDir { get; }

    public int HttpPort { get; }

    public int DimsePort { get; }

    public string DimsePortText => DimsePort.ToString(CultureInfo.InvariantCulture);

    public string BaseUrl => $"http://127.0.0.1:{HttpPort}";

    public Process Process => _process;

    /// <summary>Everything the process wrote so far, stdout and stderr.</summary>
    public string Output => string.Join('\n', _lines);

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    /// <summary>
    /// Starts the node and waits until /health/live answers. <paramref name="dimsePortByEnvironment"/> passes the DIMSE port
    /// as MedNode__Dimse__Port; <paramref name="httpEndpointByKestrel"/> names the HTTP endpoint in Kestrel:Endpoints
    /// instead of --urls (which Kestrel ignores once that section has endpoints, e.g. an HTTPS one).
    /// </summary>
    public static NodeProcess Start(string workDir, IEnumerable<string>? extraArgs = null, IDictionary<string, string>? env = null, bool dimsePortByEnvironment = false, bool httpEndpointByKestrel = false)
    {
        int http = FreePort(), dimse = FreePort();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        // Web authentication is off for these tests (the security tests turn it on again through extraArgs, which come later and win).
        List<string> args = httpEndpointByKestrel
            ? [Mednode.Dll, "serve", $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{http}", "--MedNode:Dimse:BindAddress=127.0.0.1", "--MedNode:Security:AllowAnonymous=true"]
            : [Mednode.Dll, "serve", "--urls", $"http://127.0.0.1:{http}", "--MedNode:Dimse:BindAddress=127.0.0.1", "--MedNode:Security:AllowAnonymous=true"];
        if (dimsePortByEnvironment) psi.Environment["MedNode__Dimse__Port"] = dimse.ToString(CultureInfo.InvariantCulture);
        else args.Add($"--MedNode:Dimse:Port={dimse}");
        args.AddRange(extraArgs ?? []);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var kv in env ?? new Dictionary<string, string>()) psi.Environment[kv.Key] = kv.Value;
        var node = new NodeProcess(Process.Start(psi)!, workDir, http, dimse);
        using var client = new HttpClient();
        for (int i = 0; i < 240; i++)
        {
            try
            {
                if (client.GetAsync($"{node.BaseUrl}/health/live").Result.IsSuccessStatusCode) return node;
            }
            catch (AggregateException) { }
            if (node._process.HasExited) throw new InvalidOperationException("mednode serve exited: " + node.Output);
            Thread.Sleep(500);
        }
        node.Dispose();
        throw new TimeoutException("mednode serve did not come up");
    }

    /// <summary>Sends SIGTERM, as systemd, Docker and Kubernetes do to stop a service.</summary>
    public void Terminate()
    {
        var kill = Tools.Run("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.ExitCode.Should().Be(0, kill.StdErr);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
