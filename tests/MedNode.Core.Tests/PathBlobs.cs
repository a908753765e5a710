using MedNode.Core.Storage;

namespace MedNode.Core.Tests;

/// <summary>Blobs are the test's own files: the key is the path.</summary>
internal sealed class PathBlobs(string temp) : IBlobStore
{
    public string TempDirectory => temp;

    public Task<BlobInfo> CommitAsync(string tempFilePath, string studyUid, string seriesUid, string sopInstanceUid, bool overwrite, CancellationToken cancellationToken) => throw new NotSupportedException();

    public bool Exists(string key) => File.Exists(key);

    /// <summary>When set, reads are checked by this service (the real read policy); otherwise they are not checked.</summary>
    public BlobIntegrityService? Integrity { get; set; }

    public Stream OpenRead(string key, string? expectedSha256 = null) => Integrity is { } i ? i.OpenRead(key, expectedSha256) : File.OpenRead(key);

    public string GetCheckedPath(string key, string? expectedSha256) => Integrity is { } i ? i.CheckPath(key, expectedSha256) : key;

    public string GetPath(string key) => key;

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => Task.CompletedTask;

    public long AvailableBytes => long.MaxValue;
}
