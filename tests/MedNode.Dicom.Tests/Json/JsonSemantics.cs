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
                return expected.GetString() == actual.GetString() ? null : $"{path}: '{expected.GetString()}' != '{actual.GetString()}'";
            default:
                return null;
        }
    }

    private static string Short(JsonElement e)
    {
        var s = e.GetRawText();
        return s.Length > 120 ? s[..120] + "..." : s;
    }
}
