using System.Net;
using System.Text.Json;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;
using MedNode.Host.Health;
using MedNode.TestSupport;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace MedNode.Host.Tests;

/// <summary>
/// /health/ready reports the DIMSE listener (check <c>dimse</c>): Unhealthy until it is bound and accepting, Healthy with
/// its port while it is, Unhealthy again once it stops. Hospital IT probes readiness before routing modalities to a node;
/// the tests' <see cref="NodeProcess.Start"/> waits for the same check.
/// </summary>
public sealed class DimseReadinessTests : IDisposable
{
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-dimse-ready-");

    public void Dispose() => _dir.Dispose();

    [RequiresFact(null, "echoscu")]
    public async Task DimseCheck_BeforeStartWhileListeningAndAfterStop_UnhealthyHealthyUnhealthy_EchoscuConnectsWhileHealthy()
    {
        await using var server = new DicomServer(new DicomServerOptions { BindAddress = IPAddress.Loopback, Port = 0 }, new RefuseStorage());
        var check = new DimseListenerHealthCheck(server, Options.Create(new DimseSettings()));

        (await check.CheckHealthAsync(new HealthCheckContext())).Status.Should().Be(HealthStatus.Unhealthy, "nothing is bound yet");

        await server.StartAsync();
        var listening = await check.CheckHealthAsync(new HealthCheckContext());
        listening.Status.Should().Be(HealthStatus.Healthy);
        listening.Data["port"].Should().Be(server.Port);
        var echo = Tools.Run("echoscu", ["-aet", "PROBE", "-aec", "MEDNODE", "127.0.0.1", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(1), env: Env);
        echo.ExitCode.Should().Be(0, "a Healthy listener accepts: " + echo.StdErr);

        await server.StopAsync();
        (await check.CheckHealthAsync(new HealthCheckContext())).Status.Should().Be(HealthStatus.Unhealthy, "a stopped listener accepts nothing");
    }

    [RequiresFact(null, "echoscu")]
    public async Task Serve_HealthReady_NamesTheDimseListenerAndItsPort_EchoscuConnectsAtOnce()
    {
        using var node = NodeProcess.Start(_dir.Path, env: Env);
        using var http = new HttpClient();
        using var ready = await http.GetAsync(new Uri(node.BaseUrl + "/health/ready"));
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        var dimse = body.GetProperty("checks").GetProperty("dimse");
        dimse.GetProperty("status").GetString().Should().Be("Healthy", body.ToString());
        dimse.GetProperty("data").GetProperty("port").GetInt32().Should().Be(node.DimsePort);

        var echo = Tools.Run("echoscu", ["-aet", "PROBE", "-aec", "MEDNODE", "127.0.0.1", node.DimsePortText], TimeSpan.FromMinutes(1), env: Env);
        echo.ExitCode.Should().Be(0, "the listener accepts once ready says so: " + echo.StdErr);
    }

    private sealed class RefuseStorage : IStoreScpHandler
    {
        public string TempDirectory => Path.GetTempPath();

        public Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new StoreScpResult(DimseStatus.OutOfResources, "This listener stores nothing."));
    }
}
