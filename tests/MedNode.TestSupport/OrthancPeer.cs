using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedNode.TestSupport;

/// <summary>A DICOM modality Orthanc knows (its <c>DicomModalities</c> entry): AE title, host and port.</summary>
public sealed record OrthancModality(string AeTitle, string Host, int Port);

/// <summary>Settings of one <see cref="OrthancPeer"/>.</summary>
public sealed record OrthancPeerOptions
{
    /// <summary>Orthanc's own AE title (<c>DicomAet</c>).</summary>
    public string AeTitle { get; init; } = "ORTHANC";

    /// <summary><c>DicomModalities</c>, keyed by the symbolic name used in <c>/modalities/{name}</c>.</summary>
    public IReadOnlyDictionary<string, OrthancModality> Modalities { get; init; } = new Dictionary<string, OrthancModality>();

    /// <summary><c>DicomWeb.Servers</c>: symbolic name → base URL (ending in '/'), for <c>/dicom-web/servers/{name}</c>.</summary>
    public IReadOnlyDictionary<string, string> DicomWebServers { get; init; } = new Dictionary<string, string>();

    /// <summary>The DICOM port; null picks a free one (give one when a peer must know it before Orthanc starts).</summary>
    public int? DicomPort { get; init; }

    /// <summary>Whether to load the DICOMweb plugin (needed for <c>/dicom-web/</c> and <see cref="DicomWebServers"/>).</summary>
    public bool DicomWeb { get; init; } = true;

    /// <summary>
    /// HTTP basic authentication (<c>AuthenticationEnabled</c> with <c>RegisteredUsers</c>, user → password); empty leaves
    /// it off. The fixture's own <see cref="OrthancPeer.Http"/> uses the first user.
    /// </summary>
    public IReadOnlyDictionary<string, string> RegisteredUsers { get; init; } = new Dictionary<string, string>();

    /// <summary>Further top-level configuration options (e.g. <c>DicomCheckCalledAet</c>), set last.</summary>
    public IReadOnlyDictionary<string, JsonNode> Extra { get; init; } = new Dictionary<string, JsonNode>();

    /// <summary>
    /// A configuration file to run as it is (e.g. deploy/orthanc/orthanc.json) instead of one built from these options;
    /// only the ports, storage folders and remote access are replaced, to fit the test machine.
    /// </summary>
    public string? ConfigurationFile { get; init; }
}

/// <summary>
/// A real Orthanc 1.10 (../shared/PEERS.md) for interop tests: one JSON configuration written to a temporary folder
/// (storage and index there too), free HTTP and DICOM ports on a process bound for 127.0.0.1 use, TCP_NODELAY=1,
/// REST access without authentication. Started by <see cref="StartAsync"/>, which returns once <c>/system</c>
/// answers; stopped by its PID on dispose.
/// </summary>
/// <remarks>
/// Orthanc keeps an SCU association open for <c>DicomAssociationCloseDelay</c> seconds for reuse; this fixture sets it
/// to 0 so each REST call's association has ended when the call returns.
/// </remarks>
public sealed class OrthancPeer : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/Orthanc";
    public const string DicomWebPlugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

    private readonly TempDir _dir = new("mednode-orthanc-");
    private readonly StringBuilder _log = new();
    private readonly Lock _logLock = new();
    private Process? _process;

    private OrthancPeer(OrthancPeerOptions options)
    {
        Options = options;
        HttpPort = FreePort();
        DicomPort = options.DicomPort ?? FreePort();
        if (options.RegisteredUsers.FirstOrDefault() is { Key: { } user, Value: var password })
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    public OrthancPeerOptions Options { get; }

    public string AeTitle => Options.AeTitle;

    public int HttpPort { get; }

    public int DicomPort { get; }

    /// <summary>The REST root, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>An HttpClient on <see cref="BaseUri"/>.</summary>
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>Whether Orthanc and its DICOMweb plugin are installed (for skip reasons).</summary>
    public static bool IsInstalled => File.Exists(Executable) && File.Exists(DicomWebPlugin);

    /// <summary>What Orthanc printed so far (for assertion messages).</summary>
    public string Log
    {
        get
        {
            lock (_logLock) return _log.ToString();
        }
    }

    /// <summary>Writes the configuration, starts Orthanc and waits (bounded) until <c>/system</c> answers.</summary>
    public static async Task<OrthancPeer> StartAsync(OrthancPeerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var peer = new OrthancPeer(options ?? new OrthancPeerOptions());
        try
        {
            await peer.StartCoreAsync(cancellationToken);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        var config = _dir.File("orthanc.json");
        await File.WriteAllTextAsync(config, BuildConfiguration(), ct);
        var psi = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.Path };
        psi.ArgumentList.Add(config);
        psi.Environment["TCP_NODELAY"] = "1";
        _process = Process.Start(psi) ?? throw new InvalidOperationException("Orthanc did not start.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"Orthanc exited with {_process.ExitCode}:\n{Log}");
            try
            {
                using var rsp = await Http.GetAsync(new Uri(BaseUri, "system"), ct);
                if (rsp.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Orthanc did not answer /system within 60 s:\n{Log}");
            await Task.Delay(100, ct); // polling a process start-up, bounded by the deadline above
        }
    }

    private void Append(string? line)
    {
        if (line == null) return;
        lock (_logLock)
        {
            if (_log.Length < 1_000_000) _log.AppendLine(line);
        }
    }

    private string BuildConfiguration()
    {
        if (Options.ConfigurationFile != null) return AdaptConfiguration(Options.ConfigurationFile);
        var modalities = new JsonObject();
        foreach (var (name, m) in Options.Modalities)
            modalities[name] = new JsonArray(m.AeTitle, m.Host, m.Port);
        var servers = new JsonObject();
        foreach (var (name, url) in Options.DicomWebServers)
            servers[name] = new JsonArray(url);
        var root = new JsonObject
        {
            ["Name"] = "MedNodeTestOrthanc",
            [nameof(HttpPort)] = HttpPort,
            [nameof(DicomPort)] = DicomPort, // Orthanc's keys happen to match these names
            ["DicomAet"] = Options.AeTitle,
            ["RemoteAccessAllowed"] = false,
            ["AuthenticationEnabled"] = false,
            ["StorageDirectory"] = _dir.File("storage"),
            ["IndexDirectory"] = _dir.File("index"),
            ["DicomAssociationCloseDelay"] = 0,
            ["SaveJobs"] = false,
            ["DicomModalities"] = modalities,
        };
        if (Options.DicomWeb)
        {
            root["Plugins"] = new JsonArray(DicomWebPlugin);
            root["DicomWeb"] = new JsonObject { ["Enable"] = true, ["Root"] = "/dicom-web/", ["Servers"] = servers };
        }
        if (Options.RegisteredUsers.Count > 0)
        {
            root["AuthenticationEnabled"] = true;
            var users = new JsonObject();
            foreach (var (user, password) in Options.RegisteredUsers) users[user] = password;
            root["RegisteredUsers"] = users;
        }
        foreach (var (name, value) in Options.Extra) root[name] = value.DeepClone();
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private string AdaptConfiguration(string file)
    {
        var root = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        root[nameof(HttpPort)] = HttpPort;
        root[nameof(DicomPort)] = DicomPort;
        root["RemoteAccessAllowed"] = false;
        root["StorageDirectory"] = _dir.File("storage");
        root["IndexDirectory"] = _dir.File("index");
        root["DicomAssociationCloseDelay"] = 0;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A free TCP port on 127.0.0.1 (for <see cref="OrthancPeerOptions.DicomPort"/>).</summary>
    public static int FreePort() => FreePorts.Next();

    // ---- REST helpers -------------------------------------------------------------------------------------------

    /// <summary>GETs a JSON resource (path relative to the root, e.g. "studies").</summary>
    public async Task<JsonNode> GetJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        using var rsp = await Http.GetAsync(new Uri(BaseUri, path), cancellationToken);
        return await ReadJsonAsync(rsp, "GET " + path, cancellationToken);
    }

    /// <summary>POSTs a JSON body and returns the JSON answer; throws with Orthanc's answer on an HTTP error.</summary>
    public async Task<JsonNode> PostJsonAsync(string path, JsonNode body, CancellationToken cancellationToken = default)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var rsp = await Http.PostAsync(new Uri(BaseUri, path), content, cancellationToken);
        return await ReadJsonAsync(rsp, "POST " + path, cancellationToken);
    }

    private static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage rsp, string what, CancellationToken ct)
    {
        var text = await rsp.Content.ReadAsStringAsync(ct);
        if (!rsp.IsSuccessStatusCode) throw new HttpRequestException($"Orthanc {what}: {(int)rsp.StatusCode} {text}", null, rsp.StatusCode);
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    /// <summary>Uploads a Part 10 file (POST /instances); returns Orthanc's instance ID and parent study ID.</summary>
    public async Task<(string InstanceId, string StudyId)> UploadAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var file = File.OpenRead(path);
        using var content = new StreamContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        using var rsp = await Http.PostAsync(new Uri(BaseUri, "instances"), content, cancellationToken);
        var json = await ReadJsonAsync(rsp, "POST instances", cancellationToken);
        return (json["ID"]!.GetValue<string>(), json["ParentStudy"]!.GetValue<string>());
    }

    /// <summary>Orthanc IDs of the studies held (GET /studies).</summary>
    public async Task<IReadOnlyList<string>> ListStudiesAsync(CancellationToken cancellationToken = default) =>
        (await GetJsonAsync("studies", cancellationToken)).AsArray().Select(n => n!.GetValue<string>()).ToList();

    /// <summary>Orthanc IDs of the instances held (GET /instances).</summary>
    public async Task<IReadOnlyList<string>> ListInstancesAsync(CancellationToken cancellationToken = default) =>
        (await GetJsonAsync("instances", cancellationToken)).AsArray().Select(n => n!.GetValue<string>()).ToList();

    /// <summary>The SOP Instance UID of an Orthanc instance ID (its MainDicomTags).</summary>
    public async Task<string> GetSopInstanceUidAsync(string instanceId, CancellationToken cancellationToken = default) =>
        (await GetJsonAsync($"instances/{instanceId}", cancellationToken))["MainDicomTags"]!["SOPInstanceUID"]!.GetValue<string>();

    /// <summary>The stored Part 10 file of an instance (GET /instances/{id}/file).</summary>
    public Task<byte[]> GetInstanceFileAsync(string instanceId, CancellationToken cancellationToken = default) =>
        Http.GetByteArrayAsync(new Uri(BaseUri, $"instances/{instanceId}/file"), cancellationToken);

    /// <summary>Sends resources (Orthanc IDs) to a modality by C-STORE, synchronously (POST /modalities/{name}/store).</summary>
    public Task<JsonNode> StoreToModalityAsync(string modality, IEnumerable<string> resourceIds, CancellationToken cancellationToken = default) =>
        PostJsonAsync($"modalities/{modality}/store", new JsonObject
        {
            ["Resources"] = new JsonArray(resourceIds.Select(id => (JsonNode)JsonValue.Create(id)!).ToArray()),
            ["Synchronous"] = true,
        }, cancellationToken);

    /// <summary>C-ECHO to a modality (POST /modalities/{name}/echo): true when Orthanc reports success.</summary>
    public async Task<bool> EchoModalityAsync(string modality, CancellationToken cancellationToken = default)
    {
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var rsp = await Http.PostAsync(new Uri(BaseUri, $"modalities/{modality}/echo"), content, cancellationToken);
        return rsp.IsSuccessStatusCode;
    }

    /// <summary>
    /// Orthanc as Storage Commitment SCU (POST /modalities/{name}/storage-commitment with DicomInstances): returns the
    /// transaction UID, whose report appears at /storage-commitment/{uid} once the N-EVENT-REPORT has arrived.
    /// </summary>
    public async Task<string> RequestStorageCommitmentAsync(string modality, IEnumerable<(string SopClassUid, string SopInstanceUid)> instances, CancellationToken cancellationToken = default)
    {
        var list = new JsonArray(instances.Select(i => (JsonNode)new JsonObject { ["SOPClassUID"] = i.SopClassUid, ["SOPInstanceUID"] = i.SopInstanceUid }).ToArray());
        var json = await PostJsonAsync($"modalities/{modality}/storage-commitment", new JsonObject { ["DicomInstances"] = list }, cancellationToken);
        return json["ID"]!.GetValue<string>();
    }

    /// <summary>
    /// Polls GET /storage-commitment/{uid} until its Status is no longer "Pending" (bounded): the report with Status
    /// ("Success" or "Failure"), Success and Failures lists.
    /// </summary>
    public async Task<JsonNode> WaitStorageCommitmentReportAsync(string transactionUid, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var report = await GetJsonAsync($"storage-commitment/{transactionUid}", cancellationToken);
            if (report["Status"]?.GetValue<string>() is { } s && s != "Pending") return report;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No storage commitment report for {transactionUid} within {timeout}:\n{report.ToJsonString()}\n{Log}");
            await Task.Delay(100, cancellationToken); // polling Orthanc's report list, bounded by the deadline above
        }
    }

    /// <summary>Orthanc as a DICOMweb client: STOW-RS of resources to a configured server (POST /dicom-web/servers/{name}/stow).</summary>
    public Task<JsonNode> StowToServerAsync(string server, IEnumerable<string> resourceIds, CancellationToken cancellationToken = default) =>
        PostJsonAsync($"dicom-web/servers/{server}/stow", new JsonObject
        {
            ["Resources"] = new JsonArray(resourceIds.Select(id => (JsonNode)JsonValue.Create(id)!).ToArray()),
            ["Synchronous"] = true,
        }, cancellationToken);

    /// <summary>Orthanc as a DICOMweb client: WADO-RS retrieve of a study from a configured server into Orthanc (POST /dicom-web/servers/{name}/retrieve).</summary>
    public Task<JsonNode> RetrieveFromServerAsync(string server, string studyInstanceUid, CancellationToken cancellationToken = default) =>
        PostJsonAsync($"dicom-web/servers/{server}/retrieve", new JsonObject
        {
            ["Resources"] = new JsonArray(new JsonObject { ["Study"] = studyInstanceUid }),
            ["Synchronous"] = true,
        }, cancellationToken);

    /// <summary>Deletes every study Orthanc holds (it skips instances it already has, PEERS.md).</summary>
    public async Task DeleteAllStudiesAsync(CancellationToken cancellationToken = default)
    {
        foreach (var id in await ListStudiesAsync(cancellationToken))
        {
            using var rsp = await Http.DeleteAsync(new Uri(BaseUri, $"studies/{id}"), cancellationToken);
            rsp.EnsureSuccessStatusCode();
        }
    }

    /// <summary>Stops Orthanc by its PID and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process != null)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
        }
        Http.Dispose();
        _dir.Dispose();
    }
}
