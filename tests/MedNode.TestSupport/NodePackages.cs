using Xunit;

namespace MedNode.TestSupport;

/// <summary>
/// npm packages that scripts/install-test-deps.sh installs under .test-deps/node at the repository root (gitignored).
/// </summary>
public static class NodePackages
{
    /// <summary>The node_modules folder tests put on NODE_PATH.</summary>
    public static string ModulesDir => Path.Combine(SharedData.RepoRoot, ".test-deps", "node", "node_modules");

    public static bool IsInstalled(string package) => File.Exists(Path.Combine(ModulesDir, package, "package.json"));

    /// <summary>Runs a Node script with <see cref="ModulesDir"/> on NODE_PATH.</summary>
    public static Tools.Result RunScript(string script, IEnumerable<string> args, TimeSpan? timeout = null) =>
        Tools.Run("node", new[] { script }.Concat(args), timeout, env: new Dictionary<string, string> { ["NODE_PATH"] = ModulesDir });

    internal static string? MissingReason(string[] packages)
    {
        if (Tools.Find("node") == null) return "tool 'node' not on PATH (run scripts/install-test-deps.sh)";
        foreach (var p in packages)
        {
            if (!IsInstalled(p)) return $"npm package '{p}' not under .test-deps/node (run scripts/install-test-deps.sh)";
        }
        return null;
    }
}

/// <summary>A fact that needs Node and npm packages under .test-deps/node; skipped outside CI when they are missing, run (and failing) in CI.</summary>
public sealed class RequiresNodePackagesFactAttribute : FactAttribute
{
    public RequiresNodePackagesFactAttribute(params string[] packages)
    {
        var reason = NodePackages.MissingReason(packages);
        if (reason != null && !SharedData.InCi) Skip = reason;
    }
}
