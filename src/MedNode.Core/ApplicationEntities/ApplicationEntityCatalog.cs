using System.Text.Json;
using System.Text.Json.Serialization;
using MedNode.Core.Admin;
using MedNode.Dicom.Network.Server;

namespace MedNode.Core.ApplicationEntities;

/// <summary>
/// The node's local AE titles and the remote AEs it knows, from configuration and then from the admin API. A change is
/// validated as a whole (every problem reported, nothing applied when there is one), written to the
/// <see cref="IAdminStateStore"/> (so it survives a restart), and only then applied: <see cref="Changed"/> lets the
/// host hand it to the running DIMSE listener and the C-MOVE destinations at once.
/// </summary>
public sealed class ApplicationEntityCatalog(IReadOnlyList<LocalAe> local, IReadOnlyList<RemoteAe> remote, bool requireKnownPeers, IAdminStateStore store)
{
    public const string StateKey = "aes";

    /// <summary>
    /// The layout of the stored state: 2 since the Commitment permission. A state stored before it (no version) gets
    /// Commitment added to every remote AE on load, since Storage Commitment was open to every AE then.
    /// </summary>
    public const int StateVersion = 2;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile State _state = new(local, remote, StateVersion);

    /// <summary>What is stored; <see cref="Version"/> is 0 when read from a state stored without one.</summary>
    private sealed record State(IReadOnlyList<LocalAe> Local, IReadOnlyList<RemoteAe> Remote, int Version = 0);

    public IReadOnlyList<LocalAe> Local => _state.Local;

    public IReadOnlyList<RemoteAe> Remote => _state.Remote;

    /// <summary>Whether calling AE titles not among <see cref="Remote"/> are refused (configuration only).</summary>
    public bool RequireKnownPeers => requireKnownPeers;

    /// <summary>Raised after each change has been stored and applied.</summary>
    public event Action<ApplicationEntityCatalog>? Changed;

    public RemoteAe? FindRemote(string aeTitle) => _state.Remote.FirstOrDefault(r => SameTitle(r.AeTitle, aeTitle));

    /// <summary>Loads what the admin API stored before (it wins over configuration); returns whether there was any.</summary>
    public async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        var json = await store.ReadAsync(StateKey, cancellationToken);
        if (json == null) return false;
        var saved = JsonSerializer.Deserialize<State>(json, Json) ?? throw new InvalidOperationException("The stored AE configuration is empty.");
        if (saved.Version < StateVersion && saved.Remote != null)
            saved = saved with { Remote = saved.Remote.Select(r => r is null ? r! : r with { Permissions = [.. (r.Permissions ?? []).Where(p => p != AePermission.Commitment), AePermission.Commitment] }).ToList() };
        saved = saved with { Version = StateVersion };
        var errors = ValidateLocal(saved.Local);
        errors.AddRange(await ValidateRemoteAsync(saved.Remote, cancellationToken));
        if (errors.Count > 0) throw new InvalidOperationException("The AE configuration stored through the admin API is invalid: " + string.Join(" ", errors));
        _state = saved;
        Changed?.Invoke(this);
        return true;
    }

    public async Task<IReadOnlyList<string>> ReplaceLocalAsync(IReadOnlyList<LocalAe> list, CancellationToken cancellationToken)
    {
        var errors = ValidateLocal(list);
        return errors.Count > 0 ? errors : await CommitAsync(s => s with { Local = list.Select(l => new LocalAe(l.AeTitle.Trim())).ToList() }, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ReplaceRemoteAsync(IReadOnlyList<RemoteAe> list, CancellationToken cancellationToken)
    {
        var errors = await ValidateRemoteAsync(list, cancellationToken);
        return errors.Count > 0 ? errors : await CommitAsync(s => s with { Remote = list.Select(Normalise).ToList() }, cancellationToken);
    }

    /// <summary>Adds the remote AE, or replaces the one with the same title.</summary>
    public async Task<IReadOnlyList<string>> PutRemoteAsync(RemoteAe ae, CancellationToken cancellationToken)
    {
        var errors = await ae.ValidateAsync(0, cancellationToken);
        return errors.Count > 0 ? errors : await CommitAsync(s => s with { Remote = [.. s.Remote.Where(r => !SameTitle(r.AeTitle, ae.AeTitle)), Normalise(ae)] }, cancellationToken);
    }

    /// <summary>Removes the remote AE; false when none has that title.</summary>
    public async Task<bool> DeleteRemoteAsync(string aeTitle, CancellationToken cancellationToken)
    {
        if (FindRemote(aeTitle) == null) return false;
        await CommitAsync(s => s with { Remote = s.Remote.Where(r => !SameTitle(r.AeTitle, aeTitle)).ToList() }, cancellationToken);
        return true;
    }

    /// <summary>
    /// What the DIMSE listener enforces: the local AE titles, every remote AE with its services, and the remote AEs with a
    /// host and a port as the destinations of storage commitment reports.
    /// </summary>
    public DicomServerAccess ToServerAccess() =>
        new(Local.Select(l => l.AeTitle).ToList(), Remote.Select(r => new DicomPeer(r.AeTitle, r.Host, r.Port ?? 104, r.Services())).ToList(), requireKnownPeers)
        {
            Destinations = MoveDestinations(),
        };

    /// <summary>The remote AEs with a host and a port: where C-MOVE may send.</summary>
    public IReadOnlyList<DicomPeer> MoveDestinations() =>
        Remote.Where(r => !string.IsNullOrWhiteSpace(r.Host) && r.Port != null).Select(r => new DicomPeer(r.AeTitle, r.Host, r.Port!.Value, r.Services())).ToList();

    private async Task<IReadOnlyList<string>> CommitAsync(Func<State, State> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var next = change(_state);
            await store.WriteAsync(StateKey, JsonSerializer.Serialize(next, Json), cancellationToken);
            _state = next;
        }
        finally
        {
            _gate.Release();
        }
        Changed?.Invoke(this);
        return [];
    }

    private static List<string> ValidateLocal(IReadOnlyList<LocalAe>? list)
    {
        if (list == null || list.Count == 0) return ["At least one local AE title is needed."];
        var errors = list.SelectMany((l, i) => AeTitleRules.Check(l?.AeTitle, $"local AE #{i + 1}")).ToList();
        if (errors.Count == 0 && list.GroupBy(l => l.AeTitle.Trim(), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } dup)
            errors.Add($"Local AE title '{dup.Key}' is given more than once.");
        return errors;
    }

    private static async Task<List<string>> ValidateRemoteAsync(IReadOnlyList<RemoteAe>? list, CancellationToken cancellationToken)
    {
        if (list == null) return ["The remote AEs must be a list."];
        List<string> errors = [];
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == null) errors.Add($"remote AE #{i + 1} is null.");
            else errors.AddRange(await list[i].ValidateAsync(i, cancellationToken));
        }
        if (errors.Count == 0 && list.GroupBy(r => r.AeTitle.Trim(), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } dup)
            errors.Add($"Remote AE title '{dup.Key}' is given more than once.");
        return errors;
    }

    private static RemoteAe Normalise(RemoteAe r) => r with { AeTitle = r.AeTitle.Trim(), Host = string.IsNullOrWhiteSpace(r.Host) ? null : r.Host.Trim(), Permissions = (r.Permissions ?? []).Distinct().ToList() };

    private static bool SameTitle(string a, string b) => string.Equals(a.Trim(), b.Trim(), StringComparison.Ordinal);
}
