using Xunit;
using System.Text.Json;

namespace MedNode.TestSupport;

/// <summary>The shared corpus manifest (../shared/corpus/manifest.json).</summary>
public static class Corpus
{
    private static readonly Lazy<List<JsonElement>> Files = new(Load);

    private static List<JsonElement> Load()
    {
        if (!SharedData.Exists("corpus/manifest.json")) return [];
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Get("corpus/manifest.json")));
        return doc.RootElement.GetProperty("files").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    public static IReadOnlyList<JsonElement> Entries => Files.Value;

    public static string FullPath(string relative) => Path.Combine(SharedData.Get("corpus"), relative);

    public static string? Str(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool Bool(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    public static int? Int(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    /// <summary>Theory data: the relative paths of entries that match, or one placeholder row when the corpus is absent
    /// (the test then fails in CI and is skipped by its [RequiresTheory] outside CI).</summary>
    public static TheoryData<string> PathsWhere(Func<JsonElement, bool> predicate)
    {
        var data = new TheoryData<string>();
        foreach (var e in Entries.Where(predicate)) data.Add(e.Str("path")!);
        if (data.Count == 0) data.Add("(corpus not found)");
        return data;
    }

    public static JsonElement Entry(string relative) => Entries.First(e => e.Str("path") == relative);
}
