using MedNode.Core.Storage;
using MedNode.Dicom.Network.Server;

namespace MedNode.Core.Ingest;

/// <summary>Adapts the C-STORE SCP of MedNode.Dicom.Network to <see cref="IIngestService"/> (channel "DIMSE").</summary>
public sealed class IngestStoreScpHandler(IIngestService ingest, IBlobStore store) : IStoreScpHandler
{
    public string TempDirectory => store.TempDirectory;

    public async Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken)
    {
        var source = new IngestSource("DIMSE", request.CallingAeTitle, request.CalledAeTitle, request.RemoteHost, AssociationId: request.AssociationId);
        var result = await ingest.IngestAsync(new IngestRequest(request.TempFilePath, source, request.SopClassUid, request.SopInstanceUid), cancellationToken);
        return new StoreScpResult(result.DimseStatus, result.Reason);
    }
}
