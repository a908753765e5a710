using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using MedNode.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Storage;

/// <summary>
/// When a read of a stored instance re-checks its SHA-256. Every reader goes through the blob store
/// (<see cref="IBlobStore.OpenRead"/>, <see cref="IBlobStore.GetCheckedPath"/>), so WADO-RS, frames, rendered, C-GET, C-MOVE and
/// analysis all follow the same policy.
/// </summary>
public enum VerifyOnRead
{
    /// <summary>Every read hashes the whole file first (the cost of a second pass over every byte sent).</summary>
    Always,

    /// <summary>
    /// A read hashes the file only when it has not been verified since it last changed: its size, modification time and
    /// creation time (taken from the open handle) differ from those seen at its last successful check, or that check was
    /// too close to the modification to tell a later write apart (<see cref="BlobIntegrityService.RacyWindow"/>). Changes
    /// that keep all three (bit rot, a write that restores the times) are found by the scrub
    /// (<see cref="BlobIntegrityService.ScrubAsync"/>), not by reads.
    /// </summary>
    WhenChanged,

    /// <summary>Reads never hash (except of files the scrub found corrupted); only the scrub checks files.</summary>
    Never,
}

/// <summary>Settings of <see cref="BlobIntegrityService"/> (section <c>MedNode:Storage</c> in the host).</summary>
public sealed record BlobIntegrityOptions
{
    public VerifyOnRead VerifyOnRead { get; init; } = VerifyOnRead.WhenChanged;

    /// <summary>Verified files remembered at most; beyond it the oldest-looking eighth is forgotten (and re-verified on its next read).</summary>
    public int MaxVerifiedEntries { get; init; } = 100_000;

    /// <summary>The scrub reads at most this many bytes per second (0: as fast as the disk goes).</summary>
    public long ScrubBytesPerSecond { get; init; }
}

/// <summary>
/// Checks stored instance files against the SHA-256 recorded at ingest: on read, as <see cref="VerifyOnRead"/> says, and
/// by a scrub that re-reads every file the index holds (<see cref="ScrubAsync"/>). A mismatch is counted
/// (<see cref="MedNodeMetrics.IntegrityFailures"/>), logged without UIDs, kept in <see cref="Status"/> for the health check,
/// and makes the file's reads fail until it verifies again. Verified files are remembered by their stamp (size,
/// modification and creation times) so that the next read can skip the hash (the "racily clean" rule of Git's index:
/// a stamp is trusted only when the check began more than <see cref="RacyWindow"/> after the file's last modification).
/// </summary>
public sealed partial class BlobIntegrityService
{
    /// <summary>
    /// The file system stamps modifications with a coarse clock (one kernel tick, at most 10 ms); a write within this window
    /// of a check could keep the stamp the check saw, so such a check is not remembered.
    /// </summary>
    public static readonly TimeSpan RacyWindow = TimeSpan.FromMilliseconds(100);

    private const int HashBufferBytes = 1 << 20;

    private readonly IBlobStore _store;
    private readonly BlobIntegrityOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Verified> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _corrupted = new(StringComparer.Ordinal);
    private readonly Lock _statusGate = new();
    private BlobScrubReport? _lastScrub;
    private long _readHashes;

    public BlobIntegrityService(IBlobStore store, BlobIntegrityOptions? options = null, TimeProvider? timeProvider = null, ILogger<BlobIntegrityService>? logger = null)
    {
        _store = store;
        _options = options ?? new BlobIntegrityOptions();
        if (_options.MaxVerifiedEntries < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxVerifiedEntries cannot be negative.");
        if (_options.ScrubBytesPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(options), "ScrubBytesPerSecond cannot be negative.");
        _time = timeProvider ?? TimeProvider.System;
        _log = (ILogger?)logger ?? NullLogger.Instance;
    }

    public VerifyOnRead Policy => _options.VerifyOnRead;

    /// <summary>How many reads hashed their file (the scrub not counted): what <see cref="VerifyOnRead.WhenChanged"/> saves shows here.</summary>
    public long ReadHashes => Interlocked.Read(ref _readHashes);

    /// <summary>The files found corrupted (by reads or the scrub) and not verified since, and the last scrub's report.</summary>
    public BlobIntegrityStatus Status
    {
        get
        {
            lock (_statusGate) return new BlobIntegrityStatus(_corrupted.Count, _lastScrub);
        }
    }

    /// <summary>
    /// Opens a stored file for reading at position 0, unbuffered (callers read in large blocks), after checking it as
    /// <see cref="Policy"/> says. Without <paramref name="expectedSha256"/> (instances indexed before hashes were kept)
    /// nothing is checked. Throws <see cref="BlobIntegrityException"/> on a mismatch; the stream is then closed.
    /// </summary>
    public FileStream OpenRead(string key, string? expectedSha256)
    {
        var stream = new FileStream(_store.GetPath(key), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        if (string.IsNullOrEmpty(expectedSha256)) return stream;
        // A file found corrupted is checked on every read, whatever the policy, until it verifies again.
        bool known = _corrupted.ContainsKey(key);
        if (_options.VerifyOnRead == VerifyOnRead.Never && !known) return stream;
        try
        {
            var stamp = BlobStamp.Of(stream);
            if (!known && _options.VerifyOnRead == VerifyOnRead.WhenChanged && IsVerified(key, stamp, expectedSha256)) return stream;
            Check(key, stream, stamp, expectedSha256, "read");
            stream.Position = 0;
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks a stored file as <see cref="OpenRead"/> does and returns its path, for readers that parse lazily by offset (a
    /// file replaced after the check is a new file with a new stamp, checked on its next read).
    /// </summary>
    public string CheckPath(string key, string? expectedSha256)
    {
        using (OpenRead(key, expectedSha256)) return _store.GetPath(key);
    }

    /// <summary>
    /// Remembers a file the store has just committed as verified, so that the first read after ingest does not hash it
    /// again. Its SHA-256 was computed by a read that began at <paramref name="hashStartedUtc"/>, of the file as
    /// <paramref name="hashedStamp"/> describes it (taken from the handle the hash read). The store calls this once the
    /// write is durable; the file is remembered only when it still has that stamp and the stamp is not racily clean (the
    /// store puts the spooled file's modification time back before hashing it, so that any later write moves it). A file
    /// found corrupted before is no longer counted as such: the commit replaced it.
    /// </summary>
    public void RecordCommitted(string key, string sha256, BlobStamp hashedStamp, DateTime hashStartedUtc)
    {
        _corrupted.TryRemove(key, out _);
        if (_options.VerifyOnRead != VerifyOnRead.WhenChanged) return;
        try
        {
            using var stream = new FileStream(_store.GetPath(key), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            if (BlobStamp.Of(stream) == hashedStamp)
            {
                Remember(key, hashedStamp, sha256, hashStartedUtc);
                return;
            }
        }
        catch (IOException)
        {
            // The commit stands; the file is simply not remembered, and its next read checks it.
        }
        _verified.TryRemove(key, out _);
    }

    /// <summary>Whether the file is remembered as verified with this stamp and hash.</summary>
    private bool IsVerified(string key, BlobStamp stamp, string expectedSha256) =>
        _verified.TryGetValue(key, out var v) && v.Stamp == stamp && string.Equals(v.Sha256, expectedSha256, StringComparison.OrdinalIgnoreCase);

    /// <summary>Hashes the whole file from the current position's start; remembers it on a match, records a failure otherwise.</summary>
    private void Check(string key, FileStream stream, BlobStamp stamp, string expectedSha256, string source)
    {
        var startedUtc = _time.GetUtcNow().UtcDateTime;
        if (source == "read") Interlocked.Increment(ref _readHashes);
        var actual = Hash(stream);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            _verified.TryRemove(key, out _);
            RecordFailure(key, source);
            throw new BlobIntegrityException("A stored instance does not match the SHA-256 recorded when it was stored.");
        }
        _corrupted.TryRemove(key, out _);
        Remember(key, stamp, expectedSha256, startedUtc);
    }

    private void Remember(string key, BlobStamp stamp, string sha256, DateTime checkStartedUtc)
    {
        if (_options.VerifyOnRead != VerifyOnRead.WhenChanged || _options.MaxVerifiedEntries == 0) return;
        // Racily clean: a write in the same clock tick as the last modification could leave the stamp unchanged.
        if (stamp.LastWriteUtc + RacyWindow >= checkStartedUtc)
        {
            _verified.TryRemove(key, out _);
            return;
        }
        if (_verified.Count >= _options.MaxVerifiedEntries) Forget(_verified.Count - _options.MaxVerifiedEntries * 7 / 8);
        _verified[key] = new Verified(stamp, sha256);
    }

    /// <summary>Forgets about <paramref name="count"/> entries, those verified longest ago by their file's time (cheap, approximate).</summary>
    private void Forget(int count)
    {
        if (count <= 0) return;
        foreach (var key in _verified.OrderBy(e => e.Value.Stamp.LastWriteUtc).Take(count).Select(e => e.Key).ToList())
            _verified.TryRemove(key, out _);
    }

    private void RecordFailure(string key, string source)
    {
        _corrupted[key] = 0;
        MedNodeMetrics.IntegrityFailures.Add(1, new KeyValuePair<string, object?>(MedNodeMetrics.SourceTag, source));
        // The key holds the SOP Instance UID: only the fact and where it was found are logged (STYLE.md Habits 7).
        LogMismatch(_log, source);
    }

    private static string Hash(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HashBufferBytes);
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            stream.Position = 0;
            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, n);
            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed record Verified(BlobStamp Stamp, string Sha256);

    [LoggerMessage(EventId = 4200, Level = LogLevel.Error, Message = "A stored instance does not match the SHA-256 recorded at ingest (found by {Source}); its reads fail until it is restored")]
    private static partial void LogMismatch(ILogger logger, string source);
}

/// <summary>What identifies a file's content cheaply: size, modification and creation (birth) times, from one open handle.</summary>
public readonly record struct BlobStamp(long Length, DateTime LastWriteUtc, DateTime CreationUtc)
{
    public static BlobStamp Of(FileStream stream) => Of(stream.SafeFileHandle);

    public static BlobStamp Of(Microsoft.Win32.SafeHandles.SafeFileHandle handle) =>
        new(RandomAccess.GetLength(handle), File.GetLastWriteTimeUtc(handle), File.GetCreationTimeUtc(handle));
}

/// <summary>Corrupted files known now, and the last completed scrub (null before the first).</summary>
public sealed record BlobIntegrityStatus(int Corrupted, BlobScrubReport? LastScrub);

/// <summary>One pass of the scrub: files checked, bytes read, mismatches, files missing, when it ran.</summary>
public sealed record BlobScrubReport(long Checked, long Bytes, long Corrupted, long Missing, DateTimeOffset StartedAt, DateTimeOffset CompletedAt);
