namespace MedNode.Dicom.Network.Server;

/// <summary>A C-STORE data set spooled to a complete Part 10 file (preamble, meta group, data set as received).</summary>
/// <param name="TempFilePath">In <see cref="IStoreScpHandler.TempDirectory"/>; the handler moves or deletes it (the server deletes what is left).</param>
/// <param name="AssociationId">The server's id of the association the instance came on (see <see cref="IAssociationObserver"/>).</param>
public sealed record StoreScpRequest(string TempFilePath, string SopClassUid, string SopInstanceUid, string TransferSyntaxUid, string CallingAeTitle, string CalledAeTitle, string? RemoteHost, string? AssociationId = null);

/// <summary>The C-STORE-RSP status (PS3.4 Table B.2-1) and optional Error Comment (0000,0902).</summary>
public readonly record struct StoreScpResult(ushort Status, string? ErrorComment = null);

/// <summary>
/// What the C-STORE SCP hands a received instance to (MedNode.Core adapts its ingest service). The C-STORE-RSP is
/// sent only after <see cref="StoreAsync"/> returns, so success must mean the instance is durable.
/// </summary>
public interface IStoreScpHandler
{
    /// <summary>Where incoming data sets are spooled: on the store's file system, so that committing is a rename.</summary>
    string TempDirectory { get; }

    Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken);
}
