namespace MedNode.Core.Rules;

/// <summary>
/// A routing rule (the <c>MedNode:Rules</c> list of appsettings.json, editable through the admin API). Rules are
/// tried in order; the first enabled rule whose every condition holds decides what happens to a completed series.
/// </summary>
public sealed class RoutingRule
{
    public string Name { get; set; } = "";

    public bool Enabled { get; set; } = true;

    public RuleMatch Match { get; set; } = new();

    public RuleAction Action { get; set; } = new();
}

/// <summary>Conditions; an empty list or null value matches anything. Patterns use DICOM wildcards * and ? (case-insensitive).</summary>
public sealed class RuleMatch
{
    public List<string> CallingAeTitles { get; set; } = [];

    public List<string> CalledAeTitles { get; set; } = [];

    /// <summary>Modality (0008,0060) values, e.g. CT, MR.</summary>
    public List<string> Modalities { get; set; } = [];

    /// <summary>Body Part Examined (0018,0015) values.</summary>
    public List<string> BodyParts { get; set; } = [];

    public List<string> SopClassUids { get; set; } = [];

    /// <summary>A wildcard pattern for Series Description (0008,103E); prefix "re:" for a .NET regular expression.</summary>
    public string? SeriesDescription { get; set; }

    /// <summary>The series must hold at least this many instances (or frames, for multi-frame objects).</summary>
    public int? MinSlices { get; set; }

    /// <summary>Any attribute, by keyword or ggggeeee, to a pattern (wildcards, or "re:" regex) that one of its values must match.</summary>
    public Dictionary<string, string> Tags { get; set; } = [];
}

public enum RuleActionKind
{
    /// <summary>Queue an analysis with <see cref="RuleAction.Model"/> and push the results.</summary>
    Analyze,

    /// <summary>Do nothing (and stop trying later rules).</summary>
    Ignore,
}

/// <summary>What to push to a destination: SEG and SR, the Secondary Capture + Key Object fallback, or both.</summary>
public enum ResultFormat { SegSr, Fallback, Both }

public sealed class RuleAction
{
    public RuleActionKind Kind { get; set; } = RuleActionKind.Analyze;

    /// <summary>The model id (the folder name under models/); required for Analyze.</summary>
    public string? Model { get; set; }

    public List<RuleDestination> Destinations { get; set; } = [];
}

public sealed class RuleDestination
{
    /// <summary>The name of a configured destination (MedNode:Destinations).</summary>
    public string Name { get; set; } = "";

    public ResultFormat Format { get; set; } = ResultFormat.SegSr;
}
