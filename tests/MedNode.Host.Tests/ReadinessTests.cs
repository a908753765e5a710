using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Issue 9, health: `mednode serve` on a real PostgreSQL server of its own reports /health/ready unhealthy (503, the
/// database check named) while the server is stopped, and healthy again once it is back, without a restart of the node.
/// </summary>
[RequiresPostgres]
public sealed class ReadinessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly TempDir _dir = new("mednode-ready-");
    private NodeProcess? _node;
    private PostgresPeer? _postgres;

    [RequiresFact]
    public async Task Ready_PostgresStoppedThenStarted_UnhealthyThenHealthyAgain()
    {
        _postgres = await PostgresPeer.StartPrivateAsync();
        var connection = await _postgres.CreateDatabaseAsync();
        _node = NodeProcess.Start(_dir.Path, ["--MedNode:Database:Provider=PostgreSQL", $"--MedNode:Database:ConnectionString={connection}"]);

        var (status, body) = await PollReadyAsync(s => s == HttpStatusCode.OK);
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        Check(body, "database").GetProperty("status").GetString().Should().Be("Healthy");
        Check(body, "database").GetProperty("description").GetString().Should().Contain("Npgsql", "the node runs on PostgreSQL here");

        await _postgres.StopServerAsync();
        (status, body) = await PollReadyAsync(s => s == HttpStatusCode.ServiceUnavailable);
        status.Should().Be(HttpStatusCode.ServiceUnavailable, body.ToString());
        body.GetProperty("status").GetString().Should().Be("Unhealthy");
        Check(body, "database").GetProperty("status").GetString().Should().Be("Unhealthy");
        Check(body, "storage").GetProperty("status").GetString().Should().Be("Healthy", "only the database is down");
        Check(body, "dimse").GetProperty("status").GetString().Should().Be("Healthy", "only the database is down");
        _node.Process.HasExited.Should().BeFalse("losing the database must not stop the node: " + _node.Output);

        await _postgres.StartServerAsync();
        (status, body) = await PollReadyAsync(s => s == HttpStatusCode.OK);
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("status").GetString().Should().NotBe("Unhealthy");
        Check(body, "database").GetProperty("status").GetString().Should().Be("Healthy");
    }

    private static JsonElement Check(JsonElement body, string name) => body.GetProperty("checks").GetProperty(name);

    /// <summary>Polls /health/ready until <paramref name="done"/> holds for its status or the deadline passes; returns the last answer.</summary>
    private async Task<(HttpStatusCode Status, JsonElement Body)> PollReadyAsync(Func<HttpStatusCode, bool> done)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var resp = await client.GetAsync(new Uri($"{_node!.BaseUrl}/health/ready"));
            var text = await resp.Content.ReadAsStringAsync();
            using var doc = JsonDocument.Parse(text);
            if (done(resp.StatusCode) || clock.Elapsed > Deadline) return (resp.StatusCode, doc.RootElement.Clone());
            // The next probe after a short pause; the deadline, not the pause, bounds the wait.
            Thread.Sleep(250);
        }
    }

    public void Dispose()
    {
        _node?.Dispose();
        _postgres?.Dispose();
        _dir.Dispose();
    }
}
