using MedNode.Core.Storage;
using MedNode.Dicom;

namespace MedNode.Persistence.Storage;

/// <summary>The journaled commit path, checkpoints and start-up recovery of <see cref="FileSystemBlobStore"/>.</summary>
public sealed partial class FileSystemBlobStore
{
    /// <summary>
    /// Writes the instance to disk once: the spooled file becomes the stored file. Its writeback starts at once, it is
    /// hashed and a reference record is appended to the journal; the (group) journal flush fdatasyncs the spooled files of
    /// its records and their folder, then the journal; the commit then renames the file into place without a flush.
    /// After a crash, recovery finds the file under either name (the journal names both) and re-indexes it; the renamed
    /// file's folder is synced by the checkpoint.
    /// </summary>
    private async Task<BlobInfo> CommitThroughJournalAsync(string tempFilePath, string key, string target, bool overwrite, CancellationToken ct)
    {
        var spool = Path.GetFullPath(tempFilePath);
        var started = _time.GetTimestamp();
        JournalTicket ticket;
        long size;
        byte[] digest;
        BlobStamp hashed;
        var hashStarted = BackdateForHash(spool);
        using (var handle = File.OpenHandle(spool, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            IngestJournal.StartWriteback(handle);
            hashed = BlobStamp.Of(handle);
            (size, digest) = Hash(handle);
            started = RecordStage("hash", started);
            ticket = await _journal!.AppendReferenceAsync(key, target, handle, spool, size, digest, ct);
            try
            {
                await _journal.WaitDurableAsync(ticket, ct);
            }
            catch
            {
                _journal.Release(ticket);
                throw;
            }
        }
        started = RecordStage("flush", started);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(spool, target, overwrite);
        }
        catch
        {
            _journal.Release(ticket);
            throw;
        }
        RecordStage("place", started);
        var sha256 = Convert.ToHexStringLower(digest);
        Integrity.RecordCommitted(key, sha256, hashed, hashStarted);
        var blob = new BlobInfo(key, size, sha256);
        _tickets.Add(blob, ticket);
        if (_journal.HasClosedSegments) _ = Task.Run(() => CheckpointInBackgroundAsync(), CancellationToken.None);
        return blob;
    }

    /// <summary>Records a stage of the journaled commit (<see cref="MedNode.Core.Diagnostics.MedNodeMetrics.CommitStageDuration"/>); returns now.</summary>
    private long RecordStage(string stage, long since)
    {
        var now = _time.GetTimestamp();
        MedNode.Core.Diagnostics.MedNodeMetrics.CommitStageDuration.Record(_time.GetElapsedTime(since, now).TotalSeconds,
            new KeyValuePair<string, object?>(MedNode.Core.Diagnostics.MedNodeMetrics.StageTag, stage));
        return now;
    }

    /// <summary>Length and SHA-256 of an open file, read from the page cache through one pooled buffer.</summary>
    private static (long Size, byte[] Sha256) Hash(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            long at = 0;
            int n;
            while ((n = RandomAccess.Read(handle, buffer, at)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                at += n;
            }
            return (at, sha.GetHashAndReset());
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The caller has indexed the blob (or given up): its journal record no longer holds a checkpoint back.</summary>
    public void CommitCompleted(BlobInfo blob)
    {
        if (_journal != null && _tickets.TryGetValue(blob, out var ticket) && _tickets.Remove(blob)) _journal.Release(ticket);
    }

    /// <summary>Checkpoints closed journal segments; with <paramref name="all"/> the open one too (shutdown, deletes).</summary>
    public async Task CheckpointAsync(bool all, CancellationToken cancellationToken)
    {
        if (_journal == null) return;
        await _checkpointing.WaitAsync(cancellationToken);
        try
        {
            await _journal.CheckpointAsync(_makeIndexDurableAsync, all, cancellationToken);
        }
        finally
        {
            _checkpointing.Release();
        }
    }

    private async Task CheckpointInBackgroundAsync()
    {
        if (!_checkpointing.Wait(0)) return; // one is running; it or the next commit picks the segment up
        try
        {
            await _journal!.CheckpointAsync(_makeIndexDurableAsync, all: false, CancellationToken.None);
        }
        catch (IOException)
        {
            // The segments stay; the next checkpoint, or recovery at start-up, retries them.
        }
        finally
        {
            _checkpointing.Release();
        }
    }

    /// <summary>
    /// Start-up recovery: every intact payload record of the segments left by a previous run is written to its file again
    /// (temporary file, rename), every reference record's file is put back in place when its rename was lost
    /// (<see cref="RecoverReference"/>), the files and folders are fsynced, <paramref name="reindexAsync"/> is called for the
    /// last record of each key, the index is made durable, and only then are the segments deleted. A torn tail ends its
    /// segment. Returns the recovered blobs.
    /// </summary>
    public async Task<IReadOnlyList<BlobInfo>> RecoverJournalAsync(Func<BlobInfo, CancellationToken, Task> reindexAsync, CancellationToken cancellationToken)
    {
        if (_journal == null) return [];
        var old = IngestJournal.SegmentPaths(_journal.DirectoryPath).Where(p => !IsOpenSegment(p)).ToList();
        var latest = new Dictionary<string, BlobInfo>(StringComparer.Ordinal);
        var buffer = new byte[1 << 20];
        foreach (var segment in old)
        {
            var reader = new IngestJournalReader(segment);
            using var src = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            foreach (var r in reader.Records)
            {
                string target;
                try
                {
                    target = GetPath(r.Key);
                }
                catch (ArgumentException)
                {
                    continue; // not a key of this store: never written by it
                }
                if (r.SpoolPath != null)
                {
                    RecoverReference(r, target, latest);
                    continue;
                }
                var tmp = Path.Combine(TempDirectory, "recover-" + Guid.NewGuid().ToString("N") + ".part");
                await using (var dst = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
                {
                    src.Position = r.PayloadOffset;
                    for (long left = r.Size; left > 0;)
                    {
                        int n = await src.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                        if (n == 0) throw new EndOfStreamException("Journal segment shorter than its record.");
                        await dst.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                        left -= n;
                    }
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(tmp, target, overwrite: true);
                latest[r.Key] = new BlobInfo(r.Key, r.Size, r.Sha256);
            }
        }
        var paths = latest.Keys.Select(GetPath).ToList();
        foreach (var p in paths) IngestJournal.FsyncFile(p);
        foreach (var d in paths.Select(Path.GetDirectoryName).Distinct(StringComparer.Ordinal)) DicomFileWriter.FsyncDirectory(d!);
        foreach (var blob in latest.Values) await reindexAsync(blob, cancellationToken);
        await _makeIndexDurableAsync(cancellationToken);
        foreach (var segment in old) File.Delete(segment);
        DicomFileWriter.FsyncDirectory(_journal.DirectoryPath);
        return [.. latest.Values];
    }

    /// <summary>
    /// A reference record: the spooled file's data was synced before its commit was acknowledged. If the rename did not
    /// reach the disk, the file is still under its spool name: it is renamed again. A file that matches neither name (its
    /// commit was never acknowledged) is left alone.
    /// </summary>
    private void RecoverReference(JournalRecord r, string target, Dictionary<string, BlobInfo> latest)
    {
        var spool = Path.GetFullPath(r.SpoolPath!);
        if (spool.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && Matches(spool, r))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(spool, target, overwrite: true);
        }
        if (Matches(target, r)) latest[r.Key] = new BlobInfo(r.Key, r.Size, r.Sha256);
    }

    private static bool Matches(string path, JournalRecord r)
    {
        if (!File.Exists(path) || new FileInfo(path).Length != r.Size) return false;
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return string.Equals(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(fs)), r.Sha256, StringComparison.Ordinal);
    }

    private bool IsOpenSegment(string path) => _journal!.IsOpenSegment(path);

    public void Dispose()
    {
        _journal?.Dispose();
        _checkpointing.Dispose();
    }
}
