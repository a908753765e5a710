using System.Collections.Generic;

namespace MedNode.Dicom;

/// <summary>
/// The PS3.6 data dictionary (plus the PS3.7 command group). Lookups by tag and by keyword are O(1) (frozen hash
/// tables); repeating groups (50xx, 60xx, 7Fxx) and ranges are resolved by masking the tag with each of the
/// few distinct masks and looking the result up, most specific mask first.
/// The rows come from <see cref="DicomDictionaryData"/>, which tools/DictionaryGenerator writes.
/// </summary>
public static class DicomDictionary
{
    private static readonly Dictionary<uint, DicomDictionaryEntry> ByTag;
    private static readonly Dictionary<string, DicomDictionaryEntry> ByKeyword;
    private static readonly (uint Mask, Dictionary<uint, DicomDictionaryEntry> Entries)[] Masked;

    static DicomDictionary()
    {
        var all = DicomDictionaryData.Entries;
        ByTag = all.Where(e => e.Mask == 0xFFFFFFFF).ToDictionary(e => e.Tag.Value);
        Masked = all.Where(e => e.Mask != 0xFFFFFFFF)
            .GroupBy(e => e.Mask)
            .OrderByDescending(g => uint.PopCount(g.Key)).ThenByDescending(g => g.Key)
            .Select(g => (g.Key, g.ToDictionary(e => e.Tag.Value)))
            .ToArray();
        ByKeyword = all.Where(e => e.Keyword.Length > 0)
            .GroupBy(e => e.Keyword, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    /// <summary>All rows, in tag order.</summary>
    public static IReadOnlyList<DicomDictionaryEntry> Entries => DicomDictionaryData.Entries;

    /// <summary>
    /// The entry for a tag, or null for an unknown or private tag. Group length (gggg,0000) resolves to a generic UL
    /// entry (PS3.5 §7.2), a private creator (gggg,0010-00FF) in an odd group to a generic LO entry (PS3.5 §7.8.1).
    /// </summary>
    public static DicomDictionaryEntry? Find(DicomTag tag)
    {
        if (ByTag.TryGetValue(tag.Value, out var entry)) return entry;
        if (tag.IsGroupLength) return GroupLength(tag);
        if (tag.IsPrivateCreator) return PrivateCreator(tag);
        if (tag.IsPrivate) return null;
        foreach (var (mask, entries) in Masked)
        {
            if (entries.TryGetValue(tag.Value & mask, out var m)) return m;
        }
        return null;
    }

    /// <summary>The entry for a PS3.6 keyword, or null.</summary>
    public static DicomDictionaryEntry? Find(string keyword) => ByKeyword.GetValueOrDefault(keyword);

    /// <summary>The VR to assume in implicit VR encoding: the dictionary's first VR, UL for group lengths, LO for private creators, otherwise UN.</summary>
    public static DicomVR ImplicitVR(DicomTag tag) => Find(tag)?.DefaultVR ?? DicomVR.UN;

    private static DicomDictionaryEntry GroupLength(DicomTag tag) =>
        new(tag, 0xFFFFFFFF, "GenericGroupLength", "Generic Group Length", [DicomVR.UL], "1", tag.Group != 0x0002);

    private static DicomDictionaryEntry PrivateCreator(DicomTag tag) =>
        new(tag, 0xFFFFFFFF, "PrivateCreator", "Private Creator", [DicomVR.LO], "1", false);
}
