using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// Sequence Matching (PS3.4 C.2.2.2.6) against `mednode serve`: DCMTK findscu with sequence keys, and the same queries over
/// QIDO-RS. The data are three studies made from one corpus CT by DCMTK dcmodify (new UIDs, sequences inserted), each
/// checked with dcmdump before it is sent, so every expected match comes from the table below, not from MedNode's matcher.
/// DCMTK's dcmqrscp cannot be the reference: its index matches a fixed list of flat keys and no sequences.
/// <see cref="QuerySequenceServePostgresTests"/> runs the same on the PostgreSQL index.
/// </summary>
public class QuerySequenceServeTests : IDisposable
{
    private const string CtSmall = "uncompressed/pydicom__CT_small.dcm";
    private static readonly Dictionary<string, string> Env = new() { ["TCP_NODELAY"] = "1" };
    private readonly TempDir _dir = new("mednode-qr-seq-");

    /// <summary>
    /// The test data: A holds two Request Attributes items (RP1/SPS1, RP2/SPS2) and a Procedure Code item (CTCHEST);
    /// B one Request Attributes item (RP2/SPS3); C neither sequence.
    /// </summary>
    private static readonly (string Name, string[] Inserts)[] Studies =
    [
        ("A", ["(0040,0275)[0].(0040,1001)=RP1", "(0040,0275)[0].(0040,0009)=SPS1", "(0040,0275)[1].(0040,1001)=RP2", "(0040,0275)[1].(0040,0009)=SPS2",
            "(0008,1032)[0].(0008,0100)=CTCHEST", "(0008,1032)[0].(0008,0102)=99MEDNODE"]),
        ("B", ["(0040,0275)[0].(0040,1001)=RP2", "(0040,0275)[0].(0040,0009)=SPS3"]),
        ("C", []),
    ];

    /// <summary>The index database the node runs on: nothing for the embedded SQLite default.</summary>
    protected virtual string[] DatabaseArguments() => [];

    private static string Value(string path, string tag)
    {
        var line = Tools.Run("dcmdump", ["-q", "-s", "+P", tag, path], TimeSpan.FromSeconds(60)).StdOut;
        return line.Contains('[', StringComparison.Ordinal) ? line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.IndexOf(']', StringComparison.Ordinal)] : "";
    }

    /// <summary>Makes the three studies with dcmodify; returns each one's file, Study and Series Instance UIDs.</summary>
    private Dictionary<string, (string File, string Study, string Series)> MakeStudies()
    {
        var made = new Dictionary<string, (string File, string Study, string Series)>();
        foreach (var (name, inserts) in Studies)
        {
            var file = _dir.File(name + ".dcm");
            File.Copy(Corpus.FullPath(CtSmall), file);
            var r = Tools.Run("dcmodify", ["-nb", "-gst", "-gse", "-gin", "-m", "(0008,1030)=Sequence study " + name, .. inserts.SelectMany(i => new[] { "-i", i }), file]);
            r.ExitCode.Should().Be(0, r.StdErr);
            var dump = Tools.Run("dcmdump", ["-q", file]).StdOut;
            foreach (var insert in inserts) dump.Should().Contain($"[{insert[(insert.IndexOf('=', StringComparison.Ordinal) + 1)..]}]", "dcmodify inserted {0}", insert);
            if (inserts.Length == 0) dump.Should().NotContain("RequestAttributesSequence").And.NotContain("ProcedureCodeSequence");
            made[name] = (file, Value(file, "0020,000d"), Value(file, "0020,000e"));
        }
        made.Values.Select(m => m.Study).Should().OnlyHaveUniqueItems();
        return made;
    }

    /// <summary>findscu (Study Root) with the keys; the response data sets (findscu -X) as dcmdump prints them.</summary>
    private List<string> Findscu(NodeProcess node, string level, params string[] keys)
    {
        var outDir = Directory.CreateDirectory(_dir.File("find-" + Guid.NewGuid().ToString("N"))).FullName;
        var r = Tools.Run("findscu", ["-aec", "MEDNODE", "-S", "-X", "-od", outDir, "-k", "QueryRetrieveLevel=" + level,
            .. keys.SelectMany(k => new[] { "-k", k }), "127.0.0.1", node.DimsePortText], TimeSpan.FromSeconds(60), env: Env);
        r.ExitCode.Should().Be(0, r.StdErr);
        return [.. Directory.GetFiles(outDir).Order(StringComparer.Ordinal).Select(f => Tools.Run("dcmdump", ["-q", f]).StdOut)];
    }

    /// <summary>A top-level value in a dcmdump print (nested elements are indented).</summary>
    private static string Uid(string dump, string tag)
    {
        var line = dump.Split('\n').First(l => l.StartsWith(tag, StringComparison.Ordinal));
        return line[(line.IndexOf('[', StringComparison.Ordinal) + 1)..line.IndexOf(']', StringComparison.Ordinal)];
    }

    [RequiresFact("corpus", "dcmodify", "dcmdump", "storescu", "findscu")]
    [Trait("Conformance", "PS3.4 C.2.2.2.6")]
    public void Findscu_SequenceKeys_ReturnTheEntitiesWithAMatchingItemAndTheMatchedSequence()
    {
        var data = MakeStudies();
        using var node = NodeProcess.Start(_dir.Path, DatabaseArguments());
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. data.Values.Select(d => d.File)], env: Env);
        store.ExitCode.Should().Be(0, store.StdErr);

        // SERIES level, Request Attributes Sequence (PS3.4 Table C.6-5): which series each key finds, from the table above.
        (string[] Keys, string[] Expected)[] seriesQueries =
        [
            (["(0040,0275)[0].(0040,1001)=RP1"], ["A"]),
            (["(0040,0275)[0].(0040,1001)=RP2"], ["A", "B"]),
            (["(0040,0275)[0].(0040,1001)=RP2", "(0040,0275)[0].(0040,0009)=SPS3"], ["B"]),
            (["(0040,0275)[0].(0040,1001)=RP1", "(0040,0275)[0].(0040,0009)=SPS2"], []), // both values are in A, not in one item
            (["(0040,0275)[0].(0040,1001)=RP*"], ["A", "B"]),
        ];
        foreach (var (keys, expected) in seriesQueries)
        {
            var responses = Findscu(node, "SERIES", ["SeriesInstanceUID", .. keys]);
            responses.Select(d => Uid(d, "(0020,000e)")).Should().BeEquivalentTo(expected.Select(e => data[e].Series), string.Join(" ", keys));
            foreach (var dump in responses)
                foreach (var key in keys.Where(k => !k.EndsWith('*')))
                    dump.Should().Contain($"[{key[(key.IndexOf('=', StringComparison.Ordinal) + 1)..]}]", "the matched item is returned in the sequence");
        }
        var bOnly = Findscu(node, "SERIES", "SeriesInstanceUID", "(0040,0275)[0].(0040,1001)=RP2", "(0040,0275)[0].(0040,0009)").Single(d => d.Contains(data["B"].Series, StringComparison.Ordinal));
        bOnly.Should().Contain("(0040,0009) SH [SPS3]", "a universal Item Key Attribute returns the matching item's value");

        // STUDY level, Procedure Code Sequence: a code value; an empty sequence key is universal and returns the sequence.
        Findscu(node, "STUDY", "StudyInstanceUID", "(0008,1032)[0].(0008,0100)=CTCHEST")
            .Select(d => Uid(d, "(0020,000d)")).Should().Equal(data["A"].Study);
        var all = Findscu(node, "STUDY", "StudyInstanceUID", "ProcedureCodeSequence");
        all.Select(d => Uid(d, "(0020,000d)")).Should().BeEquivalentTo(data.Values.Select(d => d.Study));
        all.Single(d => d.Contains(data["A"].Study, StringComparison.Ordinal)).Should().Contain("(0008,0100) SH [CTCHEST]").And.Contain("(0008,0102) SH [99MEDNODE]");
        all.Single(d => d.Contains(data["C"].Study, StringComparison.Ordinal)).Should().Contain("(0008,1032) SQ").And.NotContain("CTCHEST");
    }

    [RequiresFact("corpus", "dcmodify", "dcmdump", "storescu")]
    [Trait("Conformance", "PS3.18 8.3.4.1, PS3.4 C.2.2.2.6")]
    public async Task Qido_SequenceKeys_ReturnTheEntitiesWithAMatchingItemAndTheMatchedSequence()
    {
        var data = MakeStudies();
        using var node = NodeProcess.Start(_dir.Path, DatabaseArguments());
        var store = Tools.Run("storescu", ["-aec", "MEDNODE", "127.0.0.1", node.DimsePortText, .. data.Values.Select(d => d.File)], env: Env);
        store.ExitCode.Should().Be(0, store.StdErr);
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };

        async Task<JsonElement> QidoAsync(string query)
        {
            using var response = await http.GetAsync(new Uri("/dicomweb/" + query, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, body);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
        static IEnumerable<string> Values(JsonElement results, string tag) => results.EnumerateArray().Select(r => r.GetProperty(tag).GetProperty("Value")[0].GetString()!);

        (string Query, string[] Expected)[] seriesQueries =
        [
            ("series?RequestAttributesSequence.RequestedProcedureID=RP1", ["A"]),
            ("series?00400275.00401001=RP2", ["A", "B"]),
            ("series?RequestAttributesSequence.RequestedProcedureID=RP2&RequestAttributesSequence.ScheduledProcedureStepID=SPS3", ["B"]),
            ("series?RequestAttributesSequence.RequestedProcedureID=RP1&RequestAttributesSequence.ScheduledProcedureStepID=SPS2", []),
        ];
        foreach (var (query, expected) in seriesQueries)
            Values(await QidoAsync(query), "0020000E").Should().BeEquivalentTo(expected.Select(e => data[e].Series), query);
        var b = (await QidoAsync(seriesQueries[2].Query)).EnumerateArray().Single();
        var item = b.GetProperty("00400275").GetProperty("Value")[0];
        item.GetProperty("00400009").GetProperty("Value")[0].GetString().Should().Be("SPS3");
        item.GetProperty("00401001").GetProperty("Value")[0].GetString().Should().Be("RP2");

        Values(await QidoAsync("studies?ProcedureCodeSequence.CodeValue=CTCHEST"), "0020000D").Should().Equal(data["A"].Study);
        var withCodes = await QidoAsync("studies?includefield=ProcedureCodeSequence");
        Values(withCodes, "0020000D").Should().BeEquivalentTo(data.Values.Select(d => d.Study));
        var a = withCodes.EnumerateArray().Single(r => r.GetProperty("0020000D").GetProperty("Value")[0].GetString() == data["A"].Study);
        a.GetProperty("00081032").GetProperty("Value")[0].GetProperty("00080102").GetProperty("Value")[0].GetString().Should().Be("99MEDNODE");

        using var bad = await http.GetAsync(new Uri("/dicomweb/studies?StudyDescription.CodeValue=X", UriKind.Relative));
        bad.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest, "StudyDescription is not a sequence");
    }

    public void Dispose()
    {
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The sequence matching tests of <see cref="QuerySequenceServeTests"/> with `mednode serve` on a PostgreSQL index.</summary>
[RequiresPostgres]
public sealed class QuerySequenceServePostgresTests : QuerySequenceServeTests
{
    protected override string[] DatabaseArguments()
    {
        var connection = PostgresPeer.GetSharedAsync().GetAwaiter().GetResult().CreateDatabaseAsync().GetAwaiter().GetResult();
        return ["--MedNode:Database:Provider=PostgreSQL", "--MedNode:Database:ConnectionString=" + connection];
    }
}
