using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace MedNode.Persistence.Storage;

/// <summary>A place in the journal: the record's segment and the journal position just after it.</summary>
public sealed class JournalTicket
{
    internal JournalTicket(IngestJournal.Segment segment, long end)
    {
        Segment = segment;
        End = end;
    }

    internal IngestJournal.Segment Segment { get; }

    internal long End { get; }
}

/// <summary>
/// The append-only ingest journal: a commit waits until an fdatasync covers its record, and concurrent commits share one
/// fdatasync (group commit). Two record kinds:
/// <list type="bullet">
/// <item>a reference record (<c>"MNJ2"</c>, <see cref="AppendReferenceAsync"/>), what the store writes: the key, the path
/// of the spooled file, its length and SHA-256, and a SHA-256 of the record itself. The spooled file is the one copy of the
/// instance: the group flush fdatasyncs the spooled files of its records, fsyncs their folder (so that a file's name
/// survives) and fdatasyncs the journal, in parallel; the commit then renames its file into place without a flush. Each
/// instance is written to disk once.</item>
/// <item>a payload record (<c>"MNJ1"</c>, <see cref="AppendAsync"/>: key length u16, key, payload length i64, payload,
/// SHA-256 of the payload, <c>"MNJE"</c>), the whole file copied into the journal, as versions before the reference record
/// wrote it; recovery still replays such segments.</item>
/// </list>
/// A checkpoint later fsyncs the renamed files' folders (and a payload record's file), then the index, and only then deletes
/// the segment. Recovery at start-up stops at the first torn record of a segment.
/// </summary>
public sealed partial class IngestJournal : IDisposable
{
    private static readonly byte[] Magic = "MNJ1"u8.ToArray();
    private static readonly byte[] ReferenceMagic = "MNJ2"u8.ToArray();
    private const int MaxPathBytes = 4096;

    /// <summary>A segment is closed after this many records too: recovery re-reads the files its reference records name.</summary>
    internal const int MaxRecordsPerSegment = 1024;
    private static readonly byte[] Trailer = "MNJE"u8.ToArray();
    private const int MaxKeyBytes = 512;
    private const int HeaderFixed = 4 + 2 + 8;
    private const int TrailerBytes = 32 + 4;

    /// <summary>The lock file that makes this instance the folder's one owner (<see cref="TakeOwnership"/>).</summary>
    public const string OwnerLockFile = "owner.lock";

    private readonly string _dir;
    private readonly long _segmentBytes;
    private readonly FileStream _owner;
    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<Segment> _closed = [];
    private Segment _current;
    private long _position;
    private long _durable;
    private Task? _flush;
    // Spooled files of reference records appended since the last flush, and their folders: the flush fdatasyncs the files
    // and fsyncs the folders (a file's name is durable only when its folder is synced), so that recovery finds a file whose
    // rename had not reached the disk. The flush syncs the whole group: no thread per commit, one wake-up per group.
    private HashSet<string> _spoolFolders = new(StringComparer.Ordinal);
    private List<SafeFileHandle> _spoolFiles = [];
    // Held by a flush and by a rotation from their first to their last sync: a rotation declares every record durable, so
    // it must not overtake files that a flush has taken from _spoolFiles and is still syncing.
    private readonly Lock _flushLock = new();
    // Long-lived threads for the flush's parallel syncs: a thread started per flush cost more CPU than the syncs' own.
    private readonly SyncThread _fileSyncer = new("journal file sync");
    private readonly SyncThread _folderSyncer = new("journal folder sync");
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Opens the journal folder; call <see cref="ReadSegments"/> and recover before appending when segments exist. Throws
    /// <see cref="IngestJournalInUseException"/> when another journal (in this or another process) has the folder.
    /// </summary>
    public IngestJournal(string directory, long segmentBytes)
    {
        _dir = directory;
        _segmentBytes = segmentBytes;
        Directory.CreateDirectory(_dir);
        _owner = TakeOwnership(_dir);
        try
        {
            _current = OpenSegment(NextSequence());
        }
        catch
        {
            _owner.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A journal folder has one owner: the owner replays and then deletes every segment it finds at start-up, and numbers
    /// its segments after those present, so a second journal on the folder would replay, and delete, the first one's live
    /// segments. The owner holds <see cref="OwnerLockFile"/> open with <see cref="FileShare.None"/>, which .NET enforces on
    /// Unix with an exclusive <c>flock</c> (released when the process ends, even by SIGKILL).
    /// </summary>
    private static FileStream TakeOwnership(string directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory, OwnerLockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IngestJournalInUseException(directory, e);
        }
    }

    public string DirectoryPath => _dir;

    internal sealed class Segment(long sequence, string path, SafeFileHandle handle)
    {
        public long Sequence { get; } = sequence;
        public string Path { get; } = path;
        public SafeFileHandle Handle { get; } = handle;
        public long Length { get; set; }
        public int Pending { get; set; }
        public int Records { get; set; }

        /// <summary>Files of payload records: fsynced (with their folders) at the checkpoint.</summary>
        public List<string> Files { get; } = [];

        /// <summary>Files of reference records, synced at commit: only their folders (the renames) wait for the checkpoint.</summary>
        public List<string> Renamed { get; } = [];
    }

    /// <summary>Appends <paramref name="source"/> as one record for the file at <paramref name="finalPath"/>; returns its ticket, size and SHA-256.</summary>
    public async Task<(JournalTicket Ticket, long Size, string Sha256)> AppendAsync(string key, string finalPath, Stream source, CancellationToken cancellationToken)
    {
        var keyBytes = Encoding.ASCII.GetBytes(key);
        if (keyBytes.Length > MaxKeyBytes) throw new ArgumentException("Key too long for the journal.", nameof(key));
        long size = source.Length;
        await _append.WaitAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            if (_current.Length >= _segmentBytes || _current.Records >= MaxRecordsPerSegment) Rotate();
            var seg = _current;
            long start = seg.Length, at = start;
            try
            {
                int h = HeaderFixed + keyBytes.Length;
                Magic.CopyTo(buffer, 0);
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4), (ushort)keyBytes.Length);
                keyBytes.CopyTo(buffer, 6);
                BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(6 + keyBytes.Length), size);
                RandomAccess.Write(seg.Handle, buffer.AsSpan(0, h), at);
                at += h;
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long left = size;
                while (left > 0)
                {
                    int n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), CancellationToken.None);
                    if (n == 0) throw new EndOfStreamException("The spooled file is shorter than its length.");
                    sha.AppendData(buffer, 0, n);
                    RandomAccess.Write(seg.Handle, buffer.AsSpan(0, n), at);
                    at += n;
                    left -= n;
                }
                var digest = sha.GetHashAndReset();
                digest.CopyTo(buffer, 0);
                Trailer.CopyTo(buffer, 32);
                RandomAccess.Write(seg.Handle, buffer.AsSpan(0, TrailerBytes), at);
                at += TrailerBytes;
                lock (_gate)
                {
                    seg.Length = at;
                    _position += at - start;
                    seg.Pending++;
                    seg.Records++;
                    seg.Files.Add(finalPath);
                    return (new JournalTicket(seg, _position), size, Convert.ToHexStringLower(digest));
                }
            }
            catch
            {
                // A record that is not whole must not hide the records after it: cut it off again.
                RandomAccess.SetLength(seg.Handle, start);
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _append.Release();
        }
    }

    /// <summary>
    /// Appends a reference record: the file at <paramref name="spoolPath"/> (<paramref name="size"/> bytes, SHA-256
    /// <paramref name="sha256"/>) is to become <paramref name="finalPath"/> under <paramref name="key"/>. The caller keeps
    /// <paramref name="spool"/> open until the commit has waited (<see cref="WaitDurableAsync"/>): the flush that covers this
    /// record fdatasyncs the spooled file through it and fsyncs the file's folder. Record:
    /// <c>"MNJ2"</c>, key length u16, key, path length u16, path (UTF-8), size i64, the file's SHA-256, SHA-256 of all the
    /// record's bytes before it, <c>"MNJE"</c>.
    /// </summary>
    public async Task<JournalTicket> AppendReferenceAsync(string key, string finalPath, SafeFileHandle spool, string spoolPath, long size, ReadOnlyMemory<byte> sha256, CancellationToken cancellationToken)
    {
        var keyBytes = Encoding.ASCII.GetBytes(key);
        var pathBytes = Encoding.UTF8.GetBytes(spoolPath);
        if (keyBytes.Length is 0 or > MaxKeyBytes) throw new ArgumentException("Key too long for the journal.", nameof(key));
        if (pathBytes.Length is 0 or > MaxPathBytes) throw new ArgumentException("Path too long for the journal.", nameof(spoolPath));
        if (sha256.Length != 32) throw new ArgumentException("A SHA-256 has 32 bytes.", nameof(sha256));
        var record = new byte[4 + 2 + keyBytes.Length + 2 + pathBytes.Length + 8 + 32 + TrailerBytes];
        int at = 0;
        ReferenceMagic.CopyTo(record, at);
        at += 4;
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(at), (ushort)keyBytes.Length);
        keyBytes.CopyTo(record, at += 2);
        at += keyBytes.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(at), (ushort)pathBytes.Length);
        pathBytes.CopyTo(record, at += 2);
        at += pathBytes.Length;
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(at), size);
        sha256.Span.CopyTo(record.AsSpan(at += 8));
        at += 32;
        SHA256.HashData(record.AsSpan(0, at), record.AsSpan(at));
        Trailer.CopyTo(record, at + 32);
        var spoolFolder = Path.GetDirectoryName(Path.GetFullPath(spoolPath))!;

        await _append.WaitAsync(cancellationToken);
        try
        {
            if (_current.Length >= _segmentBytes || _current.Records >= MaxRecordsPerSegment) Rotate();
            var seg = _current;
            long start = seg.Length;
            try
            {
                RandomAccess.Write(seg.Handle, record, start);
            }
            catch
            {
                RandomAccess.SetLength(seg.Handle, start);
                throw;
            }
            lock (_gate)
            {
                seg.Length = start + record.Length;
                _position += record.Length;
                seg.Pending++;
                seg.Records++;
                seg.Renamed.Add(finalPath);
                _spoolFolders.Add(spoolFolder);
                _spoolFiles.Add(spool);
                return new JournalTicket(seg, _position);
            }
        }
        finally
        {
            _append.Release();
        }
    }

    /// <summary>Completes when an fdatasync covers the ticket's record. One flush serves every commit waiting at that moment.</summary>
    public async Task WaitDurableAsync(JournalTicket ticket, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task flush;
            lock (_gate)
            {
                if (_durable >= ticket.End) return;
                flush = _flush ??= Task.Run(FlushCurrent, CancellationToken.None);
            }
            await flush.WaitAsync(cancellationToken);
        }
    }

    private void FlushCurrent()
    {
        Segment seg;
        long target;
        bool added = false;
        try
        {
            lock (_flushLock)
            {
                lock (_gate)
                {
                    seg = _current;
                    target = _position;
                }
                // The spooled files, their folders and the journal each on their own thread: every sync ends in a flush of
                // the disk's cache (about 2 ms here, bench/RESULTS.md), and flushes issued together are merged by the block
                // layer instead of paid one after the other. A record durable before its file is harmless: recovery checks
                // the file's SHA-256, and the commit is acknowledged only after all three.
                var (files, folders) = TakeSpooled();
                var filesSynced = files.Count == 0 ? Task.CompletedTask : _fileSyncer.RunAsync(() => files.ForEach(DataSync));
                var foldersSynced = folders.Count == 0 ? Task.CompletedTask : _folderSyncer.RunAsync(() => SyncFolders(folders));
                try
                {
                    seg.Handle.DangerousAddRef(ref added);
                    try
                    {
                        if (NativeMethods.fdatasync((int)seg.Handle.DangerousGetHandle()) != 0)
                            throw new IOException($"fdatasync of the ingest journal failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
                    }
                    finally
                    {
                        if (added) seg.Handle.DangerousRelease();
                    }
                }
                finally
                {
                    SyncThread.WaitQuietly(filesSynced);
                    SyncThread.WaitQuietly(foldersSynced);
                }
                filesSynced.GetAwaiter().GetResult();
                foldersSynced.GetAwaiter().GetResult();
                lock (_gate) _durable = Math.Max(_durable, target);
            }
        }
        finally
        {
            lock (_gate) _flush = null;
        }
    }

    /// <summary>The ticket's file is in place and indexed (or its commit was given up): its segment may be checkpointed.</summary>
    public void Release(JournalTicket ticket)
    {
        TaskCompletionSource released;
        lock (_gate)
        {
            ticket.Segment.Pending--;
            released = _released;
            _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        released.TrySetResult();
    }

    /// <summary>
    /// Makes the files of closed segments durable (fsync of each file and folder), then the index, then deletes those
    /// segments. With <paramref name="all"/> the current segment is closed first and the call waits for its commits.
    /// </summary>
    public async Task CheckpointAsync(Func<CancellationToken, Task> makeIndexDurableAsync, bool all, CancellationToken cancellationToken)
    {
        List<Segment> ready;
        while (true)
        {
            Task released;
            if (all)
            {
                await _append.WaitAsync(cancellationToken);
                try
                {
                    if (_current.Length > 0) Rotate();
                }
                finally
                {
                    _append.Release();
                }
            }
            lock (_gate)
            {
                ready = _closed.Where(s => s.Pending == 0).ToList();
                released = _released.Task;
                if (!all || ready.Count == _closed.Count) break;
            }
            await released.WaitAsync(cancellationToken);
        }
        if (ready.Count == 0) return;
        var files = ready.SelectMany(s => s.Files).Distinct(StringComparer.Ordinal).Where(File.Exists).ToList();
        foreach (var f in files) FsyncFile(f);
        var renamed = ready.SelectMany(s => s.Renamed);
        foreach (var d in files.Concat(renamed).Select(Path.GetDirectoryName).Distinct(StringComparer.Ordinal)) FsyncFolder(d!);
        await makeIndexDurableAsync(cancellationToken);
        lock (_gate) _closed.RemoveAll(ready.Contains);
        foreach (var s in ready)
        {
            s.Handle.Dispose();
            File.Delete(s.Path);
        }
        MedNode.Dicom.DicomFileWriter.FsyncDirectory(_dir);
    }

    /// <summary>Whether <paramref name="path"/> is a segment this instance opened (not one left by a previous run).</summary>
    public bool IsOpenSegment(string path)
    {
        lock (_gate) return _closed.Any(s => s.Path == path) || _current.Path == path;
    }

    /// <summary>Whether closed segments wait for a checkpoint.</summary>
    public bool HasClosedSegments
    {
        get
        {
            lock (_gate) return _closed.Count > 0;
        }
    }

    /// <summary>
    /// fdatasync of the spooled files of the records appended so far, then fsync of their folders. Writeback was started
    /// at commit (<see cref="StartWriteback"/>), so the files' writes are already in flight together and each fdatasync
    /// mostly waits. A file whose commit gave up (handle closed) is skipped. When a folder fails, it stays pending.
    /// </summary>
    private void SyncSpooled()
    {
        var (files, folders) = TakeSpooled();
        files.ForEach(DataSync);
        SyncFolders(folders);
    }

    private (List<SafeFileHandle> Files, HashSet<string> Folders) TakeSpooled()
    {
        lock (_gate)
        {
            var taken = (_spoolFiles, _spoolFolders);
            (_spoolFiles, _spoolFolders) = ([], new(StringComparer.Ordinal));
            return taken;
        }
    }

    private void SyncFolders(HashSet<string> folders)
    {
        try
        {
            foreach (var folder in folders) FsyncFolder(folder);
        }
        catch
        {
            lock (_gate) _spoolFolders.UnionWith(folders);
            throw;
        }
    }

    private void Rotate()
    {
        var old = _current;
        lock (_flushLock)
        {
            SyncSpooled();
            if (NativeMethods.fdatasync((int)old.Handle.DangerousGetHandle()) != 0) throw new IOException("fdatasync of the ingest journal failed.");
        }
        var next = OpenSegment(old.Sequence + 1);
        lock (_gate)
        {
            _durable = _position;
            _closed.Add(old);
            _current = next;
        }
    }

    private Segment OpenSegment(long sequence)
    {
        var path = Path.Combine(_dir, sequence.ToString("D12", System.Globalization.CultureInfo.InvariantCulture) + ".log");
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        MedNode.Dicom.DicomFileWriter.FsyncDirectory(_dir); // the segment's name must be durable before a commit relies on it
        return new Segment(sequence, path, handle);
    }

    private long NextSequence() => SegmentPaths(_dir).Select(SequenceOf).DefaultIfEmpty(0).Max() + 1;

    private static long SequenceOf(string path) => long.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The segment files of a journal folder, oldest first.</summary>
    public static IReadOnlyList<string> SegmentPaths(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.GetFiles(directory, "*.log").Where(p => Path.GetFileNameWithoutExtension(p).All(char.IsAsciiDigit)).OrderBy(SequenceOf)]
            : [];

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var s in _closed) s.Handle.Dispose();
            _current.Handle.Dispose();
        }
        _append.Dispose();
        _owner.Dispose();
        _fileSyncer.Dispose();
        _folderSyncer.Dispose();
    }
}

/// <summary>Another ingest journal (another node on the same storage root, most likely) owns the journal folder.</summary>
public sealed class IngestJournalInUseException(string directory, Exception inner)
    : IOException($"The ingest journal {directory} is in use by another process: only one process may commit through the journal of a storage root.", inner)
{
    public string DirectoryPath { get; } = directory;
}
