using Xunit;
using Xunit.Sdk;

namespace MedNode.TestSupport;

/// <summary>
/// Finds the read-only shared data (corpus, datasets, standard tables) at ../shared or at $MEDNODE_SHARED.
/// Outside CI a test whose data or tool is missing is skipped with a reason; in CI (CI=true) it runs and fails.
/// </summary>
public static class SharedData
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The shared folder, or null when it cannot be found.</summary>
    public static string? Root { get; } = FindRoot();

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("MEDNODE_SHARED");
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MedNode.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(candidate) ? candidate : null;
            }
            dir = dir.Parent;
        }
        return null;
    }

    /// <summary>The repository root (the folder with MedNode.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "MedNode.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("MedNode.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The full path of a shared file or folder, or throws with a clear message when it is absent.</summary>
    public static string Get(string relative)
    {
        if (Root == null) throw new InvalidOperationException("Shared data not found: set MEDNODE_SHARED or place it at ../shared beside the repository.");
        var p = Path.Combine(Root, relative);
        if (!File.Exists(p) && !Directory.Exists(p)) throw new InvalidOperationException($"Shared data missing: {p}");
        return p;
    }

    public static bool Exists(string relative) => Root != null && (File.Exists(Path.Combine(Root, relative)) || Directory.Exists(Path.Combine(Root, relative)));

    public static string CorpusDir => Get("corpus");
}

/// <summary>
/// A fact that needs shared data and/or external tools on PATH. Outside CI it is skipped when they are missing,
/// with a reason naming what is missing; in CI it always runs, so a missing peer fails. A requirement of the test class
/// (<see cref="ClassRequirementAttribute"/>, e.g. <see cref="RequiresPostgresAttribute"/>) is honoured the same way.
/// </summary>
[XunitTestCaseDiscoverer("MedNode.TestSupport.RequiresFactDiscoverer", "MedNode.TestSupport")]
public sealed class RequiresFactAttribute : FactAttribute
{
    public RequiresFactAttribute(string? data = null, params string[] tools)
    {
        var reason = Requirements.MissingReason(data, tools);
        if (reason != null && !SharedData.InCi) Skip = reason;
    }
}

/// <summary>The theory counterpart of <see cref="RequiresFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("MedNode.TestSupport.RequiresTheoryDiscoverer", "MedNode.TestSupport")]
public sealed class RequiresTheoryAttribute : TheoryAttribute
{
    public RequiresTheoryAttribute(string? data = null, params string[] tools)
    {
        var reason = Requirements.MissingReason(data, tools);
        if (reason != null && !SharedData.InCi) Skip = reason;
    }
}

public static class Requirements
{
    public static string? MissingReason(string? data, string[] tools)
    {
        if (data != null && !SharedData.Exists(data))
            return $"shared data '{data}' not found (set MEDNODE_SHARED or put it at ../shared)";
        foreach (var t in tools)
        {
            if (Tools.Find(t) == null) return $"tool '{t}' not on PATH (run scripts/test.sh, which installs it)";
        }
        return null;
    }
}
