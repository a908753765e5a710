using System.Globalization;
using System.Text.RegularExpressions;
using MedNode.Dicom;

namespace MedNode.Core.Query;

/// <summary>
/// Builds a <see cref="DicomQuery"/> from a C-FIND identifier (PS3.4 C.4.1.1.3) or from QIDO-RS query parameters
/// (PS3.18 §8.3.4), so that one matcher answers both.
/// </summary>
public static partial class DicomQueryParser
{
    /// <summary>Parses a C-FIND identifier: Query/Retrieve Level (0008,0052) and one element per key.</summary>
    public static DicomQuery FromDataset(DicomDataset identifier)
    {
        var levelText = identifier.GetString(DicomTags.QueryRetrieveLevel)?.Trim()
            ?? throw new QueryParseException("Query/Retrieve Level (0008,0052) is missing.");
        var level = ParseLevel(levelText);
        var keys = new List<QueryKey>();
        var returnKeys = new List<DicomTag>();
        var sequenceKeys = new List<SequenceKey>();
        foreach (var item in identifier)
        {
            if (item.Tag == DicomTags.QueryRetrieveLevel || item.Tag == DicomTags.SpecificCharacterSet || item.Tag.IsGroupLength) continue;
            returnKeys.Add(item.Tag);
            if (item is DicomSequence sequence)
            {
                sequenceKeys.Add(ParseSequenceKey(sequence, level, depth: 1));
                continue;
            }
            var value = ElementValue(identifier, item);
            if (QueryAttributes.Find(item.Tag) is { } attribute)
            {
                var key = ParseKey(attribute, value, qido: false);
                if (key.Kind != MatchKind.Universal) keys.Add(key);
            }
            else if (value.Length > 0 && value != "*")
            {
                throw new QueryParseException($"Matching on {item.Tag} is not supported; send it empty as a return key.");
            }
        }
        return new DicomQuery { Level = level, MatchingKeys = keys, ReturnKeys = returnKeys, SequenceKeys = sequenceKeys, FromCFind = true };
    }

    /// <summary>How deep sequence keys may nest in an identifier.</summary>
    public const int MaxSequenceKeyDepth = 4;

    /// <summary>
    /// PS3.4 C.2.2.2.6: a sequence key holds a single item (or none); each element of that item is an Item Key Attribute,
    /// matched by the kinds of C.2.2.2.1 to C.2.2.2.5 (its VR as read), a nested sequence being a sequence key again.
    /// </summary>
    private static SequenceKey ParseSequenceKey(DicomSequence sequence, QueryLevel level, int depth)
    {
        if (depth > MaxSequenceKeyDepth) throw new QueryParseException($"Sequence keys nest at most {MaxSequenceKeyDepth} deep.");
        if (sequence.Items.Count > 1)
            throw new QueryParseException($"The sequence key {sequence.Tag} holds {sequence.Items.Count} items; PS3.4 C.2.2.2.6 allows a single item.");
        var itemKeys = new List<QueryKey>();
        var nested = new List<SequenceKey>();
        if (sequence.Items.Count == 1)
        {
            var item = sequence.Items[0];
            foreach (var element in item)
            {
                if (element.Tag.IsGroupLength || element.Tag == DicomTags.SpecificCharacterSet) continue;
                if (element is DicomSequence inner) nested.Add(ParseSequenceKey(inner, level, depth + 1));
                else itemKeys.Add(ParseKey(ItemAttribute(element.Tag, element.VR, level), ElementValue(item, element), qido: false));
            }
        }
        return new SequenceKey(sequence.Tag, itemKeys, nested);
    }

    /// <summary>An Item Key Attribute: matched against a stored item's value, so it reads nothing from the index.</summary>
    private static QueryAttribute ItemAttribute(DicomTag tag, DicomVR vr, QueryLevel level) =>
        new(tag, DicomDictionary.Find(tag)?.Keyword ?? tag.ToString(), vr, level, _ => "");

    /// <summary>A key's value as text: strings as sent (all values), binary integers in decimal.</summary>
    private static string ElementValue(DicomDataset ds, DicomItem item) =>
        item is not DicomElement ? "" : item.VR.IsString() ? ds.GetRawString(item.Tag) ?? "" : ds.GetInt(item.Tag)?.ToString(CultureInfo.InvariantCulture) ?? "";

    /// <summary>
    /// Parses QIDO-RS parameters (PS3.18 §8.3.4): <c>{attributeID}={value}</c> with a keyword or tag, <c>includefield</c>
    /// repeated or comma-separated or <c>all</c>, <c>limit</c>, <c>offset</c>, <c>fuzzymatching</c>. The UIDs of the path
    /// scope the query as single-value keys.
    /// </summary>
    public static DicomQuery FromQido(QueryLevel level, IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> parameters, string? studyUid = null, string? seriesUid = null)
    {
        var keys = new Dictionary<DicomTag, QueryKey>();
        var include = new List<DicomTag>();
        var sequenceItemKeys = new Dictionary<DicomTag, Dictionary<DicomTag, QueryKey>>();
        bool all = false, fuzzy = false;
        int? limit = null;
        int offset = 0;
        foreach (var (name, values) in parameters)
        {
            switch (name)
            {
                case "includefield":
                    foreach (var field in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
                    {
                        if (field == "all") all = true;
                        else if (QueryAttributes.TryResolveTag(field, out var tag)) include.Add(tag);
                        else throw new QueryParseException($"includefield: unknown attribute '{Printable(field)}'.");
                    }
                    break;
                case "limit":
                    limit = ParseNonNegative(name, values);
                    break;
                case "offset":
                    offset = ParseNonNegative(name, values);
                    break;
                case "fuzzymatching":
                    fuzzy = Single(name, values) switch
                    {
                        "true" => true,
                        "false" => false,
                        var v => throw new QueryParseException($"fuzzymatching must be true or false, not '{Printable(v)}'."),
                    };
                    break;
                case var path when path.Contains('.', StringComparison.Ordinal):
                    var (sequenceTag, itemKey) = ParseQidoSequenceKey(level, path, Single(name, values));
                    var items = sequenceItemKeys.TryGetValue(sequenceTag, out var existing) ? existing : sequenceItemKeys[sequenceTag] = [];
                    if (!items.TryAdd(itemKey.Tag, itemKey)) throw new QueryParseException($"Attribute '{Printable(name)}' is given more than once.");
                    break;
                default:
                    if (!QueryAttributes.TryResolveTag(name, out var keyTag))
                        throw new QueryParseException($"Unknown query parameter or attribute '{Printable(name)}'.");
                    var attribute = QueryAttributes.Find(keyTag)
                        ?? throw new QueryParseException($"Matching on {Printable(name)} is not supported; use includefield to return it.");
                    if (keys.ContainsKey(keyTag)) throw new QueryParseException($"Attribute '{Printable(name)}' is given more than once.");
                    var key = ParseKey(attribute, Single(name, values), qido: true);
                    if (key.Kind != MatchKind.Universal) keys[keyTag] = key;
                    break;
            }
        }
        if (studyUid != null) keys[DicomTags.StudyInstanceUID] = ScopeKey(DicomTags.StudyInstanceUID, studyUid);
        if (seriesUid != null) keys[DicomTags.SeriesInstanceUID] = ScopeKey(DicomTags.SeriesInstanceUID, seriesUid);
        // includefield naming a sequence returns it whole (a universal sequence key), unless it is also matched on.
        var sequenceKeys = sequenceItemKeys.Select(kv => new SequenceKey(kv.Key, [.. kv.Value.Values], [])).ToList();
        foreach (var tag in include.Distinct())
            if (DicomDictionary.ImplicitVR(tag) == DicomVR.SQ && !sequenceItemKeys.ContainsKey(tag)) sequenceKeys.Add(new SequenceKey(tag, [], []));
        return new DicomQuery
        {
            Level = level, MatchingKeys = [.. keys.Values], ReturnKeys = include, SequenceKeys = sequenceKeys, IncludeAll = all, Limit = limit,
            Offset = offset, FuzzyMatching = fuzzy,
        };
    }

    /// <summary>
    /// A QIDO-RS key on an attribute inside a sequence (PS3.18 §8.3.4.1: <c>{sequence}.{attribute}</c>, keywords or tags):
    /// keys naming the same sequence are Item Key Attributes of one sequence key, matched within one item (PS3.4 C.2.2.2.6).
    /// One level of nesting is supported.
    /// </summary>
    private static (DicomTag Sequence, QueryKey Key) ParseQidoSequenceKey(QueryLevel level, string path, string value)
    {
        var parts = path.Split('.');
        if (parts.Length != 2) throw new QueryParseException($"'{Printable(path)}': sequence keys are supported one level deep (Sequence.Attribute).");
        if (!QueryAttributes.TryResolveTag(parts[0], out var sequenceTag) || DicomDictionary.ImplicitVR(sequenceTag) != DicomVR.SQ)
            throw new QueryParseException($"'{Printable(path)}': '{Printable(parts[0])}' is not a sequence attribute.");
        if (!QueryAttributes.TryResolveTag(parts[1], out var itemTag))
            throw new QueryParseException($"'{Printable(path)}': unknown attribute '{Printable(parts[1])}'.");
        var vr = DicomDictionary.ImplicitVR(itemTag);
        if (vr == DicomVR.SQ) throw new QueryParseException($"'{Printable(path)}': sequence keys are supported one level deep (Sequence.Attribute).");
        return (sequenceTag, ParseKey(ItemAttribute(itemTag, vr, level), value, qido: true));
    }

    public static QueryLevel ParseLevel(string text) => text switch
    {
        "PATIENT" => QueryLevel.Patient,
        "STUDY" => QueryLevel.Study,
        "SERIES" => QueryLevel.Series,
        "IMAGE" => QueryLevel.Image,
        _ => throw new QueryParseException($"Query/Retrieve Level '{Printable(text)}' is not PATIENT, STUDY, SERIES or IMAGE."),
    };

    /// <summary>Chooses the matching kind of one key value (PS3.4 C.2.2.2) and checks its syntax.</summary>
    public static QueryKey ParseKey(QueryAttribute attribute, string value, bool qido)
    {
        value = attribute.VR == DicomVR.UI ? value.TrimEnd('\0', ' ') : value.Trim();
        if (value.Length == 0 || value == "*") return new QueryKey(attribute, MatchKind.Universal, []);
        var vr = attribute.VR;
        if (vr is DicomVR.DA or DicomVR.TM or DicomVR.DT)
        {
            int dash = value.IndexOf('-', StringComparison.Ordinal);
            if (vr == DicomVR.DT && dash >= 0 && IsDateTime(value)) dash = -1; // "-0500" offset inside a DT value
            if (dash < 0)
            {
                CheckTemporal(attribute, value);
                return new QueryKey(attribute, MatchKind.SingleValue, [value]);
            }
            string low = value[..dash], high = value[(dash + 1)..];
            if (low.Length == 0 && high.Length == 0) throw new QueryParseException($"{attribute.Keyword}: a range needs at least one bound.");
            if (low.Length > 0) CheckTemporal(attribute, low);
            if (high.Length > 0) CheckTemporal(attribute, high);
            if (low.Length > 0 && high.Length > 0 && string.CompareOrdinal(low, high) > 0 && !high.StartsWith(low[..Math.Min(low.Length, high.Length)], StringComparison.Ordinal))
                throw new QueryParseException($"{attribute.Keyword}: range start {low} is after its end {high}.");
            return new QueryKey(attribute, MatchKind.Range, [value], low.Length > 0 ? low : null, high.Length > 0 ? high : null);
        }
        char[] separators = qido ? [',', '\\'] : ['\\'];
        if (vr == DicomVR.UI)
        {
            var uids = value.Split(separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var uid in uids)
                if (!UidPattern().IsMatch(uid)) throw new QueryParseException($"{attribute.Keyword}: '{Printable(uid)}' is not a UID.");
            return uids.Length == 1 ? new QueryKey(attribute, MatchKind.SingleValue, uids) : new QueryKey(attribute, MatchKind.UidList, uids);
        }
        if (attribute.IsStudyAggregate)
        {
            var modalities = value.Split(separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return new QueryKey(attribute, MatchKind.SingleValue, modalities);
        }
        bool hasWildcard = value.Contains('*', StringComparison.Ordinal) || value.Contains('?', StringComparison.Ordinal);
        if (vr is DicomVR.IS or DicomVR.US)
        {
            if (hasWildcard || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                throw new QueryParseException($"{attribute.Keyword}: '{Printable(value)}' is not an integer.");
            return new QueryKey(attribute, MatchKind.SingleValue, [value.TrimStart('+')]);
        }
        return new QueryKey(attribute, hasWildcard ? MatchKind.Wildcard : MatchKind.SingleValue, [value]);
    }

    private static QueryKey ScopeKey(DicomTag tag, string uid) => ParseKey(QueryAttributes.Find(tag)!, uid, qido: false) is { Kind: MatchKind.SingleValue } key
        ? key
        : throw new QueryParseException("The path holds a value that is not a single UID.");

    private static void CheckTemporal(QueryAttribute attribute, string value)
    {
        bool ok = attribute.VR switch
        {
            DicomVR.DA => DatePattern().IsMatch(value) && DicomValues.TryParseDate(value, out _),
            DicomVR.TM => TimePattern().IsMatch(value),
            _ => IsDateTime(value),
        };
        if (!ok) throw new QueryParseException($"{attribute.Keyword}: '{Printable(value)}' is not a valid {attribute.VR} value.");
    }

    private static bool IsDateTime(string value) => DateTimePattern().IsMatch(value);

    private static string Single(string name, IReadOnlyList<string> values) =>
        values.Count == 1 ? values[0] : throw new QueryParseException($"'{Printable(name)}' must be given once.");

    private static int ParseNonNegative(string name, IReadOnlyList<string> values) =>
        int.TryParse(Single(name, values), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new QueryParseException($"{name} must be a non-negative integer.");

    /// <summary>Echoes request text in messages without control characters and at bounded length.</summary>
    private static string Printable(string s)
    {
        var clean = new string([.. s.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
        return s.Length > 64 ? clean + "…" : clean;
    }

    [GeneratedRegex(@"^[0-9]{8}$")]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^([01][0-9]|2[0-3])([0-5][0-9]([0-5][0-9](\.[0-9]{1,6})?)?)?$")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^[0-9]{4}(([0-9]{2}){0,5}(\.[0-9]{1,6})?)?([+-][0-9]{4})?$")]
    private static partial Regex DateTimePattern();

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)*$")]
    private static partial Regex UidPattern();
}
