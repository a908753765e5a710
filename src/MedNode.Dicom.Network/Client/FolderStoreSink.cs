using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;

namespace MedNode.Dicom.Network.Client;

/// <summary>Receives C-GET sub-operations into a folder: one Part 10 file per instance, named by its SOP Instance UID.</summary>
public sealed class FolderStoreSink : IStoreScpHandler
{
    public FolderStoreSink(string folder)
    {
        Directory.CreateDirectory(folder);
        Folder = folder;
    }

    public string Folder { get; }

    public string TempDirectory => Folder;

    public Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken)
    {
        var uid = request.SopInstanceUid.TrimEnd('\0', ' ');
        // The name comes from the peer: a UID only, so that it cannot leave the folder.
        if (uid.Length is 0 or > 64 || !uid.All(c => c is '.' or (>= '0' and <= '9')))
            return Task.FromResult(new StoreScpResult(DimseStatus.CannotUnderstand, "The SOP Instance UID is not a UID."));
        File.Move(request.TempFilePath, Path.Combine(Folder, uid + ".dcm"), overwrite: true);
        return Task.FromResult(new StoreScpResult(DimseStatus.Success));
    }
}
