using System.Text;

namespace MedNode.CodeGeneration;

/// <summary>Writes DicomDictionaryData.cs (the encoded row table) and DicomTags.cs (one field per keyword).</summary>
internal static class DictionaryWriter
{
    /// <summary>
    /// The rows as one raw string literal, one row per line: <c>tag|mask|VRs|VM|R|keyword|name</c>, tag and mask
    /// as 8 hex digits (mask empty for an ordinary tag), VRs joined by '/', R for retired. One string keeps the
    /// compile and the type initializer small; MedNode.Dicom parses it once at start-up.
    /// </summary>
    public static string WriteData(IReadOnlyList<DictionaryRow> rows, IEnumerable<string> sources)
    {
        var sb = new StringBuilder();
        CodeText.AppendHeader(sb, sources);
        sb.Append("namespace MedNode.Dicom;\n\n");
        sb.Append("internal static partial class DicomDictionaryData\n{\n");
        sb.Append("    /// <summary>").Append(rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))
          .Append(" rows, one per line: tag|mask|VRs|VM|R|keyword|name (see DicomDictionaryTable.cs).</summary>\n");
        sb.Append("    private const string Table = \"\"\"\n");
        foreach (var r in rows)
        {
            if (r.Name.Contains('|', StringComparison.Ordinal) || r.Keyword.Contains('|', StringComparison.Ordinal) || r.Name.Contains("\"\"\"", StringComparison.Ordinal))
                throw new InvalidDataException($"({CodeText.Hex8(r.Tag)}) contains a character the table cannot hold");
            sb.Append("        ").Append(CodeText.Hex8(r.Tag)).Append('|')
              .Append(r.IsMasked ? CodeText.Hex8(r.Mask) : "").Append('|')
              .Append(string.Join('/', r.VRs)).Append('|')
              .Append(r.VM).Append('|')
              .Append(r.Retired ? "R" : "").Append('|')
              .Append(r.Keyword).Append('|')
              .Append(r.Name).Append('\n');
        }
        sb.Append("        \"\"\";\n}\n");
        return sb.ToString();
    }

    /// <summary>
    /// One static <c>DicomTag</c> property per keyword (properties, not fields: a class with 5,000 field initialisers costs ~100 ms of start-up JIT) of an ordinary (unmasked) row, named by the PS3.6 keyword
    /// (STYLE.md Habits 12). A keyword seen twice keeps its first tag; later ones get the suffix _ggggeeee.
    /// </summary>
    public static string WriteTags(IReadOnlyList<DictionaryRow> rows, IEnumerable<string> sources)
    {
        var sb = new StringBuilder();
        CodeText.AppendHeader(sb, sources);
        sb.Append("namespace MedNode.Dicom;\n\n");
        sb.Append("/// <summary>Every keyword of the PS3.6 data dictionary (and the PS3.7 command group) as a <see cref=\"DicomTag\"/>. Repeating-group rows (50xx, 60xx, 7Fxx) and ranges are not listed: look them up in <see cref=\"DicomDictionary\"/>.</summary>\n");
        sb.Append("public static class DicomTags\n{\n");
        var used = new HashSet<string>(StringComparer.Ordinal) { "DicomTags" };
        foreach (var r in rows)
        {
            if (r.IsMasked || r.Keyword.Length == 0) continue;
            if (!CodeText.IsIdentifier(r.Keyword)) throw new InvalidDataException($"keyword '{r.Keyword}' is not an identifier");
            var member = used.Add(r.Keyword) ? r.Keyword : r.Keyword + "_" + CodeText.Hex8(r.Tag);
            used.Add(member);
            string group = CodeText.Hex4(r.Tag >> 16), element = CodeText.Hex4(r.Tag & 0xFFFF);
            var vr = r.VRs.Count == 0 ? "no VR" : string.Join(" or ", r.VRs);
            sb.Append("    /// <summary>(").Append(group).Append(',').Append(element).Append(") ").Append(CodeText.Xml(r.Name))
              .Append(", ").Append(vr).Append(", VM ").Append(r.VM.Length == 0 ? "-" : r.VM)
              .Append(r.Retired ? ". Retired." : ".").Append("</summary>\n");
            sb.Append("    public static DicomTag ").Append(member).Append(" => new(0x").Append(group).Append(", 0x").Append(element).Append(");\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }
}
