using MedNode.Dicom.Network.Dimse;

namespace MedNode.Dicom.Network.Server;

/// <summary>The DIMSE services a peer may ask of MedNode as SCU (each checked at association negotiation).</summary>
[Flags]
public enum DimseServices
{
    None = 0,

    /// <summary>Verification SOP Class (PS3.4 Annex A): C-ECHO.</summary>
    Echo = 1,

    /// <summary>Storage SOP Classes (PS3.4 Annex B): C-STORE to MedNode.</summary>
    Store = 2,

    /// <summary>Query/Retrieve FIND SOP Classes (PS3.4 C.4.1): C-FIND.</summary>
    Find = 4,

    /// <summary>Query/Retrieve MOVE SOP Classes (PS3.4 C.4.2): C-MOVE.</summary>
    Move = 8,

    /// <summary>Query/Retrieve GET SOP Classes (PS3.4 C.4.3): C-GET, with its C-STORE sub-operations to the requestor.</summary>
    Get = 16,

    /// <summary>
    /// Storage Commitment Push Model as SCU (PS3.4 Annex J): N-ACTION Request Storage Commitment to MedNode, whose report
    /// MedNode sends back. Receiving a report from a peer in the SCP role (PS3.4 J.3.3) needs no permission.
    /// </summary>
    Commitment = 32,

    All = Echo | Store | Find | Move | Get | Commitment,
}

/// <summary>
/// Who may associate with the listener, replaceable while it runs (<see cref="DicomServer.UpdateAccess"/>): the called AE
/// titles it answers to (others get A-ASSOCIATE-RJ reason 7, PS3.8 Table 9-21), the known peers with the services each may
/// use, and whether unknown calling AE titles are refused (reason 3). Each association reads one snapshot at its
/// A-ASSOCIATE-RQ, so a change applies from the next association on.
/// </summary>
public sealed record DicomServerAccess(IReadOnlyList<string> CalledAeTitles, IReadOnlyList<DicomPeer> Peers, bool RequireKnownPeers)
{
    /// <summary>
    /// The peers MedNode opens associations to, each with a host and a port: a storage commitment report goes to the
    /// requester's entry here on a new association (PS3.4 J.3.3), read when the report is sent.
    /// </summary>
    public IReadOnlyList<DicomPeer> Destinations { get; init; } = [];

    /// <summary>The destination with this AE title (compared without padding), or null.</summary>
    public DicomPeer? FindDestination(string aeTitle) =>
        Destinations.FirstOrDefault(p => string.Equals(p.AeTitle.Trim(), aeTitle.Trim(), StringComparison.Ordinal) && !string.IsNullOrEmpty(p.Host));

    /// <summary>The service a presentation context's abstract syntax belongs to; <see cref="DimseServices.None"/> for any other.</summary>
    public static DimseServices ServiceOf(string abstractSyntax) => abstractSyntax switch
    {
        CEchoRq.VerificationSopClassUid => DimseServices.Echo,
        QueryRetrieveSopClasses.PatientRootFind or QueryRetrieveSopClasses.StudyRootFind => DimseServices.Find,
        QueryRetrieveSopClasses.PatientRootMove or QueryRetrieveSopClasses.StudyRootMove => DimseServices.Move,
        QueryRetrieveSopClasses.PatientRootGet or QueryRetrieveSopClasses.StudyRootGet => DimseServices.Get,
        StorageCommitment.PushModelSopClassUid => DimseServices.Commitment,
        _ when DicomUidRegistry.IsStorageSopClass(abstractSyntax) => DimseServices.Store,
        _ => DimseServices.None,
    };

    internal void Validate()
    {
        if (CalledAeTitles.Count == 0) throw new ArgumentException("At least one local AE title is needed.", nameof(CalledAeTitles));
        if (CalledAeTitles.Any(t => string.IsNullOrWhiteSpace(t) || t.Trim().Length > 16)) throw new ArgumentException("Local AE titles must have 1 to 16 characters (PS3.5 AE).", nameof(CalledAeTitles));
    }
}
