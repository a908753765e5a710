using MedNode.Dicom;

namespace MedNode.Core.Query;

/// <summary>The Query/Retrieve level (PS3.4 C.6): the entity a query returns.</summary>
public enum QueryLevel { Patient, Study, Series, Image }

/// <summary>The kinds of attribute matching of PS3.4 C.2.2.2.</summary>
public enum MatchKind
{
    /// <summary>PS3.4 C.2.2.2.3: an empty value (or <c>*</c> alone) matches every entity.</summary>
    Universal,
    /// <summary>PS3.4 C.2.2.2.1: the value must equal the stored value (PN: case-insensitive, permitted by that section).</summary>
    SingleValue,
    /// <summary>PS3.4 C.2.2.2.2: a list of UIDs; any one may match.</summary>
    UidList,
    /// <summary>PS3.4 C.2.2.2.4: <c>*</c> any run of characters, <c>?</c> one character.</summary>
    Wildcard,
    /// <summary>PS3.4 C.2.2.2.5: a DA, TM or DT range <c>low-high</c>, <c>-high</c> or <c>low-</c>.</summary>
    Range,
}

/// <summary>One matching key of a query.</summary>
/// <param name="Values">For <see cref="MatchKind.UidList"/> the UIDs, for ModalitiesInStudy the listed modalities, else the one value.</param>
/// <param name="RangeLow">Inclusive lower bound of a range, or null when open.</param>
/// <param name="RangeHigh">Inclusive upper bound of a range, or null when open (a prefix: "12" includes 12:59).</param>
public sealed record QueryKey(QueryAttribute Attribute, MatchKind Kind, IReadOnlyList<string> Values, string? RangeLow = null, string? RangeHigh = null)
{
    public DicomTag Tag => Attribute.Tag;

    public string Value => Values.Count > 0 ? Values[0] : "";
}

/// <summary>
/// A key structured as a Sequence of Items (PS3.4 C.2.2.2.6): the stored sequence matches when any one of its items matches
/// every <see cref="ItemKeys"/> (and every <see cref="NestedKeys"/>). With no item keys at all (zero items, or one empty
/// item) it is Universal Matching and the stored sequence is returned whole.
/// </summary>
/// <param name="ItemKeys">The Item Key Attributes that are not sequences, Universal ones included (they are returned).</param>
/// <param name="NestedKeys">Item Key Attributes that are themselves sequences.</param>
public sealed record SequenceKey(DicomTag Tag, IReadOnlyList<QueryKey> ItemKeys, IReadOnlyList<SequenceKey> NestedKeys)
{
    /// <summary>No Item Key Attributes: universal, and the whole stored sequence is returned.</summary>
    public bool ReturnsWhole => ItemKeys.Count == 0 && NestedKeys.Count == 0;
}

/// <summary>
/// A query parsed from a C-FIND identifier (PS3.4 C.4.1.1.3) or QIDO-RS parameters (PS3.18 §8.3.4): the level, the matching
/// keys, the attributes to return, and paging.
/// </summary>
public sealed record DicomQuery
{
    public required QueryLevel Level { get; init; }

    /// <summary>Keys with a non-universal matching kind; all must match (PS3.4 C.2.2.1).</summary>
    public IReadOnlyList<QueryKey> MatchingKeys { get; init; } = [];

    /// <summary>
    /// Sequence keys (PS3.4 C.2.2.2.6), matched against the stored instance's data set by <see cref="SequenceMatchingQueryIndex"/>
    /// after the indexed keys; their tags are also in <see cref="ReturnKeys"/> (C-FIND) or returned (QIDO-RS).
    /// </summary>
    public IReadOnlyList<SequenceKey> SequenceKeys { get; init; } = [];

    /// <summary>Attributes to return beyond the level's defaults (C-FIND: every key of the identifier).</summary>
    public IReadOnlyList<DicomTag> ReturnKeys { get; init; } = [];

    /// <summary>QIDO-RS <c>includefield=all</c>.</summary>
    public bool IncludeAll { get; init; }

    /// <summary>QIDO-RS <c>limit</c>; null for no limit.</summary>
    public int? Limit { get; init; }

    public int Offset { get; init; }

    /// <summary>QIDO-RS <c>fuzzymatching=true</c> (PS3.18 §8.3.4.1): accepted; PN matching is already case-insensitive.</summary>
    public bool FuzzyMatching { get; init; }

    /// <summary>True for a C-FIND identifier: the response holds exactly the requested keys (PS3.4 C.4.1.1.3.2).</summary>
    public bool FromCFind { get; init; }
}

/// <summary>A query the node cannot run as written: unknown attribute, bad range, bad paging. Maps to HTTP 400 and to C-FIND 0xA900/0xC000.</summary>
public sealed class QueryParseException : Exception
{
    public QueryParseException() { }

    public QueryParseException(string message) : base(message) { }

    public QueryParseException(string message, Exception inner) : base(message, inner) { }
}
