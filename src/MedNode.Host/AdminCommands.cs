using System.Security.Cryptography;
using System.Text.Json;
using MedNode.Host.Configuration;
using MedNode.Host.Health;
using MedNode.Persistence;

namespace MedNode.Host;

/// <summary>`mednode migrate` and `mednode models list`: small administration commands with clear exit codes.</summary>
public static class AdminCommands
{
    /// <summary>
    /// `mednode migrate [--config FILE] [--MedNode:Database:...]`: applies the index database's migrations (as `serve`
    /// does at start) and exits: 0 when the database is current, 1 when it cannot be migrated.
    /// </summary>
    public static async Task<int> MigrateAsync(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("usage: mednode migrate [--config FILE] [--MedNode:Database:Provider=... --MedNode:Database:ConnectionString=...]");
            return 0;
        }
        var configuration = new ConfigurationBuilder().AddMedNodeSources(args).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System).AddMedNodePersistence(configuration).BuildServiceProvider();
        await using (services)
        {
            try
            {
                await services.InitializeMedNodeDatabaseAsync(CancellationToken.None);
            }
            catch (InvalidOperationException ex)
            {
                return Cli.Fail(ex.Message);
            }
        }
        Console.WriteLine($"index database is up to date ({configuration["MedNode:Database:Provider"] ?? "Sqlite"})");
        return 0;
    }

    /// <summary>
    /// `mednode models list [--models DIR]`: one line per installed model (id, version, SHA-256 from model.json) and
    /// whether the .onnx file hashes to the manifest's SHA-256. Exit code 0 when every model verifies, 1 otherwise.
    /// </summary>
    public static int Models(string[] args)
    {
        if (args.Length == 0 || args[0] != "list") throw new UsageException("usage: mednode models list [--models DIR]");
        var i = Array.IndexOf(args, "--models");
        var root = i >= 0 && i + 1 < args.Length ? args[i + 1] : new ModelSettings().ResolvePath();
        if (root == null || !Directory.Exists(root)) return Cli.Fail("no models folder found (MedNode:Models:Path); pass --models DIR");
        var ok = true;
        foreach (var dir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var manifest = Path.Combine(dir, "model.json");
            if (!File.Exists(manifest)) continue;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            var m = doc.RootElement;
            string Field(string name) => m.TryGetProperty(name, out var v) ? v.GetString() ?? "" : "";
            var file = Path.Combine(dir, m.TryGetProperty("modelFile", out var f) ? f.GetString() ?? "model.onnx" : "model.onnx");
            string state;
            if (!File.Exists(file)) state = "missing model file";
            else
            {
                using var stream = File.OpenRead(file);
                var sha = Convert.ToHexStringLower(SHA256.HashData(stream));
                state = string.Equals(sha, Field("sha256"), StringComparison.OrdinalIgnoreCase) ? "verified" : $"SHA-256 mismatch ({sha})";
            }
            ok &= state == "verified";
            Console.WriteLine($"{Field("id")}\t{Field("version")}\t{Field("sha256")}\t{Field("modality")}\t{state}");
        }
        return ok ? 0 : 1;
    }
}
