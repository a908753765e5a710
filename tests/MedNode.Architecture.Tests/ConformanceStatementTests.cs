using System.Text;
using System.Text.RegularExpressions;

namespace MedNode.Architecture.Tests;

/// <summary>
/// The conformance statement (conformance/*.md) claims only what tests prove: every test it cites must exist as an xunit
/// test, and conformance/generated/tests-by-section.md, the index of the tests' <c>[Trait("Conformance", …)]</c> sections,
/// must match the test sources (MEDNODE_UPDATE_CONFORMANCE=1 rewrites it).
/// </summary>
public sealed partial class ConformanceStatementTests
{
    private sealed record TestMethod(string Project, string Class, string Method, IReadOnlyList<string> Sections);

    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "MedNode.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("MedNode.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s*(?:public\s+)?(?:sealed\s+|static\s+|abstract\s+|partial\s+)*class\s+(\w+)")]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"^\s*public\s+(?:async\s+)?(?:Task|void|ValueTask)\s+(\w+)\s*\(")]
    private static partial Regex MethodDeclaration();

    [GeneratedRegex(@"Trait\(\s*""Conformance""\s*,\s*""([^""]+)""\s*\)")]
    private static partial Regex ConformanceTrait();

    // A citation: `Class.Method` or `Project/Class.Method` (optionally with a path), where Method follows the test naming
    // convention Subject_Scenario_Expected.
    [GeneratedRegex(@"`(?:[\w./-]*/)?(\w+)\.(\w+_\w+)(?:\([^`]*\))?`")]
    private static partial Regex Citation();

    /// <summary>Every xunit test method in tests/**, found from the sources: an attribute block naming Fact or Theory
    /// (RequiresFact, RequiresTheory and the like included) directly above a public method.</summary>
    private static List<TestMethod> TestMethods()
    {
        var tests = new List<TestMethod>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "tests"), "*.cs", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(Path.Combine(Root, "tests"), file);
            if (rel.Contains("/bin/", StringComparison.Ordinal) || rel.Contains("/obj/", StringComparison.Ordinal)) continue;
            var project = rel.Split('/')[0];
            string? testClass = null;
            var attributes = new StringBuilder();
            foreach (var line in File.ReadLines(file))
            {
                var c = ClassDeclaration().Match(line);
                if (c.Success && (testClass == null || c.Groups[1].Value.EndsWith("Tests", StringComparison.Ordinal))) testClass = c.Groups[1].Value;
                var trimmed = line.TrimStart();
                if (trimmed.StartsWith('[')) { attributes.Append(trimmed); continue; }
                var m = MethodDeclaration().Match(line);
                if (m.Success && testClass != null && (attributes.ToString().Contains("Fact", StringComparison.Ordinal) || attributes.ToString().Contains("Theory", StringComparison.Ordinal)))
                {
                    var sections = ConformanceTrait().Matches(attributes.ToString()).Select(t => t.Groups[1].Value).ToList();
                    tests.Add(new TestMethod(project, testClass, m.Groups[1].Value, sections));
                }
                if (trimmed.Length > 0 && !trimmed.StartsWith("//", StringComparison.Ordinal)) attributes.Clear();
            }
        }
        return tests;
    }

    [Fact]
    public void ConformanceStatement_EveryCitedTest_ExistsInTheTestSuite()
    {
        var tests = TestMethods();
        tests.Should().HaveCountGreaterThan(100, "the source scan finds the test suite");
        var known = tests.Select(t => (t.Class, t.Method)).ToHashSet();
        var classes = tests.Select(t => t.Class).ToHashSet();
        var missing = new List<string>();
        int cited = 0;
        foreach (var md in Directory.EnumerateFiles(Path.Combine(Root, "conformance"), "*.md", SearchOption.AllDirectories))
        {
            foreach (Match m in Citation().Matches(File.ReadAllText(md)))
            {
                var (cls, method) = (m.Groups[1].Value, m.Groups[2].Value);
                if (!classes.Contains(cls) && !cls.EndsWith("Tests", StringComparison.Ordinal)) continue; // e.g. a type or file name, not a test
                cited++;
                if (!known.Contains((cls, method))) missing.Add($"{Path.GetFileName(md)}: {cls}.{method}");
            }
        }
        cited.Should().BeGreaterThan(50, "the statement cites its proofs");
        missing.Should().BeEmpty("each test the conformance statement cites must exist (renamed or removed tests leave unproved claims)");
    }

    [Fact]
    public void TestsBySectionIndex_MatchesTheConformanceTraits()
    {
        var traced = TestMethods().Where(t => t.Sections.Count > 0).ToList();
        traced.Should().NotBeEmpty();
        var bySection = traced.SelectMany(t => t.Sections.Select(s => (Section: s, Test: t)))
            .GroupBy(x => x.Section, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
        var text = new StringBuilder();
        text.AppendLine("# Generated: tests by the conformance section they prove");
        text.AppendLine();
        text.AppendLine("Do not edit. Built from the `[Trait(\"Conformance\", …)]` of every test by");
        text.AppendLine("`tests/MedNode.Architecture.Tests/ConformanceStatementTests.TestsBySectionIndex_MatchesTheConformanceTraits`, which fails");
        text.AppendLine("when this file is stale (`MEDNODE_UPDATE_CONFORMANCE=1` rewrites it). Run one section's proofs with");
        text.AppendLine("`dotnet test MedNode.sln --filter \"Conformance=<section>\"`.");
        text.AppendLine();
        text.AppendLine($"{traced.Count} tests carry a conformance trait.");
        text.AppendLine();
        text.AppendLine("| Section | Tests |");
        text.AppendLine("| --- | --- |");
        foreach (var g in bySection)
        {
            var names = g.Select(x => $"`{x.Test.Project}/{x.Test.Class}.{x.Test.Method}`").Distinct().OrderBy(n => n, StringComparer.Ordinal);
            text.AppendLine($"| {g.Key.Replace("|", "\\|", StringComparison.Ordinal)} | {string.Join("<br>", names)} |");
        }
        var path = Path.Combine(Root, "conformance", "generated", "tests-by-section.md");
        var generated = text.ToString();
        if (Environment.GetEnvironmentVariable("MEDNODE_UPDATE_CONFORMANCE") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, generated);
        }
        File.Exists(path).Should().BeTrue("the index is committed (MEDNODE_UPDATE_CONFORMANCE=1 writes it)");
        File.ReadAllText(path).ReplaceLineEndings("\n").Should().Be(generated.ReplaceLineEndings("\n"),
            "conformance/generated/tests-by-section.md must list the tests' current conformance traits; rerun with MEDNODE_UPDATE_CONFORMANCE=1");
    }
}
