namespace MedNode.Dicom.Network.Server;

/// <summary>
/// An accepted association ended. <paramref name="Released"/> is true only for a normal release (A-RELEASE-RQ answered by
/// A-RELEASE-RP, PS3.8 §7.2); an abort, a timeout, a protocol error or a server stop report false.
/// </summary>
/// <param name="AssociationId">The id the server gave the association; the same as <see cref="StoreScpRequest.AssociationId"/>.</param>
public sealed record AssociationEnded(string AssociationId, string CallingAeTitle, string CalledAeTitle, bool Released);

/// <summary>Told when each accepted association ends, after every message on it has been served.</summary>
public interface IAssociationObserver
{
    Task OnAssociationEndedAsync(AssociationEnded ended, CancellationToken cancellationToken);
}
