using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MedNode.Core.Storage;
using MedNode.Dicom;

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
}

/// <summary>
/// Instance files on a local file system. Keys are <c>ab/cd/&lt;sha1(study)&gt;/&lt;sha1(series)&gt;/&lt;sop&gt;.dcm</c>, where
/// <c>ab/cd</c> are the first four hex digits of the study hash; they are built only from UIDs that pass
/// <see cref="DicomUidText.IsValid"/>. A commit is durable: the spooled file is flushed (fsync), renamed into place
/// and its folder flushed, so a crash leaves either nothing or the whole file.
/// </summary>
public sealed partial class FileSystemBlobStore : IBlobStore, IDisposable
{
    private readonly string _root;
    private readonly long _minFreeBytes;
    private readonly IngestJournal? _journal;
    private readonly Func<CancellationToken, Task> _makeIndexDurableAsync;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<BlobInfo, JournalTicket> _tickets = [];
    private readonly SemaphoreSlim _checkpointing = new(1, 1);

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
    }

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
        await using (var fs = new FileStream(tempFilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            size = fs.Length;
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, cancellationToken));
            fs.Flush(flushToDisk: true);
        }
        var dir = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(dir);
        File.Move(tempFilePath, target, overwrite);
        DicomFileWriter.FsyncDirectory(dir);
        return new BlobInfo(key, size, sha256);
    }

    public bool Exists(string key) => File.Exists(GetPath(key));

    public Stream OpenRead(string key, string? expectedSha256 = null)
    {
        var path = GetPath(key);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (expectedSha256 == null) return stream;
        try
        {
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
                throw new BlobIntegrityException($"Blob {key} does not match its SHA-256.");
            stream.Position = 0;
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

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
