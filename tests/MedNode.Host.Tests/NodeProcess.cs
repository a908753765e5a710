using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
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

    public static int FreePort() => FreePorts.Next();

    /// <summary>
    /// Starts the node and waits until it is ready for the test: /health/ready answers and its <c>dimse</c> check is
    /// Healthy, i.e. the DIMSE listener is bound and accepting (or DIMSE is disabled). /health/live alone answered as soon
    /// as Kestrel ran, and a test's first storescu could then be refused. The other ready checks (database, storage
    /// watermark, model) are not waited for: tests look at those themselves. <paramref name="dimsePortByEnvironment"/> passes the DIMSE port
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
                if (DimseReady(client, node.BaseUrl)) return node;
            }
            catch (Exception e) when (e is AggregateException or JsonException) { }
            if (node._process.HasExited) throw new InvalidOperationException("mednode serve exited: " + node.Output);
            Thread.Sleep(500);
        }
        node.Dispose();
        throw new TimeoutException("mednode serve did not come up");
    }

    /// <summary>Whether /health/ready answers (200 or 503) with its <c>dimse</c> check Healthy.</summary>
    internal static bool DimseReady(HttpClient client, string baseUrl)
    {
        using var response = client.GetAsync($"{baseUrl}/health/ready").Result;
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)) return false;
        using var body = JsonDocument.Parse(response.Content.ReadAsStringAsync().Result);
        return body.RootElement.TryGetProperty("checks", out var checks) && checks.TryGetProperty("dimse", out var dimse)
            && dimse.GetProperty("status").GetString() == "Healthy";
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
