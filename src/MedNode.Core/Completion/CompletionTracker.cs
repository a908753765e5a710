using MedNode.Core.Index;
using MedNode.Core.Ingest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Completion;

public enum CompletionGrouping { Series, Study }

/// <summary>The <c>MedNode:Completion</c> settings.</summary>
public sealed class CompletionOptions
{
    /// <summary>Whether a unit of work is a series or a whole study.</summary>
    public CompletionGrouping GroupBy { get; set; } = CompletionGrouping.Series;

    /// <summary>A unit is complete when no instance of it has arrived for this long.</summary>
    public TimeSpan QuietPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a completed unit is remembered, so that late instances make its next version with every input. After this
    /// a late instance starts the unit afresh (version 1, with only the new instances).
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>
/// A series or study that stopped receiving instances. <see cref="Version"/> counts completions of the same unit:
/// instances that arrive after a completion start a new version whose input is every instance seen so far.
/// </summary>
public sealed record CompletedUnit(
    string Key,
    string StudyInstanceUid,
    string? SeriesInstanceUid,
    int Version,
    IReadOnlyList<string> SopInstanceUids,
    InstanceRecord Representative,
    string? CallingAeTitle,
    string? CalledAeTitle);

/// <summary>Told when a unit completes (the rules engine and the job queue sit behind it).</summary>
public interface ICompletionSink
{
    Task OnCompletedAsync(CompletedUnit unit, CancellationToken cancellationToken);
}

/// <summary>
/// Notices when a series or study is complete: instances are grouped per listening AE (the called AE title) and per
/// series or study, and a unit completes after a quiet period with no new instance (all timing through
/// <see cref="TimeProvider"/>). Late instances re-open the unit and produce a new version.
/// </summary>
public sealed class CompletionTracker : IInstanceStoredListener, IDisposable
{
    private readonly Dictionary<string, Unit> _units = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly CompletionOptions _options;
    private readonly ICompletionSink _sink;
    private readonly ILogger _log;
    private bool _disposed;

    public CompletionTracker(ICompletionSink sink, CompletionOptions? options = null, TimeProvider? timeProvider = null, ILogger<CompletionTracker>? logger = null)
    {
        _sink = sink;
        _options = options ?? new CompletionOptions();
        _time = timeProvider ?? TimeProvider.System;
        _log = (ILogger?)logger ?? NullLogger.Instance;
        if (_options.QuietPeriod <= TimeSpan.Zero) throw new ArgumentException("MedNode:Completion:QuietPeriod must be positive.", nameof(options));
        if (_options.Retention <= TimeSpan.Zero) throw new ArgumentException("MedNode:Completion:Retention must be positive.", nameof(options));
    }

    /// <summary>Units remembered: pending ones and completed ones within their retention.</summary>
    public int TrackedCount
    {
        get
        {
            lock (_gate) return _units.Count;
        }
    }

    /// <summary>Units with instances not yet reported complete.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate) return _units.Values.Count(u => u.Pending);
        }
    }

    public Task OnInstanceStoredAsync(InstanceStored stored, CancellationToken cancellationToken)
    {
        var r = stored.Record;
        var bySeries = _options.GroupBy == CompletionGrouping.Series;
        var key = $"{r.Channel}|{stored.CalledAeTitle}|{r.StudyInstanceUid}" + (bySeries ? "|" + r.SeriesInstanceUid : "");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_units.TryGetValue(key, out var unit))
            {
                unit = new Unit(key, r.StudyInstanceUid, bySeries ? r.SeriesInstanceUid : null);
                _units[key] = unit;
            }
            unit.SopInstanceUids.Add(r.SopInstanceUid);
            unit.Representative = r;
            unit.CallingAeTitle = r.CallingAeTitle;
            unit.CalledAeTitle = stored.CalledAeTitle;
            unit.Pending = true;
            unit.Timer ??= _time.CreateTimer(static s => ((TimerState)s!).Tracker.OnQuiet(((TimerState)s).Key), new TimerState(this, key), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            unit.Timer.Change(_options.QuietPeriod, Timeout.InfiniteTimeSpan);
        }
        return Task.CompletedTask;
    }

    /// <summary>Completes a unit now, without waiting for the quiet period (e.g. on association release, or from the API).</summary>
    public Task<bool> CompleteNowAsync(string key, CancellationToken cancellationToken) => FireAsync(key, cancellationToken);

    /// <summary>The keys of the units still waiting for their quiet period.</summary>
    public IReadOnlyList<string> PendingKeys()
    {
        lock (_gate) return _units.Values.Where(u => u.Pending).Select(u => u.Key).ToList();
    }

    /// <summary>The unit's timer: the quiet period ended (complete it), or a completed unit's retention ended (forget it).</summary>
    private void OnQuiet(string key)
    {
        lock (_gate)
        {
            if (_disposed || !_units.TryGetValue(key, out var unit)) return;
            if (!unit.Pending)
            {
                unit.Timer?.Dispose();
                _units.Remove(key);
                return;
            }
        }
        _ = FireAsync(key, CancellationToken.None);
    }

    private async Task<bool> FireAsync(string key, CancellationToken ct)
    {
        CompletedUnit completed;
        lock (_gate)
        {
            if (_disposed || !_units.TryGetValue(key, out var unit) || !unit.Pending) return false;
            unit.Pending = false;
            unit.Version++;
            unit.Timer?.Change(_options.Retention, Timeout.InfiniteTimeSpan);
            completed = new CompletedUnit(key, unit.StudyInstanceUid, unit.SeriesInstanceUid, unit.Version,
                unit.SopInstanceUids.Order(StringComparer.Ordinal).ToList(), unit.Representative!, unit.CallingAeTitle, unit.CalledAeTitle);
        }
        try
        {
            await _sink.OnCompletedAsync(completed, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.LogError(ex, "The completion sink failed for a unit (version {Version})", completed.Version);
        }
        return true;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var u in _units.Values) u.Timer?.Dispose();
            _units.Clear();
        }
    }

    private sealed record TimerState(CompletionTracker Tracker, string Key);

    private sealed class Unit(string key, string studyInstanceUid, string? seriesInstanceUid)
    {
        public string Key { get; } = key;
        public string StudyInstanceUid { get; } = studyInstanceUid;
        public string? SeriesInstanceUid { get; } = seriesInstanceUid;
        public HashSet<string> SopInstanceUids { get; } = new(StringComparer.Ordinal);
        public InstanceRecord? Representative { get; set; }
        public string? CallingAeTitle { get; set; }
        public string? CalledAeTitle { get; set; }
        public bool Pending { get; set; }
        public int Version { get; set; }
        public ITimer? Timer { get; set; }
    }
}
