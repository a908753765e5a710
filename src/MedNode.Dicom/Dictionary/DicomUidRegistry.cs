using System.Collections.Generic;

namespace MedNode.Dicom;

/// <summary>
/// The UIDs of PS3.6 Annex A that MedNode knows: every storage SOP class of the standard, the transfer syntaxes
/// of <see cref="DicomTransferSyntax"/> and the well-known service UIDs. Lookups by UID and keyword are O(1).
/// The rows come from Generated/DicomUidRegistryData.cs, which tools/DictionaryGenerator writes.
/// </summary>
public static class DicomUidRegistry
{
    private static readonly Dictionary<string, DicomUidEntry> ByUid =
        DicomUidRegistryData.Entries.ToDictionary(e => e.Uid, StringComparer.Ordinal);

    private static readonly Dictionary<string, DicomUidEntry> ByKeyword =
        DicomUidRegistryData.Entries.ToDictionary(e => e.Keyword, StringComparer.Ordinal);

    /// <summary>All entries, ordered by UID (numeric components compared).</summary>
    public static IReadOnlyList<DicomUidEntry> Entries { get; } = Array.AsReadOnly(DicomUidRegistryData.Entries);

    /// <summary>Every storage SOP class (<see cref="DicomUidEntry.IsStorage"/>): what a Storage SCP accepts.</summary>
    public static IReadOnlyList<DicomUidEntry> StorageSopClasses { get; } =
        Array.AsReadOnly(DicomUidRegistryData.Entries.Where(e => e.IsStorage).ToArray());

    /// <summary>
    /// The entry for a UID, or null. Trailing NUL and space padding (PS3.5 §6.2, UI pads with NUL) is ignored.
    /// </summary>
    public static DicomUidEntry? Find(string uid) => ByUid.GetValueOrDefault(uid.TrimEnd('\0', ' '));

    /// <summary>The entry whose keyword (the <see cref="DicomUids"/> member name) is given, or null.</summary>
    public static DicomUidEntry? FindByKeyword(string keyword) => ByKeyword.GetValueOrDefault(keyword);

    /// <summary>True when the UID is a storage SOP class of a composite IOD.</summary>
    public static bool IsStorageSopClass(string uid) => Find(uid)?.IsStorage == true;
}
