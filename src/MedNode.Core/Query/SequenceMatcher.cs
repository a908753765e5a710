using System.Globalization;
using MedNode.Dicom;

namespace MedNode.Core.Query;

/// <summary>
/// Sequence Matching (PS3.4 C.2.2.2.6) of a <see cref="SequenceKey"/> against a stored data set: the key matches when any
/// item of the stored sequence matches every Item Key Attribute (each by <see cref="QueryMatcher.Matches(QueryKey, string)"/>,
/// a multi-valued stored value when any one of its values does) and every nested sequence key. The response sequence holds
/// the matching items, each with the requested Item Key Attributes (empty where the item lacks one); a key with no Item Key
/// Attributes is Universal Matching and returns the stored sequence whole.
/// </summary>
public static class SequenceMatcher
{
    /// <summary>The sequence to return when <paramref name="key"/> matches <paramref name="stored"/>, or null when it does not.</summary>
    public static DicomSequence? Match(SequenceKey key, DicomDataset stored)
    {
        var storedSequence = stored[key.Tag] as DicomSequence;
        if (key.ReturnsWhole)
        {
            var whole = new DicomSequence(key.Tag);
            if (storedSequence != null) whole.Items.AddRange(storedSequence.Items.Select(i => i.Clone()));
            return whole;
        }
        // A key whose Item Key Attributes are all universal also matches a stored sequence that is absent or empty.
        bool allUniversal = key.ItemKeys.All(k => k.Kind == MatchKind.Universal) && key.NestedKeys.All(n => n.ReturnsWhole);
        var result = new DicomSequence(key.Tag);
        foreach (var item in storedSequence?.Items ?? [])
            if (MatchItem(key, item) is { } projected) result.Items.Add(projected);
        return result.Items.Count > 0 || allUniversal ? result : null;
    }

    private static DicomDataset? MatchItem(SequenceKey key, DicomDataset item)
    {
        var projected = new DicomDataset();
        foreach (var itemKey in key.ItemKeys)
        {
            if (!Matches(itemKey, item)) return null;
            projected.Add(item[itemKey.Tag] is DicomElement element ? element : Empty(itemKey));
        }
        foreach (var nested in key.NestedKeys)
        {
            if (Match(nested, item) is not { } sequence) return null;
            projected.Add(sequence);
        }
        return projected;
    }

    private static bool Matches(QueryKey key, DicomDataset item)
    {
        if (key.Kind == MatchKind.Universal) return true;
        if (item[key.Tag] is not DicomElement element) return QueryMatcher.Matches(key, "");
        if (!element.VR.IsString())
            return QueryMatcher.Matches(key, item.GetInt(key.Tag)?.ToString(CultureInfo.InvariantCulture) ?? "");
        var raw = item.GetRawString(key.Tag) ?? "";
        if (QueryMatcher.Matches(key, raw)) return true;
        // PS3.4 C.2.2.2: a multi-valued stored attribute matches when one of its values does.
        var values = item.GetStrings(key.Tag);
        return values.Length > 1 && values.Any(v => QueryMatcher.Matches(key, v));
    }

    private static DicomElement Empty(QueryKey key) => new(key.Tag, key.Attribute.VR, MedNode.Dicom.Buffers.MemoryByteBuffer.Empty);
}
