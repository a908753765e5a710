using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Codecs.Tests.Support;

/// <summary>The entries of ../shared/corpus/manifest.json that the codec tests use.</summary>
internal static class CorpusManifest
{
    public sealed record Entry(string Path, string TransferSyntaxUid, int Rows, int Columns, int Frames, int SamplesPerPixel,
        int BitsAllocated, string? ReferenceSha256, string? ReferenceDcmtkSha256, string? ReferenceBasis, bool ExpectError);

    private static readonly Lazy<IReadOnlyList<Entry>> Entries = new(Load);
    private static readonly Lazy<IReadOnlyDictionary<string, string>> References = new(LoadReferences);

    /// <summary>reference_pixel_sha256 of every file that has one, native files included.</summary>
    public static IReadOnlyDictionary<string, string> AllFiles => References.Value;

    private static IReadOnlyDictionary<string, string> LoadReferences()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Get("corpus/manifest.json")));
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in doc.RootElement.GetProperty("files").EnumerateArray())
            if (f.TryGetProperty("reference_pixel_sha256", out var r) && r.ValueKind == JsonValueKind.String)
                result[f.GetProperty("path").GetString()!] = r.GetString()!;
        return result;
    }

    public static IReadOnlyList<Entry> All => Entries.Value;

    /// <summary>Files with encapsulated pixel data (what the codecs decode); the sentinel row lets a theory be skipped without data.</summary>
    public static TheoryData<string> EncapsulatedPaths(Func<Entry, bool> filter)
    {
        var data = new TheoryData<string>();
        if (!SharedData.Exists("corpus/manifest.json")) { data.Add("(corpus missing)"); return data; }
        foreach (var e in All.Where(filter)) data.Add(e.Path);
        return data;
    }

    public static Entry Get(string path) => All.Single(e => e.Path == path);

    private static IReadOnlyList<Entry> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Get("corpus/manifest.json")));
        var result = new List<Entry>();
        foreach (var f in doc.RootElement.GetProperty("files").EnumerateArray())
        {
            if (!(f.TryGetProperty("has_pixel_data", out var hp) && hp.ValueKind == JsonValueKind.True)) continue;
            if (!(f.TryGetProperty("pixel_data_encapsulated", out var enc) && enc.ValueKind == JsonValueKind.True)) continue;
            int Int(string name, int fallback) => f.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
            string? Str(string name) => f.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            result.Add(new Entry(Str("path")!, Str("transfer_syntax_uid") ?? "", Int("rows", 0), Int("columns", 0), Int("frames", 1),
                Int("samples_per_pixel", 1), Int("bits_allocated", 0), Str("reference_pixel_sha256"), Str("reference_pixel_sha256_dcmtk"),
                Str("reference_basis"), f.TryGetProperty("expect_error", out var ee) && ee.ValueKind == JsonValueKind.True));
        }
        return result;
    }
}
