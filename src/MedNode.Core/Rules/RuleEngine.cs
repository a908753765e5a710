using System.Globalization;
using MedNode.Dicom;

namespace MedNode.Core.Rules;

/// <summary>One condition of one rule, and whether it held.</summary>
public sealed record RuleCheck(string Condition, bool Passed, string Detail);

/// <summary>How one rule fared against a subject.</summary>
public sealed record RuleEvaluation(string Rule, bool Enabled, bool Matched, IReadOnlyList<RuleCheck> Checks);

/// <summary>The decision: the rule that fired (null when none did) and every rule's evaluation, for the rule tester.</summary>
public sealed record RuleDecision(RoutingRule? Rule, IReadOnlyList<RuleEvaluation> Evaluations)
{
    public bool Analyze => Rule?.Action.Kind == RuleActionKind.Analyze;

    public string Explanation => Rule == null
        ? "No enabled rule matched."
        : $"Rule '{Rule.Name}' fired: {Rule.Action.Kind}" + (Rule.Action.Model is { } m ? $" with model '{m}'" : "") + ".";
}

/// <summary>
/// The routing rules, validated and compiled once (<see cref="Create"/>), then evaluated in order for each completed
/// series. A rule set that fails validation is never half-applied: <see cref="Create"/> throws with every problem.
/// </summary>
public sealed class RuleEngine
{
    private readonly List<CompiledRule> _rules;

    private RuleEngine(List<CompiledRule> rules) => _rules = rules;

    public IReadOnlyList<RoutingRule> Rules => _rules.Select(r => r.Rule).ToList();

    /// <summary>
    /// Checks the rules: names present and unique, patterns and tag names valid, a model for Analyze, known destinations
    /// and models. Each message starts with the rule's name (<c>rule 'ct': ...</c>) or, when <paramref name="section"/>
    /// gives the configuration key of the list (<c>MedNode:Rules</c>), with the full key of the setting
    /// (<c>MedNode:Rules:0:Action:Model: ...</c>).
    /// </summary>
    public static IReadOnlyList<string> Validate(IEnumerable<RoutingRule> rules, ISet<string>? knownDestinations = null, ISet<string>? knownModels = null, string? section = null)
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        foreach (var rule in rules)
        {
            var where = string.IsNullOrWhiteSpace(rule.Name) ? $"rule #{i}" : $"rule '{rule.Name}'";
            var entry = section == null ? null : $"{section}:{i.ToString(CultureInfo.InvariantCulture)}";
            string At(string key) => entry == null ? $"{where}: " : $"{entry}:{key}: ";
            if (string.IsNullOrWhiteSpace(rule.Name)) errors.Add($"{At("Name")}Name is required.");
            else if (!names.Add(rule.Name)) errors.Add($"{At("Name")}the name is used by another rule.");
            Compile(rule, errors, key => At("Match:" + key));
            if (rule.Action.Kind == RuleActionKind.Analyze && string.IsNullOrWhiteSpace(rule.Action.Model)) errors.Add($"{At("Action:Model")}an Analyze action needs a Model.");
            if (knownModels != null && rule.Action.Model is { } m && !knownModels.Contains(m)) errors.Add($"{At("Action:Model")}model '{m}' is not installed.");
            for (var j = 0; j < rule.Action.Destinations.Count; j++)
            {
                var d = rule.Action.Destinations[j];
                var at = At($"Action:Destinations:{j.ToString(CultureInfo.InvariantCulture)}:Name");
                if (string.IsNullOrWhiteSpace(d.Name)) errors.Add($"{at}a destination has no Name.");
                else if (knownDestinations != null && !knownDestinations.Contains(d.Name)) errors.Add($"{at}destination '{d.Name}' is not configured.");
            }
            if (rule.Match.MinSlices is < 0) errors.Add($"{At("Match:MinSlices")}MinSlices must not be negative.");
            i++;
        }
        return errors;
    }

    /// <summary>Validates and compiles; throws <see cref="ArgumentException"/> listing every problem.</summary>
    public static RuleEngine Create(IEnumerable<RoutingRule> rules, ISet<string>? knownDestinations = null, ISet<string>? knownModels = null)
    {
        var list = rules.ToList();
        var errors = Validate(list, knownDestinations, knownModels);
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors), nameof(rules));
        return new RuleEngine(list.Select(r => Compile(r, [], _ => "")).ToList());
    }

    public RuleDecision Evaluate(RuleSubject subject)
    {
        var evaluations = new List<RuleEvaluation>();
        RoutingRule? fired = null;
        foreach (var rule in _rules)
        {
            var checks = rule.Checks.Select(c => c(subject)).ToList();
            var matched = rule.Rule.Enabled && checks.TrueForAll(c => c.Passed);
            evaluations.Add(new RuleEvaluation(rule.Rule.Name, rule.Rule.Enabled, matched, checks));
            if (matched && fired == null) fired = rule.Rule;
        }
        return new RuleDecision(fired, evaluations);
    }

    private sealed record CompiledRule(RoutingRule Rule, List<Func<RuleSubject, RuleCheck>> Checks);

    /// <summary>Compiles the rule's match; a bad pattern or tag goes to <paramref name="errors"/>, after <paramref name="at"/> of its Match setting.</summary>
    private static CompiledRule Compile(RoutingRule rule, List<string> errors, Func<string, string> at)
    {
        var m = rule.Match;
        var checks = new List<Func<RuleSubject, RuleCheck>>();
        void AnyOf(string name, List<string> allowed, Func<RuleSubject, string?> value)
        {
            if (allowed.Count == 0) return;
            checks.Add(s =>
            {
                var v = value(s) ?? "";
                var ok = allowed.Any(a => string.Equals(a.Trim(), v.Trim(), StringComparison.OrdinalIgnoreCase));
                return new RuleCheck(name, ok, $"'{v}' {(ok ? "is" : "is not")} one of [{string.Join(", ", allowed)}]");
            });
        }
        AnyOf("CallingAeTitles", m.CallingAeTitles, s => s.CallingAeTitle);
        AnyOf("CalledAeTitles", m.CalledAeTitles, s => s.CalledAeTitle);
        AnyOf("Modalities", m.Modalities, s => s.Modality);
        AnyOf("BodyParts", m.BodyParts, s => s.BodyPart);
        AnyOf("SopClassUids", m.SopClassUids, s => s.SopClassUid);
        if (m.SeriesDescription is { } pattern)
        {
            if (RulePattern.TryCreate(pattern, out var err) is { } p)
                checks.Add(s => new RuleCheck("SeriesDescription", p.IsMatch(s.SeriesDescription), $"'{s.SeriesDescription}' {(p.IsMatch(s.SeriesDescription) ? "matches" : "does not match")} '{pattern}'"));
            else
                errors.Add($"{at("SeriesDescription")}SeriesDescription {err}");
        }
        if (m.MinSlices is { } min)
            checks.Add(s => new RuleCheck("MinSlices", s.SliceCount >= min, $"{s.SliceCount} instance(s), at least {min} required"));
        foreach (var (key, text) in m.Tags)
        {
            if (!TryResolveTag(key, out var tag)) { errors.Add($"{at("Tags:" + key)}Tags: '{key}' is neither a DICOM keyword nor ggggeeee."); continue; }
            if (RulePattern.TryCreate(text, out var tagError) is not { } tp) { errors.Add($"{at("Tags:" + key)}Tags: {key}: {tagError}"); continue; }
            checks.Add(s =>
            {
                var values = s.Dataset.Contains(tag) ? s.Dataset.GetStrings(tag) : [];
                var ok = values.Any(tp.IsMatch);
                return new RuleCheck($"Tags[{key}]", ok, values.Length == 0 ? $"{key} is absent" : $"{key} {(ok ? "matches" : "does not match")} '{text}'");
            });
        }
        return new CompiledRule(rule, checks);
    }

    private static bool TryResolveTag(string key, out DicomTag tag)
    {
        if (DicomDictionary.Find(key) is { } entry) { tag = entry.Tag; return true; }
        if (key.Length == 8 && uint.TryParse(key, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var raw)) { tag = new DicomTag(raw); return true; }
        tag = default;
        return false;
    }
}
