namespace MedNode.Dicom.Network.Server;

/// <summary>A C-FIND, C-MOVE or C-GET as the SCP received it: the SOP class of the information model and the identifier.</summary>
/// <param name="SopClassUid">Affected SOP Class UID: Patient Root or Study Root, FIND, MOVE or GET (PS3.4 C.6.1, C.6.2).</param>
public sealed record QueryRetrieveScpRequest(string SopClassUid, DicomDataset Identifier, string CallingAeTitle, string CalledAeTitle, string? RemoteHost)
{
    /// <summary>A C-MOVE's Move Destination (0000,0600), trimmed; null for C-FIND and C-GET.</summary>
    public string? MoveDestination { get; init; }
}

/// <summary>One C-FIND match: the identifier to send, and whether some optional keys were not supported (Pending FF01H, PS3.4 C.4.1.1.4).</summary>
public sealed record FindScpMatch(DicomDataset Identifier, bool OptionalKeysNotSupported = false);

/// <summary>An instance a C-MOVE or C-GET sends as a C-STORE sub-operation: a Part 10 file on disk.</summary>
public sealed record RetrieveScpInstance(string SopClassUid, string SopInstanceUid, string TransferSyntaxUid, string FilePath)
{
    /// <summary>
    /// Checks the file just before its sub-operation reads it (e.g. against the hash recorded when it was stored). An
    /// <see cref="IOException"/> from it fails the sub-operation with nothing sent; the others go on.
    /// </summary>
    public Action? Check { get; init; }
}

/// <summary>
/// A query or retrieve the handler cannot run: the status goes back in the final response with the message as its
/// Error Comment (0000,0902), e.g. A900H Identifier does not match SOP Class, C000H Unable to process (PS3.4 C.4.1.1.4).
/// </summary>
public sealed class QueryRetrieveScpException : Exception
{
    public QueryRetrieveScpException() { }

    public QueryRetrieveScpException(string message) : base(message) { }

    public QueryRetrieveScpException(string message, Exception inner) : base(message, inner) { }

    public QueryRetrieveScpException(ushort status, string message) : base(message) => Status = status;

    public ushort Status { get; } = Dimse.DimseStatus.UnableToProcess;
}

/// <summary>
/// What the Query/Retrieve SCP (PS3.4 Annex C) asks of the node: matches for a C-FIND identifier, the instances a
/// C-MOVE or C-GET identifier names, and where a C-MOVE destination AE listens. MedNode.Core adapts its query index
/// and blob store. Methods throw <see cref="QueryRetrieveScpException"/> for an identifier they cannot serve.
/// </summary>
public interface IQueryRetrieveScpHandler
{
    /// <summary>The matches, streamed: each goes out as a Pending response as soon as it is produced.</summary>
    IAsyncEnumerable<FindScpMatch> FindAsync(QueryRetrieveScpRequest request, CancellationToken cancellationToken);

    /// <summary>The instances to send, in order (PS3.4 C.4.2.2, C.4.3.2): known up front so that responses can count what remains.</summary>
    Task<IReadOnlyList<RetrieveScpInstance>> RetrieveAsync(QueryRetrieveScpRequest request, CancellationToken cancellationToken);

    /// <summary>The host and port of a C-MOVE Move Destination (0000,0600), or null when the AE title is unknown (A801H).</summary>
    DicomPeer? FindMoveDestination(string aeTitle);

    /// <summary>
    /// Called once the final response of a C-MOVE or C-GET that had instances to send has gone (PS3.4 C.4.2.3, C.4.3.3),
    /// with the request <see cref="RetrieveAsync"/> was given and what its sub-operations did. The default does nothing.
    /// </summary>
    Task OnRetrieveCompletedAsync(QueryRetrieveScpRequest request, Dimse.RetrieveCounts counts, CancellationToken cancellationToken) => Task.CompletedTask;
}
