using System.Globalization;
using System.Text.Json;

namespace MedNode.Dicom.Tests.Json;

/// <summary>Semantic comparison of two DICOM JSON documents: numbers numerically, InlineBinary as bytes.</summary>
internal static class JsonSemantics
{
    public static string? FirstDifference(JsonElement expected, JsonElement actual, string path = "$")
    {
        if (expected.ValueKind == JsonValueKind.Number && actual.ValueKind == JsonValueKind.Number)
        {
            double a = expected.GetDouble(), b = actual.GetDouble();
            return Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(a)) ? null : $"{path}: {a.ToString(CultureInfo.InvariantCulture)} != {b.ToString(CultureInfo.InvariantCulture)}";
        }
        if (expected.ValueKind != actual.ValueKind) return $"{path}: kind {expected.ValueKind} != {actual.ValueKind} ({Short(expected)} vs {Short(actual)})";
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var ek = expected.EnumerateObject().Select(p => p.Name).ToHashSet();
                var ak = actual.EnumerateObject().Select(p => p.Name).ToHashSet();
                var missing = ek.Except(ak).ToList();
                var extra = ak.Except(ek).ToList();
                if (missing.Count > 0 || extra.Count > 0) return $"{path}: missing [{string.Join(",", missing)}] extra [{string.Join(",", extra)}]";
                foreach (var name in ek)
                {
                    var e = expected.GetProperty(name); var a = actual.GetProperty(name);
                    // Known difference: DCMTK ships private dictionaries (private.dic) and types private or unlisted tags
                    // of implicit VR files; MedNode has only the standard's dictionary and keeps them as UN bytes.
                    if (a.ValueKind == JsonValueKind.Object && a.TryGetProperty("vr", out var avr) && avr.GetString() == "UN"
                        && e.TryGetProperty("vr", out var evr) && evr.GetString() != "UN" && IsPrivateOrUnlisted(name)) continue;
                    if (name == "InlineBinary")
                    {
                        if (!e.GetBytesFromBase64().AsSpan().SequenceEqual(a.GetBytesFromBase64())) return $"{path}.InlineBinary differs";
                        continue;
                    }
                    var d = FirstDifference(e, a, path + "." + name);
                    if (d != null) return d;
                }
                return null;
            case JsonValueKind.Array:
                var ea = expected.EnumerateArray().ToList(); var aa = actual.EnumerateArray().ToList();
                if (ea.Count != aa.Count) return $"{path}: {ea.Count} values != {aa.Count} ({Short(expected)} vs {Short(actual)})";
                for (int i = 0; i < ea.Count; i++)
                {
                    var d = FirstDifference(ea[i], aa[i], $"{path}[{i}]");
                    if (d != null) return d;
                }
                return null;
            case JsonValueKind.String:
                // Known difference: where DCMTK's iconv cannot convert (ISO 2022 IR 87 here, or non-ASCII bytes in a
                // default-repertoire VR) it emits U+FFFD; MedNode decodes those (checked against pydicom in CharacterSetPeerTests).
                if (expected.GetString()!.Contains('\uFFFD', StringComparison.Ordinal) || expected.GetString()!.Contains('\u001B', StringComparison.Ordinal)) return null;
                return expected.GetString() == actual.GetString() ? null : $"{path}: '{expected.GetString()}' != '{actual.GetString()}'";
            default:
                return null;
        }
    }

    private static bool IsPrivateOrUnlisted(string hexTag) =>
        DicomTag.TryParse(hexTag, out var t) && (t.IsPrivate || t.Group < 0x0008 && t.Group != 0x0002 || DicomDictionary.Find(t) == null);

    private static string Short(JsonElement e)
    {
        var s = e.GetRawText();
        return s.Length > 120 ? s[..120] + "..." : s;
    }
}
