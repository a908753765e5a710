using System.Globalization;
using System.Text;

namespace MedNode.CodeGeneration;

/// <summary>A UID row ready to be written (PS3.6 Annex A).</summary>
internal sealed record UidRow(string Uid, string Name, string Keyword, string Kind, bool IsStorage, string? Iod, bool Retired);

/// <summary>Merges sops.json with well-known-uids.json and writes DicomUids.cs and DicomUidRegistryData.cs.</summary>
internal static class UidWriter
{
    /// <summary>The Media Storage Directory SOP Class (DICOMDIR) exists on media only (PS3.10 §8, PS3.11); no SCP accepts it over the network.</summary>
    public const string MediaStorageDirectoryStorage = "1.2.840.10008.1.3.10";

    private static readonly HashSet<string> Kinds = new(StringComparer.Ordinal)
    {
        "SopClass", "TransferSyntax", "WellKnownSopInstance", "ApplicationContextName",
    };

    /// <summary>
    /// Every sops.json row is a Storage SOP Class of a composite IOD (PS3.4 Annex B) and IsStorage, except the
    /// Media Storage Directory class. Hand-listed rows are never storage unless they name an IOD and sops.json
    /// lacks them. Sorted by UID, comparing the numeric components.
    /// </summary>
    public static IReadOnlyList<UidRow> Merge(IReadOnlyList<SopRow> sops, IReadOnlyList<WellKnownUid> wellKnown, IReadOnlyList<SopOverride> overrides)
    {
        var fixes = overrides.ToDictionary(o => o.Uid, StringComparer.Ordinal);
        var rows = new Dictionary<string, UidRow>(StringComparer.Ordinal);
        foreach (var s in sops)
        {
            fixes.Remove(s.Uid, out var fix);
            var name = fix?.Name ?? s.Name;
            var row = new UidRow(s.Uid, name, fix?.Keyword ?? CodeText.KeywordFromName(name), "SopClass",
                s.Uid != MediaStorageDirectoryStorage, s.Iod.Length == 0 ? null : s.Iod, false);
            if (!rows.TryAdd(s.Uid, row)) throw new InvalidDataException($"sops.json lists {s.Uid} twice");
        }
        if (fixes.Count > 0) throw new InvalidDataException($"sopOverrides name UIDs sops.json lacks: {string.Join(", ", fixes.Keys)}");
        foreach (var w in wellKnown)
        {
            if (!Kinds.Contains(w.Kind)) throw new InvalidDataException($"well-known-uids.json: unknown kind '{w.Kind}' for {w.Uid}");
            if (rows.ContainsKey(w.Uid)) continue;
            rows.Add(w.Uid, new UidRow(w.Uid, w.Name, w.Keyword, w.Kind, w.Kind == "SopClass" && w.Iod != null, w.Iod, w.Retired));
        }
        var sorted = rows.Values.OrderBy(r => r.Uid, UidComparer.Instance).ToList();
        var keywords = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in sorted)
        {
            if (!CodeText.IsIdentifier(r.Keyword)) throw new InvalidDataException($"UID keyword '{r.Keyword}' is not an identifier");
            if (!keywords.Add(r.Keyword)) throw new InvalidDataException($"UID keyword '{r.Keyword}' is used twice");
        }
        return sorted;
    }

    public static string WriteConstants(IReadOnlyList<UidRow> rows, IEnumerable<string> sources)
    {
        var sb = new StringBuilder();
        CodeText.AppendHeader(sb, sources);
        sb.Append("namespace MedNode.Dicom;\n\n");
        sb.Append("/// <summary>UIDs of PS3.6 Annex A as constants, named by their PS3.6 keyword: storage SOP classes, transfer syntaxes and well-known service UIDs. See <see cref=\"DicomUidRegistry\"/> for lookups.</summary>\n");
        sb.Append("public static class DicomUids\n{\n");
        foreach (var r in rows)
        {
            sb.Append("    /// <summary>").Append(CodeText.Xml(r.Name)).Append(" (").Append(Describe(r)).Append(").</summary>\n");
            sb.Append("    public const string ").Append(r.Keyword).Append(" = ").Append(CodeText.Literal(r.Uid)).Append(";\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    public static string WriteRegistryData(IReadOnlyList<UidRow> rows, IEnumerable<string> sources)
    {
        var sb = new StringBuilder();
        CodeText.AppendHeader(sb, sources);
        sb.Append("namespace MedNode.Dicom;\n\n");
        sb.Append("internal static class DicomUidRegistryData\n{\n");
        sb.Append("    public static readonly DicomUidEntry[] Entries =\n    [\n");
        foreach (var r in rows)
        {
            sb.Append("        new(").Append(CodeText.Literal(r.Uid)).Append(", ").Append(CodeText.Literal(r.Name)).Append(", ")
              .Append(CodeText.Literal(r.Keyword)).Append(", DicomUidKind.").Append(r.Kind).Append(", ")
              .Append(r.IsStorage ? "true" : "false").Append(", ")
              .Append(r.Iod == null ? "null" : CodeText.Literal(r.Iod)).Append(", ")
              .Append(r.Retired ? "true" : "false").Append("),\n");
        }
        sb.Append("    ];\n}\n");
        return sb.ToString();
    }

    private static string Describe(UidRow r)
    {
        var kind = r.Kind switch
        {
            "SopClass" => "SOP Class",
            "TransferSyntax" => "Transfer Syntax",
            "WellKnownSopInstance" => "Well-known SOP Instance",
            "ApplicationContextName" => "Application Context Name",
            _ => r.Kind,
        };
        var text = r.Iod == null ? kind : $"{kind}, IOD {CodeText.Xml(r.Iod)}";
        return r.Retired ? text + ", retired" : text;
    }

    /// <summary>Orders UIDs by their dot-separated numeric components (1.2.10 after 1.2.9).</summary>
    private sealed class UidComparer : IComparer<string>
    {
        public static readonly UidComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = (x ?? "").Split('.');
            var b = (y ?? "").Split('.');
            for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                int c = a[i].Length != b[i].Length ? a[i].Length.CompareTo(b[i].Length) : string.CompareOrdinal(a[i], b[i]);
                if (c != 0) return c;
            }
            return a.Length.CompareTo(b.Length);
        }
    }
}
