namespace MedNode.Dicom;

/// <summary>
/// Decodes the row table that tools/DictionaryGenerator writes into Generated/DicomDictionaryData.cs.
/// One line per row: <c>tag|mask|VRs|VM|R|keyword|name</c>, tag and mask as 8 hex digits (mask empty for an
/// ordinary tag), VRs separated by '/', "R" for retired. One string literal compiles in a fraction of the time
/// a 5,000-element array initializer takes and keeps the type initializer small; parsing it costs about a
/// millisecond once, after which <see cref="DicomDictionary"/> looks rows up in O(1).
/// </summary>
internal static partial class DicomDictionaryData
{
    public static readonly DicomDictionaryEntry[] Entries = Parse(Table);

    internal static DicomDictionaryEntry[] Parse(string table)
    {
        var rows = new List<DicomDictionaryEntry>(5200);
        var vrLists = new Dictionary<string, IReadOnlyList<DicomVR>>(StringComparer.Ordinal);
        var vms = new Dictionary<string, string>(StringComparer.Ordinal);
        Span<Range> f = stackalloc Range[8];
        foreach (var raw in table.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty) continue;
            if (line.Split(f, '|') != 7) throw new InvalidDataException($"dictionary row has not 7 fields: {line}");
            uint tag = ParseHex(line[f[0]], line);
            uint mask = line[f[1]].IsEmpty ? 0xFFFFFFFF : ParseHex(line[f[1]], line);
            var vrText = line[f[2]].ToString();
            if (!vrLists.TryGetValue(vrText, out var vrs))
            {
                vrs = Array.AsReadOnly(vrText.Length == 0 ? [] : vrText.Split('/').Select(ParseVR).ToArray());
                vrLists.Add(vrText, vrs);
            }
            var vmText = line[f[3]].ToString();
            if (!vms.TryGetValue(vmText, out var vm)) vms.Add(vmText, vm = vmText);
            bool retired = line[f[4]].SequenceEqual("R");
            rows.Add(new DicomDictionaryEntry(new DicomTag(tag), mask, line[f[5]].ToString(), line[f[6]].ToString(), vrs, vm, retired));
        }
        return rows.ToArray();
    }

    private static uint ParseHex(ReadOnlySpan<char> hex, ReadOnlySpan<char> line) =>
        uint.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"bad hex '{hex}' in dictionary row: {line}");

    private static DicomVR ParseVR(string code)
    {
        var vr = DicomVRInfo.Parse(code);
        return vr != DicomVR.None ? vr : throw new InvalidDataException($"unknown VR '{code}' in dictionary table");
    }
}
