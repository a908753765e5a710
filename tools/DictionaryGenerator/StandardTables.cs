using System.Reflection;
using System.Text.Json;

namespace MedNode.CodeGeneration;

/// <summary>One data element row as read from a table (PS3.6 §6, or PS3.7 Annex E for the command group).</summary>
internal sealed record AttributeRow(string Tag, string Keyword, string Name, string VR, string VM, bool Retired);

/// <summary>One row of sops.json: a storage SOP class, its UID and the IOD it stores (PS3.4 Annex B).</summary>
internal sealed record SopRow(string Uid, string Name, string Iod);

/// <summary>One hand-listed UID of well-known-uids.json (PS3.6 Annex A, Table A-1).</summary>
internal sealed record WellKnownUid(string Uid, string Name, string Keyword, string Kind, bool Retired, string? Iod);

/// <summary>A correction of a sops.json row to the name or keyword of PS3.6 Table A-1 (well-known-uids.json, sopOverrides).</summary>
internal sealed record SopOverride(string Uid, string Keyword, string? Name);

/// <summary>Reads the standard's JSON tables (../shared/dicom-standard) and the generator's own hand-listed tables.</summary>
internal static class StandardTables
{
    public static IReadOnlyList<AttributeRow> ReadAttributes(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var rows = new List<AttributeRow>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            rows.Add(new AttributeRow(
                Str(e, "tag"), Str(e, "keyword"), Str(e, "name"), Str(e, "valueRepresentation"), Str(e, "valueMultiplicity"),
                Str(e, "retired") == "Y"));
        }
        return rows;
    }

    public static IReadOnlyList<SopRow> ReadSops(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.EnumerateArray().Select(e => new SopRow(Str(e, "id"), Str(e, "name"), Str(e, "ciod"))).ToList();
    }

    /// <summary>The command group elements of PS3.7 Table E.1-1 (embedded command-elements.json).</summary>
    public static IReadOnlyList<AttributeRow> ReadCommandElements()
    {
        using var doc = JsonDocument.Parse(ReadResource("command-elements.json"));
        return doc.RootElement.GetProperty("elements").EnumerateArray()
            .Select(e => new AttributeRow(Str(e, "tag"), Str(e, "keyword"), Str(e, "name"), Str(e, "vr"), Str(e, "vm"), false))
            .ToList();
    }

    /// <summary>The hand-listed UIDs of PS3.6 Table A-1 (embedded well-known-uids.json).</summary>
    public static IReadOnlyList<WellKnownUid> ReadWellKnownUids()
    {
        using var doc = JsonDocument.Parse(ReadResource("well-known-uids.json"));
        return doc.RootElement.GetProperty("uids").EnumerateArray()
            .Select(e => new WellKnownUid(
                Str(e, "uid"), Str(e, "name"), Str(e, "keyword"), Str(e, "kind"),
                e.TryGetProperty("retired", out var r) && r.GetBoolean(),
                e.TryGetProperty("iod", out var iod) ? iod.GetString() : null))
            .ToList();
    }

    /// <summary>Corrections of sops.json rows (embedded well-known-uids.json, sopOverrides).</summary>
    public static IReadOnlyList<SopOverride> ReadSopOverrides()
    {
        using var doc = JsonDocument.Parse(ReadResource("well-known-uids.json"));
        return doc.RootElement.GetProperty("sopOverrides").EnumerateArray()
            .Select(e => new SopOverride(Str(e, "uid"), Str(e, "keyword"), e.TryGetProperty("name", out var n) ? n.GetString() : null))
            .ToList();
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!.Trim() : "";

    private static byte[] ReadResource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} missing");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
