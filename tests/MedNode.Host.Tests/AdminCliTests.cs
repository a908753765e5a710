using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>`mednode migrate` and `mednode models list` against the real executable.</summary>
public sealed class AdminCliTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-admin-cli-");

    public void Dispose() => _dir.Dispose();

    [RequiresFact(null, "/usr/bin/python3")]
    public void Migrate_NewSqliteDatabase_CreatesEveryTableAndRecordsBothMigrations()
    {
        var db = _dir.File("index.db");
        var r = Mednode.Run("migrate", $"--MedNode:Database:ConnectionString=Data Source={db}");
        r.ExitCode.Should().Be(0, r.StdOut + r.StdErr);
        var tables = Tools.Run("/usr/bin/python3", ["-c", "import sqlite3, sys\ncon = sqlite3.connect(sys.argv[1])\nprint(' '.join(sorted(r[0] for r in con.execute(\"SELECT name FROM sqlite_master WHERE type = 'table'\"))))\nprint(con.execute('SELECT COUNT(*) FROM __EFMigrationsHistory').fetchone()[0])", db], TimeSpan.FromSeconds(30));
        tables.ExitCode.Should().Be(0, tables.StdErr);
        var lines = tables.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Split(' ').Should().Contain(["Audit", "Instance", "Job", "Outbox", "Series", "Study"]);
        int.Parse(lines[1]).Should().Be(Directory.GetFiles(Path.Combine(SharedData.RepoRoot, "src/MedNode.Persistence/Migrations/Sqlite"), "*_*.cs").Count(f => !f.EndsWith(".Designer.cs", StringComparison.Ordinal)));
        Mednode.Run("migrate", $"--MedNode:Database:ConnectionString=Data Source={db}").ExitCode.Should().Be(0, "migrating again changes nothing");
    }

    [Fact]
    public void ModelsList_BundledModels_VerifiedAgainstTheirManifests_AndAChangedFileIsNot()
    {
        var models = Path.Combine(SharedData.RepoRoot, "models");
        var ok = Mednode.Run("models", "list", "--models", models);
        ok.ExitCode.Should().Be(0, ok.StdOut + ok.StdErr);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "phantom-lesion", "model.json")));
        ok.StdOut.Should().Contain("phantom-lesion").And.Contain(manifest.RootElement.GetProperty("sha256").GetString()!).And.Contain("verified");

        var copy = Path.Combine(_dir.Path, "models", "phantom-lesion");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(Path.Combine(models, "phantom-lesion"))) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        var onnx = Path.Combine(copy, "model.onnx");
        var bytes = File.ReadAllBytes(onnx);
        bytes[^1] ^= 0xFF; // one flipped byte
        File.WriteAllBytes(onnx, bytes);
        var bad = Mednode.Run("models", "list", "--models", Path.Combine(_dir.Path, "models"));
        bad.ExitCode.Should().Be(1);
        bad.StdOut.Should().Contain("SHA-256 mismatch");
    }
}
