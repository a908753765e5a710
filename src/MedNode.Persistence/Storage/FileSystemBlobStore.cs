using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MedNode.Core.Storage;
using MedNode.Dicom;
using Microsoft.Extensions.Logging;

namespace MedNode.Persistence.Storage;

/// <summary>Settings of <see cref="FileSystemBlobStore"/>.</summary>
public sealed record FileSystemBlobStoreOptions
{
    /// <summary>The root folder; blobs live below it, spooled files in its <c>.tmp</c> folder.</summary>
    public required string RootPath { get; init; }

    /// <summary>Commits are refused while fewer bytes than this are free on the store's file system (0 = no watermark).</summary>
    public long MinFreeBytes { get; init; }

    /// <summary>
    /// Commit through the append-only ingest journal (<see cref="IngestJournal"/>, one group-committed fdatasync per
    /// commit) instead of fsync of each file and its folder. Default true.
    /// </summary>
    public bool UseIngestJournal { get; init; } = true;

    /// <summary>Size after which the journal starts a new segment; closed segments are checkpointed in the background.</summary>
    public long JournalSegmentBytes { get; init; } = 64L << 20;

    /// <summary>Makes every index write made so far durable; a journal segment is deleted only after this returns.</summary>
    public Func<CancellationToken, Task>? MakeIndexDurableAsync { get; init; }

    /// <summary>When reads re-check a blob's SHA-256 (<see cref="FileSystemBlobStore.Integrity"/>); default WhenChanged.</summary>
    public BlobIntegrityOptions? Integrity { get; init; }

    /// <summary>The clock of the integrity checks (default the system's).</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Where integrity failures are logged (without UIDs).</summary>
    public ILogger<BlobIntegrityService>? IntegrityLogger { get; init; }
}

/// <summary>
/// Instance files on a local file system. Keys are <c>ab/cd/&lt;sha1(study)&gt;/&lt;sha1(series)&gt;/&lt;sop&gt;.dcm</c>, where
/// <c>ab/cd</c> are the first four hex digits of the study hash; they are built only from UIDs that pass
/// <see cref="DicomUidText.IsValid"/>. A commit is durable: the spooled file is flushed (fsync), renamed into place
/// and its folder flushed, so a crash leaves either nothing or the whole file. Reads go through <see cref="Integrity"/>,
/// which checks each blob against the SHA-256 recorded at ingest as its policy says; a commit records the hash it computed
/// while writing as verified, so the first read after ingest does not hash the file again.
/// </summary>
public sealed partial class FileSystemBlobStore : IBlobStore, IDisposable
{
    private readonly string _root;
    private readonly long _minFreeBytes;
    private readonly IngestJournal? _journal;
    private readonly Func<CancellationToken, Task> _makeIndexDurableAsync;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<BlobInfo, JournalTicket> _tickets = [];
    private readonly SemaphoreSlim _checkpointing = new(1, 1);
    private readonly TimeProvider _time;

    public FileSystemBlobStore(FileSystemBlobStoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.RootPath)) throw new ArgumentException("The blob store needs a RootPath.", nameof(options));
        if (options.MinFreeBytes < 0) throw new ArgumentOutOfRangeException(nameof(options), "MinFreeBytes cannot be negative.");
        _root = Path.GetFullPath(options.RootPath);
        _minFreeBytes = options.MinFreeBytes;
        Directory.CreateDirectory(_root);
        TempDirectory = Path.Combine(_root, ".tmp");
        Directory.CreateDirectory(TempDirectory);
        _makeIndexDurableAsync = options.MakeIndexDurableAsync ?? (_ => Task.CompletedTask);
        if (options.UseIngestJournal) _journal = new IngestJournal(Path.Combine(_root, ".journal"), options.JournalSegmentBytes);
        _time = options.TimeProvider ?? TimeProvider.System;
        Integrity = new BlobIntegrityService(this, options.Integrity, _time, options.IntegrityLogger);
    }

    /// <summary>The read policy and verified-file cache every read of this store goes through (and the scrub).</summary>
    public BlobIntegrityService Integrity { get; }

    /// <summary>The ingest journal, when commits go through it.</summary>
    public IngestJournal? Journal => _journal;

    public string RootPath => _root;

    public string TempDirectory { get; }

    public long AvailableBytes => new DriveInfo(_root).AvailableFreeSpace;

    /// <summary>Whether a commit would be refused now for lack of space.</summary>
    public bool IsBelowWatermark => _minFreeBytes > 0 && AvailableBytes < _minFreeBytes;

    /// <summary>The key of an instance; throws when a UID is not a valid UID (PS3.5 §9.1).</summary>
    public static string KeyFor(string studyUid, string seriesUid, string sopInstanceUid)
    {
        foreach (var (uid, name) in new[] { (studyUid, "study"), (seriesUid, "series"), (sopInstanceUid, "SOP instance") })
            if (!DicomUidText.IsValid(uid)) throw new ArgumentException($"The {name} UID is not a valid UID (PS3.5 §9.1).");
        var study = Sha1Hex(studyUid);
        return $"{study[..2]}/{study[2..4]}/{study}/{Sha1Hex(seriesUid)}/{sopInstanceUid}.dcm";
    }

    public async Task<BlobInfo> CommitAsync(string tempFilePath, string studyUid, string seriesUid, string sopInstanceUid, bool overwrite, CancellationToken cancellationToken)
    {
        var key = KeyFor(studyUid, seriesUid, sopInstanceUid);
        if (IsBelowWatermark)
            throw new InsufficientStorageException($"Fewer than {_minFreeBytes} bytes are free in the blob store.");
        var target = GetPath(key);
        if (!overwrite && File.Exists(target)) throw new IOException($"Blob {key} exists already.");
        if (_journal != null) return await CommitThroughJournalAsync(tempFilePath, key, target, overwrite, cancellationToken);
        string sha256;
        long size;
        var hashStarted = BackdateForHash(tempFilePath);
        BlobStamp hashed;
        await using (var fs = new FileStream(tempFilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            hashed = BlobStamp.Of(fs);
            size = fs.Length;
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, cancellationToken));
            fs.Flush(flushToDisk: true);
        }
        var dir = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(dir);
        File.Move(tempFilePath, target, overwrite);
        DicomFileWriter.FsyncDirectory(dir);
        Integrity.RecordCommitted(key, sha256, hashed, hashStarted);
        return new BlobInfo(key, size, sha256);
    }

    /// <summary>
    /// Puts the spooled file's modification time one second back before the commit hashes it: any write after the hash then
    /// moves the time forward, so the stamp the hash saw (<see cref="BlobIntegrityService.RecordCommitted"/>) tells it apart
    /// even within one clock tick. Returns the time from which the hash reads the file.
    /// </summary>
    private DateTime BackdateForHash(string tempFilePath)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        File.SetLastWriteTimeUtc(tempFilePath, now - TimeSpan.FromSeconds(1));
        return _time.GetUtcNow().UtcDateTime;
    }

    public bool Exists(string key) => File.Exists(GetPath(key));

    /// <summary>Opens a blob, checked as <see cref="Integrity"/>'s policy says when <paramref name="expectedSha256"/> is given.</summary>
    public Stream OpenRead(string key, string? expectedSha256 = null) => Integrity.OpenRead(key, expectedSha256);

    public string GetCheckedPath(string key, string? expectedSha256) => Integrity.CheckPath(key, expectedSha256);

    public string GetPath(string key)
    {
        if (!KeyPattern().IsMatch(key)) throw new ArgumentException("Not a key of this store.", nameof(key));
        return Path.Combine(_root, key);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = GetPath(key);
        // A journal record of this key must not bring the file back at recovery: checkpoint the journal first.
        if (_journal != null) await CheckpointAsync(all: true, cancellationToken);
        if (File.Exists(path))
        {
            File.Delete(path);
            DicomFileWriter.FsyncDirectory(Path.GetDirectoryName(path)!);
        }
    }

    private static string Sha1Hex(string uid) =>
#pragma warning disable CA5350 // SHA-1 spreads folders evenly here; it protects nothing.
        Convert.ToHexStringLower(SHA1.HashData(Encoding.ASCII.GetBytes(uid)));
#pragma warning restore CA5350

    [GeneratedRegex(@"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{40}/[0-9a-f]{40}/[0-9]+(\.[0-9]+)*\.dcm$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
