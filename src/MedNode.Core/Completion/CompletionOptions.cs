using MedNode.Core.Rules;

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
    /// a late instance starts the unit afresh (version 1, with only the new instances). Also how far back the start-up
    /// re-arm looks for instances not yet analysed.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Listening (called) AE titles on which a unit is complete as soon as the associations that brought its pending
    /// instances are released normally (A-RELEASE, PS3.8 §7.2), without waiting for the quiet period. <c>*</c> stands
    /// for every AE title. Empty (the default): off. An aborted association leaves its units to the quiet period.
    /// </summary>
    public List<string> CompleteOnAssociationRelease { get; set; } = [];

    /// <summary>
    /// With <see cref="CompletionGrouping.Study"/>: the series a study needs. The study unit is complete as soon as each
    /// requirement is met by one of its series, without waiting for the quiet period. Empty (the default): off.
    /// </summary>
    public List<RequiredSeries> RequiredSeries { get; set; } = [];

    /// <summary>Whether <see cref="CompleteOnAssociationRelease"/> names this listening AE title.</summary>
    public bool CompletesOnRelease(string? calledAeTitle) =>
        CompleteOnAssociationRelease.Any(a => a == "*" || string.Equals(a.Trim(), calledAeTitle?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Every problem with these settings, each naming its setting; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (QuietPeriod <= TimeSpan.Zero) errors.Add("MedNode:Completion:QuietPeriod must be positive.");
        if (Retention <= TimeSpan.Zero) errors.Add("MedNode:Completion:Retention must be positive.");
        if (RequiredSeries.Count > 0 && GroupBy != CompletionGrouping.Study) errors.Add("MedNode:Completion:RequiredSeries needs GroupBy Study.");
        for (var i = 0; i < RequiredSeries.Count; i++)
        {
            var r = RequiredSeries[i];
            var where = $"MedNode:Completion:RequiredSeries:{i}";
            if (r.MinInstances < 1) errors.Add($"{where}:MinInstances must be at least 1.");
            if (string.IsNullOrWhiteSpace(r.Modality) && string.IsNullOrWhiteSpace(r.SeriesDescription)) errors.Add($"{where}: give a Modality, a SeriesDescription pattern or both.");
            if (!string.IsNullOrEmpty(r.SeriesDescription) && RulePattern.TryCreate(r.SeriesDescription, out var error) == null) errors.Add($"{where}:SeriesDescription: {error}");
        }
        return errors;
    }
}

/// <summary>
/// One series a study needs (<see cref="CompletionOptions.RequiredSeries"/>): a series of this modality whose Series
/// Description matches the pattern (DICOM wildcards or <c>re:</c>, as in the routing rules), with at least
/// <see cref="MinInstances"/> instances.
/// </summary>
public sealed class RequiredSeries
{
    /// <summary>Modality (0008,0060), compared case-insensitively; null: any.</summary>
    public string? Modality { get; set; }

    /// <summary>Series Description (0008,103E) pattern; null: any.</summary>
    public string? SeriesDescription { get; set; }

    public int MinInstances { get; set; } = 1;

    internal bool Matches(string modality, string seriesDescription, int instances, RulePattern? pattern) =>
        instances >= MinInstances
        && (string.IsNullOrWhiteSpace(Modality) || string.Equals(Modality.Trim(), modality.Trim(), StringComparison.OrdinalIgnoreCase))
        && (pattern == null || pattern.IsMatch(seriesDescription));
}
