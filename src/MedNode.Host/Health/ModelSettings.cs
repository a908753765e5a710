namespace MedNode.Host.Health;

/// <summary>The <c>MedNode:Models</c> section: where the installed models live (one folder per model, with model.json).</summary>
public sealed class ModelSettings
{
    public const string Section = "MedNode:Models";

    /// <summary>Relative paths are looked up in the working directory, then beside the program.</summary>
    public string Path { get; set; } = "models";

    /// <summary>
    /// Per model id: <c>Enabled</c> (default true) and <c>Shadow</c> (default false: run and store, push nothing). The admin
    /// API (<c>PUT /api/v1/models/{id}</c>) changes them; what it stored wins over this section.
    /// </summary>
    public Dictionary<string, MedNode.Core.Jobs.ModelState> States { get; set; } = [];

    /// <summary>The folder that exists, or null.</summary>
    public string? ResolvePath()
    {
        if (System.IO.Path.IsPathRooted(Path)) return Directory.Exists(Path) ? Path : null;
        foreach (var root in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            var candidate = System.IO.Path.Combine(root, Path);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
