using System.Runtime.CompilerServices;
using MedNode.Core.Diagnostics;
using MedNode.Core.Index;
using Microsoft.Extensions.Logging;

namespace MedNode.Core.Storage;

/// <summary>The scrub: every indexed file re-read and checked against its SHA-256, whatever the read policy.</summary>
public sealed partial class BlobIntegrityService
{
    /// <summary>
    /// Checks every instance of <paramref name="instances"/> that has a recorded SHA-256, reading at most
    /// <see cref="BlobIntegrityOptions.ScrubBytesPerSecond"/>. A mismatch or an unreadable file is recorded as on a read
    /// (metric, log, <see cref="Status"/>); a missing file too, unless <paramref name="index"/> no longer holds it (deleted
    /// while the scrub ran). Files that match are remembered as verified, so reads after a scrub skip the hash.
    /// </summary>
    public async Task<BlobScrubReport> ScrubAsync(IAsyncEnumerable<InstanceRecord> instances, IInstanceIndex? index, CancellationToken cancellationToken)
    {
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        long checkedCount = 0, bytes = 0, corrupted = 0, missing = 0;
        await foreach (var record in instances.WithCancellation(cancellationToken))
        {
            if (string.IsNullOrEmpty(record.Sha256)) continue;
            FileStream stream;
            try
            {
                stream = new FileStream(_store.GetPath(record.BlobKey), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                if (index != null)
                {
                    var now = await index.FindInstanceAsync(record.SopInstanceUid, cancellationToken);
                    if (now == null || now.BlobKey != record.BlobKey) continue;
                }
                missing++;
                RecordFailure(record.BlobKey, "scrub");
                continue;
            }
            using (stream)
            {
                var stamp = BlobStamp.Of(stream);
                try
                {
                    Check(record.BlobKey, stream, stamp, record.Sha256, "scrub");
                }
                catch (BlobIntegrityException)
                {
                    corrupted++;
                }
                catch (IOException)
                {
                    // An unreadable file (EIO) is as lost as a corrupted one.
                    _verified.TryRemove(record.BlobKey, out _);
                    RecordFailure(record.BlobKey, "scrub");
                    corrupted++;
                }
                checkedCount++;
                bytes += stamp.Length;
            }
            MedNodeMetrics.Scrubbed.Add(1);
            if (_options.ScrubBytesPerSecond > 0)
            {
                var due = TimeSpan.FromSeconds((double)bytes / _options.ScrubBytesPerSecond) - _time.GetElapsedTime(started);
                if (due > TimeSpan.Zero) await Task.Delay(due, _time, cancellationToken);
            }
        }
        var report = new BlobScrubReport(checkedCount, bytes, corrupted, missing, startedAt, _time.GetUtcNow());
        lock (_statusGate) _lastScrub = report;
        LogScrubbed(_log, checkedCount, bytes, corrupted, missing);
        return report;
    }

    /// <summary>
    /// Every instance of the index, oldest first, read in pages of <paramref name="pageSize"/> so that no database read
    /// stays open while the scrub hashes (a long SQLite read would hold the WAL checkpoint back).
    /// </summary>
    public static async IAsyncEnumerable<InstanceRecord> AllInstancesAsync(IRecentInstances index, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var since = DateTimeOffset.MinValue;
        var seenAtSince = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var page = new List<InstanceRecord>(pageSize);
            await foreach (var r in index.ListReceivedSinceAsync(since, cancellationToken))
            {
                if (r.ReceivedAt == since && seenAtSince.Contains(r.SopInstanceUid)) continue;
                page.Add(r);
                if (page.Count == pageSize) break;
            }
            if (page.Count == 0) yield break;
            foreach (var r in page) yield return r;
            var last = page[^1].ReceivedAt;
            if (last != since) seenAtSince.Clear();
            since = last;
            foreach (var r in page)
                if (r.ReceivedAt == since) seenAtSince.Add(r.SopInstanceUid);
        }
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Storage scrub done: {Checked} files, {Bytes} bytes, {Corrupted} corrupted or unreadable, {Missing} missing")]
    private static partial void LogScrubbed(ILogger logger, long @checked, long bytes, long corrupted, long missing);
}
