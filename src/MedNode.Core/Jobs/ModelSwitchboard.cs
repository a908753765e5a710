using System.Collections.Concurrent;
using System.Text.Json;
using MedNode.Core.Admin;

namespace MedNode.Core.Jobs;

/// <summary>
/// Whether a model runs (<see cref="Enabled"/>), and whether its results stay in MedNode only (<see cref="Shadow"/>:
/// the job runs and its results are stored and served, but nothing is pushed to destinations).
/// </summary>
public sealed record ModelState(bool Enabled = true, bool Shadow = false);

/// <summary>An installed model as its manifest describes it.</summary>
public sealed record InstalledModel(string Id, string Version, string Sha256);

/// <summary>The models installed on this node.</summary>
public interface IInstalledModels
{
    IReadOnlyList<InstalledModel> ListModels();
}

/// <summary>
/// The state of each model, from configuration (<c>MedNode:Models:States</c>) and then the admin API; models not named
/// are enabled and not in shadow mode. Changes are stored in the <see cref="IAdminStateStore"/> before they apply, and
/// the job worker reads them for each job.
/// </summary>
public sealed class ModelSwitchboard(IAdminStateStore store, IReadOnlyDictionary<string, ModelState>? configured = null)
{
    public const string StateKey = "models";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile IReadOnlyDictionary<string, ModelState> _states = new Dictionary<string, ModelState>(configured ?? new Dictionary<string, ModelState>(), StringComparer.Ordinal);

    public ModelState For(string modelId) => _states.TryGetValue(modelId, out var s) ? s : new ModelState();

    /// <summary>Loads the states the admin API stored before (they win over configuration).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var json = await store.ReadAsync(StateKey, cancellationToken);
        if (json == null) return;
        var saved = JsonSerializer.Deserialize<Dictionary<string, ModelState>>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];
        _states = new Dictionary<string, ModelState>(saved, StringComparer.Ordinal);
    }

    public async Task SetAsync(string modelId, ModelState state, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var next = new Dictionary<string, ModelState>(_states, StringComparer.Ordinal) { [modelId] = state };
            await store.WriteAsync(StateKey, JsonSerializer.Serialize(next, new JsonSerializerOptions(JsonSerializerDefaults.Web)), cancellationToken);
            _states = next;
        }
        finally
        {
            _gate.Release();
        }
    }
}
