using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Rules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Completion;

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

/// <summary>A unit waiting for completion: its study, its series (series grouping; null when grouped by study), the
/// listening AE, the instances received so far and the version its completion will have.</summary>
public sealed record PendingUnit(string StudyInstanceUid, string? SeriesInstanceUid, string? CalledAeTitle, int Instances, int NextVersion);

/// <summary>Told when a unit completes (the rules engine and the job queue sit behind it).</summary>
public interface ICompletionSink
{
    Task OnCompletedAsync(CompletedUnit unit, CancellationToken cancellationToken);
}

/// <summary>
/// Notices when a series or study is complete: instances are grouped per listening AE (the called AE title) and per
/// series or study. A unit completes after a quiet period with no new instance (all timing through
/// <see cref="TimeProvider"/>), when the associations that brought it are released normally (optional, per listening
/// AE), or, for a study, as soon as its required series are present (optional). Late instances re-open the unit and
/// produce a new version.
/// </summary>
public sealed class CompletionTracker : IInstanceStoredListener, IDisposable
{
    private readonly Dictionary<string, Unit> _units = new(StringComparer.Ordinal);
    // Association id → keys of the units it brought instances to; removed when the association ends.
    private readonly Dictionary<string, HashSet<string>> _byAssociation = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly CompletionOptions _options;
    private readonly IReadOnlyList<(RequiredSeries Requirement, RulePattern? Pattern)> _required;
    private readonly ICompletionSink _sink;
    private readonly ILogger _log;
    private bool _disposed;

    public CompletionTracker(ICompletionSink sink, CompletionOptions? options = null, TimeProvider? timeProvider = null, ILogger<CompletionTracker>? logger = null)
    {
        _sink = sink;
        _options = options ?? new CompletionOptions();
        _time = timeProvider ?? TimeProvider.System;
        _log = (ILogger?)logger ?? NullLogger.Instance;
        var errors = _options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors), nameof(options));
        _required = _options.RequiredSeries
            .Select(r => (r, string.IsNullOrEmpty(r.SeriesDescription) ? null : RulePattern.Create(r.SeriesDescription)))
            .ToList();
    }

    public CompletionOptions Options => _options;

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

    /// <summary>The key of the unit an instance belongs to: channel, listening AE, study and (grouping by series) series.</summary>
    public string UnitKey(string? channel, string? calledAeTitle, string studyInstanceUid, string seriesInstanceUid) =>
        $"{channel}|{calledAeTitle}|{studyInstanceUid}" + (_options.GroupBy == CompletionGrouping.Series ? "|" + seriesInstanceUid : "");

    public async Task OnInstanceStoredAsync(InstanceStored stored, CancellationToken cancellationToken)
    {
        var r = stored.Record;
        var key = UnitKey(r.Channel, stored.CalledAeTitle, r.StudyInstanceUid, r.SeriesInstanceUid);
        bool requirementsMet;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var unit = GetOrAdd(key, r.StudyInstanceUid, r.SeriesInstanceUid);
            if (!unit.Pending) unit.StartVersion();
            unit.Add(r, stored.CalledAeTitle);
            if (stored.AssociationId != null && _options.CompletesOnRelease(stored.CalledAeTitle))
            {
                unit.OpenAssociations.Add(stored.AssociationId);
                if (!_byAssociation.TryGetValue(stored.AssociationId, out var keys)) _byAssociation[stored.AssociationId] = keys = new(StringComparer.Ordinal);
                keys.Add(key);
            }
            else
            {
                unit.ReleaseEligible = false;
            }
            Arm(unit);
            requirementsMet = !unit.RequirementsFired && _required.Count > 0 && _required.All(q => unit.Series.Values.Any(s => q.Requirement.Matches(s.Modality, s.Description, s.Count, q.Pattern)));
            if (requirementsMet) unit.RequirementsFired = true;
        }
        if (requirementsMet)
        {
            _log.LogInformation("Every required series is present; the study unit completes now");
            await FireAsync(key, cancellationToken);
        }
    }

    /// <summary>
    /// An association ended. When it was released normally, each unit it brought instances to whose pending instances all
    /// came on associations now released, on a listening AE named in <see cref="CompletionOptions.CompleteOnAssociationRelease"/>,
    /// completes now. When it was not released normally (aborted, cut off), its units wait for the quiet period.
    /// </summary>
    public async Task OnAssociationEndedAsync(string associationId, bool released, CancellationToken cancellationToken)
    {
        var due = new List<string>();
        lock (_gate)
        {
            if (_disposed || !_byAssociation.Remove(associationId, out var keys)) return;
            foreach (var key in keys)
            {
                if (!_units.TryGetValue(key, out var unit) || !unit.Pending || !unit.OpenAssociations.Remove(associationId)) continue;
                if (!released) unit.ReleaseEligible = false;
                else if (unit.ReleaseEligible && unit.OpenAssociations.Count == 0) due.Add(key);
            }
        }
        foreach (var key in due) await FireAsync(key, cancellationToken);
    }

    /// <summary>
    /// After a restart: makes a unit pending again with instances received before the stop but not yet analysed, so that
    /// it completes after a fresh quiet period. <paramref name="completedVersions"/> is the unit's last version (its
    /// last job's), so the completion is the next one. A unit already tracked keeps its state and gains the instances.
    /// </summary>
    public void Rearm(string key, int completedVersions, IEnumerable<string> sopInstanceUids, InstanceRecord representative, string? calledAeTitle)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var fresh = !_units.ContainsKey(key);
            var unit = GetOrAdd(key, representative.StudyInstanceUid, _options.GroupBy == CompletionGrouping.Series ? representative.SeriesInstanceUid : null);
            if (fresh) unit.Version = completedVersions;
            if (!unit.Pending) unit.StartVersion();
            foreach (var sop in sopInstanceUids) unit.SopInstanceUids.Add(sop);
            unit.Add(representative, calledAeTitle);
            unit.ReleaseEligible = false;
            unit.RequirementsFired = true; // a re-armed unit waits for its quiet period
            Arm(unit);
        }
    }

    /// <summary>Completes a unit now, without waiting for the quiet period (e.g. from the API).</summary>
    public async Task<bool> CompleteNowAsync(string key, CancellationToken cancellationToken) => await FireAsync(key, cancellationToken) != null;

    /// <summary>
    /// Completes now, without waiting for the quiet period, every pending unit of the study (one per listening AE; with
    /// series grouping, one per series). The sink has been told of each (the job queued) when this returns. Empty when
    /// nothing of the study is pending.
    /// </summary>
    public Task<IReadOnlyList<CompletedUnit>> CompleteStudyNowAsync(string studyInstanceUid, CancellationToken cancellationToken) =>
        CompleteMatchingNowAsync(u => u.StudyInstanceUid == studyInstanceUid, cancellationToken);

    /// <summary>
    /// Completes now every pending unit that holds instances of the series: the series' own unit (series grouping), or its
    /// study's unit (study grouping, which completes the whole study). Empty when no pending unit holds it.
    /// </summary>
    public Task<IReadOnlyList<CompletedUnit>> CompleteSeriesNowAsync(string seriesInstanceUid, CancellationToken cancellationToken) =>
        CompleteMatchingNowAsync(u => u.SeriesInstanceUid == seriesInstanceUid || u.Series.ContainsKey(seriesInstanceUid), cancellationToken);

    /// <summary>The keys of the units still waiting for their quiet period.</summary>
    public IReadOnlyList<string> PendingKeys()
    {
        lock (_gate) return _units.Values.Where(u => u.Pending).Select(u => u.Key).ToList();
    }

    /// <summary>The units still waiting for completion: study, series (series grouping), listening AE and instance count.</summary>
    public IReadOnlyList<PendingUnit> Pending()
    {
        lock (_gate)
        {
            return _units.Values.Where(u => u.Pending)
                .Select(u => new PendingUnit(u.StudyInstanceUid, u.SeriesInstanceUid, u.CalledAeTitle, u.SopInstanceUids.Count, u.Version + 1))
                .OrderBy(u => u.StudyInstanceUid, StringComparer.Ordinal).ThenBy(u => u.SeriesInstanceUid, StringComparer.Ordinal).ToList();
        }
    }

    private async Task<IReadOnlyList<CompletedUnit>> CompleteMatchingNowAsync(Func<Unit, bool> match, CancellationToken cancellationToken)
    {
        List<string> keys;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            keys = _units.Values.Where(u => u.Pending && match(u)).Select(u => u.Key).Order(StringComparer.Ordinal).ToList();
        }
        var completed = new List<CompletedUnit>();
        foreach (var key in keys)
            if (await FireAsync(key, cancellationToken) is { } unit) completed.Add(unit);
        return completed;
    }

    private Unit GetOrAdd(string key, string study, string? series)
    {
        if (!_units.TryGetValue(key, out var unit))
        {
            unit = new Unit(key, study, _options.GroupBy == CompletionGrouping.Series ? series : null);
            _units[key] = unit;
        }
        return unit;
    }

    /// <summary>(Re)starts the unit's quiet period.</summary>
    private void Arm(Unit unit)
    {
        unit.Timer ??= _time.CreateTimer(static s => ((TimerState)s!).Tracker.OnQuiet(((TimerState)s).Key), new TimerState(this, unit.Key), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        unit.Timer.Change(_options.QuietPeriod, Timeout.InfiniteTimeSpan);
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

    /// <summary>Completes the unit if it is pending; returns what was completed (null: not pending, or already completed by another trigger).</summary>
    private async Task<CompletedUnit?> FireAsync(string key, CancellationToken ct)
    {
        CompletedUnit completed;
        lock (_gate)
        {
            if (_disposed || !_units.TryGetValue(key, out var unit) || !unit.Pending) return null;
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
        return completed;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var u in _units.Values) u.Timer?.Dispose();
            _units.Clear();
            _byAssociation.Clear();
        }
    }

    private sealed record TimerState(CompletionTracker Tracker, string Key);

    private sealed class SeriesSeen(string modality, string description)
    {
        public string Modality { get; } = modality;
        public string Description { get; } = description;
        public int Count { get; set; }
    }

    private sealed class Unit(string key, string studyInstanceUid, string? seriesInstanceUid)
    {
        public string Key { get; } = key;
        public string StudyInstanceUid { get; } = studyInstanceUid;
        public string? SeriesInstanceUid { get; } = seriesInstanceUid;
        public HashSet<string> SopInstanceUids { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, SeriesSeen> Series { get; } = new(StringComparer.Ordinal);
        public InstanceRecord? Representative { get; set; }
        public string? CallingAeTitle { get; set; }
        public string? CalledAeTitle { get; set; }
        public bool Pending { get; set; }
        public int Version { get; set; }
        public ITimer? Timer { get; set; }

        /// <summary>Associations that brought this version's instances and have not ended yet.</summary>
        public HashSet<string> OpenAssociations { get; } = new(StringComparer.Ordinal);

        /// <summary>False once an instance of this version came outside a release-completing association, or one ended abnormally.</summary>
        public bool ReleaseEligible { get; set; } = true;

        /// <summary>The required series completed this unit once; later instances wait for the quiet period.</summary>
        public bool RequirementsFired { get; set; }

        /// <summary>A completed unit receives an instance: a new version begins.</summary>
        public void StartVersion()
        {
            OpenAssociations.Clear();
            ReleaseEligible = true;
            Pending = true;
        }

        public void Add(InstanceRecord r, string? calledAeTitle)
        {
            if (SopInstanceUids.Add(r.SopInstanceUid))
            {
                if (!Series.TryGetValue(r.SeriesInstanceUid, out var seen)) Series[r.SeriesInstanceUid] = seen = new SeriesSeen(r.Modality, r.SeriesDescription);
                seen.Count++;
            }
            Representative = r;
            CallingAeTitle = r.CallingAeTitle;
            CalledAeTitle = calledAeTitle;
        }
    }
}
