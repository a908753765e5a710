using MedNode.Core.Index;
using MedNode.Dicom;

namespace MedNode.Core.Query;

/// <summary>
/// Attribute matching of PS3.4 C.2.2.2 over indexed instances, in memory. <c>MedNode.Persistence</c> translates the same
/// rules to SQL; both are held to the same tests.
/// </summary>
public static class QueryMatcher
{
    /// <summary>Whether an instance satisfies every key; <paramref name="modalitiesInStudy"/> serves ModalitiesInStudy.</summary>
    public static bool Matches(DicomQuery query, InstanceRecord record, IReadOnlyCollection<string> modalitiesInStudy) =>
        query.MatchingKeys.All(k => k.Attribute.IsStudyAggregate
            ? k.Values.Any(m => modalitiesInStudy.Contains(m, StringComparer.Ordinal))
            : Matches(k, k.Attribute.Read(record)));

    /// <summary>Whether a stored value satisfies one key.</summary>
    public static bool Matches(QueryKey key, string stored)
    {
        bool pn = key.Attribute.VR == DicomVR.PN;
        switch (key.Kind)
        {
            case MatchKind.Universal:
                return true;
            case MatchKind.SingleValue:
                // PS3.4 C.2.2.2.1: exact, case-sensitive; PN may be case-insensitive and is here.
                return pn ? string.Equals(NormalizePersonName(stored), NormalizePersonName(key.Value), StringComparison.Ordinal)
                          : string.Equals(stored, key.Value, StringComparison.Ordinal);
            case MatchKind.UidList:
                return key.Values.Contains(stored, StringComparer.Ordinal);
            case MatchKind.Wildcard:
                return pn ? WildcardMatch(NormalizePersonName(key.Value), NormalizePersonName(stored)) : WildcardMatch(key.Value, stored);
            case MatchKind.Range:
                // PS3.4 C.2.2.2.5: inclusive bounds; an empty stored value does not fall in any range.
                if (stored.Length == 0) return false;
                if (key.RangeLow != null && string.CompareOrdinal(stored, key.RangeLow) < 0) return false;
                return key.RangeHigh == null || string.CompareOrdinal(stored, UpperBound(key.RangeHigh)) <= 0;
            default:
                return false;
        }
    }

    /// <summary>The upper bound as a string that sorts after every value it is a prefix of ("12" covers 12:59:59.999999).</summary>
    public static string UpperBound(string high) => high + "~";

    /// <summary>The form in which PN values are compared and indexed: upper case, trailing empty components dropped.</summary>
    public static string NormalizePersonName(string value) => value.TrimEnd('^', '=', ' ').ToUpperInvariant();

    /// <summary>PS3.4 C.2.2.2.4: <c>*</c> matches any run of characters (also none), <c>?</c> exactly one.</summary>
    public static bool WildcardMatch(string pattern, string value)
    {
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == value[v])) { p++; v++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = v; }
            else if (star >= 0) { p = star + 1; v = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
