using MedNode.Core.Storage;
using MedNode.Dicom;

namespace MedNode.Persistence.Storage;

/// <summary>The journaled commit path, checkpoints and start-up recovery of <see cref="FileSystemBlobStore"/>.</summary>
public sealed partial class FileSystemBlobStore
{
    /// <summary>
    /// Appends the spooled file to the journal, waits for the (group) fdatasync that covers it, then renames the spooled
    /// file into place without a flush: the journal is the durable copy until a checkpoint has synced the file.
    /// </summary>
    private async Task<BlobInfo> CommitThroughJournalAsync(string tempFilePath, string key, string target, bool overwrite, CancellationToken ct)
    {
        JournalTicket ticket;
        long size;
        string sha256;
        BlobStamp hashed;
        var hashStarted = BackdateForHash(tempFilePath);
        await using (var fs = new FileStream(tempFilePath, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            hashed = BlobStamp.Of(fs);
            (ticket, size, sha256) = await _journal!.AppendAsync(key, target, fs, ct);
        }
        try
        {
            await _journal.WaitDurableAsync(ticket, ct);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(tempFilePath, target, overwrite);
        }
        catch
        {
            _journal.Release(ticket);
            throw;
        }
        Integrity.RecordCommitted(key, sha256, hashed, hashStarted);
        var blob = new BlobInfo(key, size, sha256);
        _tickets.Add(blob, ticket);
        if (_journal.HasClosedSegments) _ = Task.Run(() => CheckpointInBackgroundAsync(), CancellationToken.None);
        return blob;
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
    /// Start-up recovery: every intact record of the segments left by a previous run is written to its file again
    /// (temporary file, rename), the files and folders are fsynced, <paramref name="reindexAsync"/> is called for the
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

    private bool IsOpenSegment(string path) => _journal!.IsOpenSegment(path);

    public void Dispose()
    {
        _journal?.Dispose();
        _checkpointing.Dispose();
    }
}
