using Xunit;
using Xunit.Sdk;

namespace MedNode.TestSupport;

/// <summary>npm packages and other downloads that scripts/install-test-deps.sh puts under the gitignored .test-deps/ folder.</summary>
public static class TestDeps
{
    public static string Root => Path.Combine(SharedData.RepoRoot, ".test-deps");

    public static string NodeModules => Path.Combine(Root, "node", "node_modules");

    /// <summary>The prebuilt OHIF viewer (npm pack @ohif/app, package/dist).</summary>
    public static string OhifDist => Path.Combine(Root, "ohif", "package", "dist");

    public static string? MissingReason(string relative) =>
        File.Exists(Path.Combine(Root, relative)) || Directory.Exists(Path.Combine(Root, relative))
            ? null
            : $".test-deps/{relative} not found (run scripts/install-test-deps.sh)";
}

/// <summary>
/// A fact that needs something under .test-deps/ (and optionally shared data and tools). Outside CI it is skipped when any is
/// missing; in CI it runs, so a missing dependency fails. A requirement of the test class (<see cref="ClassRequirementAttribute"/>,
/// e.g. <see cref="RequiresPostgresAttribute"/>) is honoured as by <see cref="RequiresFactAttribute"/>.
/// </summary>
[XunitTestCaseDiscoverer("MedNode.TestSupport.RequiresFactDiscoverer", "MedNode.TestSupport")]
public sealed class RequiresTestDepsFactAttribute : FactAttribute
{
    public RequiresTestDepsFactAttribute(string testDep, string? data = null, params string[] tools)
    {
        var reason = TestDeps.MissingReason(testDep) ?? Requirements.MissingReason(data, tools);
        if (reason != null && !SharedData.InCi) Skip = reason;
    }
}
