using System.Security.Cryptography;
using System.Text;
using MedNode.Core.Index;
using MedNode.Core.Ingest;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.IO;

namespace MedNode.Web.Tests.DicomWeb;

/// <summary>A plain folder store for the web tests (the durable store is MedNode.Persistence's, written on another branch).</summary>
internal sealed class FolderBlobStore : IBlobStore
{
    private readonly string _root;

    public FolderBlobStore(string root)
    {
        _root = root;
        TempDirectory = Path.Combine(root, "tmp");
        Directory.CreateDirectory(TempDirectory);
    }

    public string TempDirectory { get; }

    public long AvailableBytes => new DriveInfo(_root).AvailableFreeSpace;

    public async Task<BlobInfo> CommitAsync(string tempFilePath, string studyUid, string seriesUid, string sopInstanceUid, bool overwrite, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(studyUid + "/" + seriesUid + "/" + sopInstanceUid)));
        var path = GetPath(key);
        File.Move(tempFilePath, path, overwrite);
        await using var s = File.OpenRead(path);
        var sha = Convert.ToHexString(await SHA256.HashDataAsync(s, cancellationToken));
        return new BlobInfo(key, s.Length, sha);
    }

    public bool Exists(string key) => File.Exists(GetPath(key));

    public Stream OpenRead(string key, string? expectedSha256 = null) => File.OpenRead(GetPath(key));

    public string GetPath(string key) => Path.Combine(_root, key + ".dcm");

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(GetPath(key));
        return Task.CompletedTask;
    }
}

/// <summary>A minimal ingest path for the web tests: parse up to the pixel data, commit, index.</summary>
internal sealed class SimpleIngestService(IBlobStore blobs, IInstanceIndex index) : IIngestService
{
    public async Task<IngestResult> IngestAsync(IngestRequest request, CancellationToken cancellationToken)
    {
        DicomFile head;
        try
        {
            head = DicomFile.Open(request.TempFilePath, new DicomReadOptions { StopAtPixelData = true });
        }
        catch (DicomParseException)
        {
            File.Delete(request.TempFilePath);
            return new IngestResult(IngestOutcome.Failed, 0xC000, null, null, null, "not DICOM");
        }
        var ds = head.Dataset;
        string study = ds.GetString(DicomTags.StudyInstanceUID)!, series = ds.GetString(DicomTags.SeriesInstanceUID)!, sop = ds.GetString(DicomTags.SOPInstanceUID)!;
        var blob = await blobs.CommitAsync(request.TempFilePath, study, series, sop, overwrite: true, cancellationToken);
        await index.AddOrReplaceAsync(InstanceRecord.FromDataset(ds, head.TransferSyntax.Uid, blob, new IngestMeta(request.Source.Channel, null, DateTimeOffset.UnixEpoch)), cancellationToken);
        return new IngestResult(IngestOutcome.Stored, 0, ds.GetString(DicomTags.SOPClassUID), sop, study);
    }
}
