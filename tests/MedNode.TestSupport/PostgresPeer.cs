using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace MedNode.TestSupport;

/// <summary>
/// A real PostgreSQL server for the tests: <c>initdb</c> in a temp folder, <c>postgres</c> on 127.0.0.1 and a free port
/// (its Unix socket in the same folder), one server per test process, one new database per caller
/// (<see cref="CreateDatabaseAsync"/>). Run as root, the server runs as the <c>postgres</c> user (<c>runuser</c>), since
/// PostgreSQL refuses to run as root. The server is stopped by its PID when the process exits.
/// The binaries come from the Debian package <c>postgresql</c> (scripts/install-test-deps.sh); they are looked up on PATH,
/// then in <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>.
/// </summary>
public sealed partial class PostgresPeer : IDisposable
{
    private const string Superuser = "mednode";
    private const int SigQuit = 3, SigKill = 9;
    private const string FolderPrefix = "mednode-pg-", OwnerFile = "owner.pid";

    private static readonly Lazy<Task<PostgresPeer>> SharedPeer = new(StartAsync);
    private static int _databases;

    private readonly TempDir _dir;
    private readonly string _serverOptions;
    private int _stopped;

    private PostgresPeer(TempDir dir, int port, string serverOptions)
    {
        _dir = dir;
        Port = port;
        _serverOptions = serverOptions;
    }

    private string DataDirectory => Path.Combine(_dir.Path, "data");

    /// <summary>The folder of initdb, pg_ctl and createdb, or null when PostgreSQL is not installed.</summary>
    public static string? BinDirectory { get; } = FindBinDirectory();

    /// <summary>Why no server can be started here, or null when one can.</summary>
    public static string? MissingReason { get; } = FindMissingReason();

    /// <summary>The server's TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The process's server, started on first use.</summary>
    public static Task<PostgresPeer> GetSharedAsync() => SharedPeer.Value;

    /// <summary>
    /// A server of the caller's own, for a test that stops and starts it (<see cref="StopServerAsync"/>,
    /// <see cref="StartServerAsync"/>) without disturbing the shared one; the caller disposes it.
    /// </summary>
    public static Task<PostgresPeer> StartPrivateAsync() => StartAsync();

    /// <summary>Stops the server cleanly (<c>pg_ctl stop -m fast</c>: clients are disconnected), keeping its data.</summary>
    public Task StopServerAsync() => RunAsServerUserAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"]);

    /// <summary>Starts the stopped server again on the same port and data; returns once it accepts connections.</summary>
    public Task StartServerAsync() =>
        RunAsServerUserAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_dir.Path, "server.log"), "-o", _serverOptions, "-w", "-t", "60", "start"]);

    /// <summary>Stops a private server (<see cref="StartPrivateAsync"/>) and removes its folder.</summary>
    public void Dispose() => Stop();

    /// <summary>Creates a new, empty database (UTF-8) and returns an Npgsql connection string for it.</summary>
    public Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"mednode_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}");
        return Task.Run(() =>
        {
            var r = Tools.Run(Path.Combine(BinDirectory!, "createdb"), ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", Superuser, "-E", "UTF8", name]);
            if (r.ExitCode != 0) throw new InvalidOperationException($"createdb failed: {r.StdErr}");
            return $"Host=127.0.0.1;Port={Port};Username={Superuser};Database={name}";
        }, cancellationToken);
    }

    private static async Task<PostgresPeer> StartAsync()
    {
        if (MissingReason != null) throw new InvalidOperationException("PostgreSQL cannot be started: " + MissingReason);
        RemoveStaleServers();
        var dir = new TempDir(FolderPrefix);
        try
        {
            File.WriteAllText(Path.Combine(dir.Path, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            // The server's user must be able to create the data folder and its socket here.
            File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
            var data = Path.Combine(dir.Path, "data");
            // ICU en-US as the server's default collation, as on a typical production server, so that a column that
            // forgot its "C" collation would order differently from SQLite and the in-memory index and a test would see it.
            await RunAsServerUserAsync("initdb", ["-D", data, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--no-sync",
                "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"]);
            var port = FreePort();
            var serverOptions = $"-h 127.0.0.1 -p {port} -k {dir.Path} -F -c max_connections=200 -c shared_buffers=32MB";
            await RunAsServerUserAsync("pg_ctl", ["-D", data, "-l", Path.Combine(dir.Path, "server.log"), "-o", serverOptions, "-w", "-t", "60", "start"]);
            var peer = new PostgresPeer(dir, port, serverOptions);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => peer.Stop();
            StartWatchdog(dir.Path);
            return peer;
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Immediate shutdown by PID (SIGQUIT: the data is thrown away, so no checkpoint is needed), then the folder goes. The
    /// test host may be ended soon after the run, so this must be quick; what it leaves, the next start removes.
    /// </summary>
    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        // The server's PID as of now: a private server may have been restarted (StartServerAsync) or stopped.
        if (ServerPid(DataDirectory) is { } pid) StopServer(pid);
        _dir.Dispose();
    }

    private static int? ServerPid(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "postmaster.pid");
        try
        {
            return File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void StopServer(int pid)
    {
        if (Kill(pid, SigQuit) == 0 && !WaitForExit(pid, TimeSpan.FromSeconds(10))) Kill(pid, SigKill);
    }

    /// <summary>
    /// The test host may be ended (by the test platform) before its exit handler has run; a small shell then stops the
    /// server by its PID and removes the folder once this process has gone.
    /// </summary>
    private static void StartWatchdog(string folder)
    {
        // The PID is read when the watchdog fires, from postmaster.pid: a private server may have been restarted since.
        var script = string.Create(CultureInfo.InvariantCulture,
            $"exec </dev/null >/dev/null 2>&1; while kill -0 {Environment.ProcessId}; do sleep 1; done; " +
            $"p=$(head -n1 '{folder}/data/postmaster.pid'); if [ -n \"$p\" ]; then kill -QUIT $p; " +
            $"n=0; while kill -0 $p && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done; fi; rm -rf '{folder}'");
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        System.Diagnostics.Process.Start(psi)?.Dispose();
    }

    /// <summary>Servers and folders left by test processes that have ended (killed before their exit handler ran).</summary>
    private static void RemoveStaleServers()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var owner = Path.Combine(folder, OwnerFile);
            if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner), CultureInfo.InvariantCulture, out var ownerPid) || Kill(ownerPid, 0) == 0)
                continue;
            var pidFile = Path.Combine(folder, "data", "postmaster.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), CultureInfo.InvariantCulture, out var serverPid)
                && File.Exists($"/proc/{serverPid}/comm") && File.ReadAllText($"/proc/{serverPid}/comm").Trim() == "postgres")
                StopServer(serverPid);
            try { Directory.Delete(folder, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool WaitForExit(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Kill(pid, 0) == 0)
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    private static Task RunAsServerUserAsync(string tool, string[] args) => Task.Run(() =>
    {
        var path = Path.Combine(BinDirectory!, tool);
        var r = Environment.IsPrivilegedProcess
            ? Tools.Run("runuser", ["-u", "postgres", "--", path, .. args])
            : Tools.Run(path, args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{tool} failed ({r.ExitCode}): {r.StdErr}{r.StdOut}");
    });

    private static int FreePort() => FreePorts.Next();

    private static string? FindBinDirectory()
    {
        if (Tools.Find("initdb") is { } initdb && Tools.Find("pg_ctl") != null && Tools.Find("createdb") != null)
            return Path.GetDirectoryName(Path.GetFullPath(new FileInfo(initdb).ResolveLinkTarget(true)?.FullName ?? initdb));
        const string Debian = "/usr/lib/postgresql";
        if (!Directory.Exists(Debian)) return null;
        return Directory.GetDirectories(Debian)
            .Where(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .OrderByDescending(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "createdb")));
    }

    private static string? FindMissingReason()
    {
        if (!OperatingSystem.IsLinux()) return "the PostgreSQL peer runs on Linux only";
        if (BinDirectory == null) return "PostgreSQL (initdb, pg_ctl) not found: install the Debian package postgresql (scripts/install-test-deps.sh)";
        if (Environment.IsPrivilegedProcess && (Tools.Find("runuser") == null || !File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal))))
            return "running as root, PostgreSQL needs the 'postgres' user and runuser (the Debian package postgresql creates the user)";
        return null;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Marks a test class whose tests need the PostgreSQL peer: outside CI they skip when it is missing (<see cref="RequiresFactAttribute"/>).</summary>
public sealed class RequiresPostgresAttribute : ClassRequirementAttribute
{
    public override string? MissingReason => PostgresPeer.MissingReason;
}
