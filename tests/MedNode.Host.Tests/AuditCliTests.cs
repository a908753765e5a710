using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// The audit trail in the embedded SQLite index: `mednode serve` writes Application Activity rows, the database refuses
/// UPDATE on them (trigger), and `mednode audit verify` names a row changed behind the trigger's back.
/// </summary>
public sealed class AuditCliTests : IDisposable
{
    private readonly TempDir _dir = new("mednode-audit-");

    public void Dispose() => _dir.Dispose();

    private static Tools.Result Sqlite(string db, string sql) =>
        Tools.Run("/usr/bin/python3", ["-c", "import sqlite3, sys\ncon = sqlite3.connect(sys.argv[1])\ncon.executescript(sys.argv[2])\ncon.commit()", db, sql], TimeSpan.FromSeconds(60));

    [RequiresFact(null, "/usr/bin/python3")]
    public void AuditVerify_RowChangedInTheDatabase_IsNamed_AndUpdatesAreRefused()
    {
        var db = _dir.File("index.db");
        var connection = $"--MedNode:Database:ConnectionString=Data Source={db}";
        var work = Path.Combine(_dir.Path, "node");
        Directory.CreateDirectory(work);
        using (var node = NodeProcess.Start(work, [connection, $"--MedNode:Dimse:StoragePath={_dir.File("store")}"]))
        {
            node.Terminate();
            node.Process.WaitForExit(60_000).Should().BeTrue("the node stops on SIGTERM");
        }

        var ok = Mednode.Run("audit", "verify", connection);
        ok.ExitCode.Should().Be(0, ok.StdOut + ok.StdErr);
        ok.StdOut.Should().MatchRegex(@"intact: [2-9]\d* row");

        var refused = Sqlite(db, "UPDATE Audit SET Detail = 'edited' WHERE Sequence = 1;");
        refused.ExitCode.Should().NotBe(0);
        refused.StdErr.Should().Contain("append-only");

        var tampered = Sqlite(db, "DROP TRIGGER audit_no_update; UPDATE Audit SET Detail = 'edited' WHERE Sequence = 1;");
        tampered.ExitCode.Should().Be(0, tampered.StdErr);
        var broken = Mednode.Run("audit", "verify", connection);
        broken.ExitCode.Should().Be(1, broken.StdOut + broken.StdErr);
        broken.StdOut.Should().Contain("row 1").And.Contain("altered");
    }
}
