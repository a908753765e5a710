using System.Net;
using MedNode.Dicom.Network.Tls;

namespace MedNode.Dicom.Network.Server;

/// <summary>
/// A known peer: its AE title, when given the host it must connect from, its port (for C-MOVE), and the services it may
/// ask of MedNode.
/// </summary>
public sealed record DicomPeer(string AeTitle, string? Host = null, int Port = 104, DimseServices Services = DimseServices.All);

/// <summary>Settings of <see cref="DicomServer"/>.</summary>
public sealed record DicomServerOptions
{
    /// <summary>The called AE title MedNode answers to (PS3.8 §7.1.1.4); others get A-ASSOCIATE-RJ reason 7.</summary>
    public string AeTitle { get; init; } = "MEDNODE";

    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>The TCP port; 0 picks a free one (see <see cref="DicomServer.Port"/>).</summary>
    public int Port { get; init; } = 11112;

    /// <summary>Associations served at once; more get A-ASSOCIATE-RJ transient, local limit exceeded (PS3.8 Table 9-21).</summary>
    public int MaxAssociations { get; init; } = 32;

    /// <summary>Associations one calling AE title may hold at once.</summary>
    public int MaxAssociationsPerCallingAe { get; init; } = 8;

    /// <summary>Known peers. With <see cref="RequireKnownPeers"/>, others get A-ASSOCIATE-RJ permanent, reason 3.</summary>
    public IReadOnlyList<DicomPeer> AllowedPeers { get; init; } = [];

    public bool RequireKnownPeers { get; init; }

    /// <summary>More called AE titles answered besides <see cref="AeTitle"/>.</summary>
    public IReadOnlyList<string> AdditionalAeTitles { get; init; } = [];

    /// <summary>ARTIM (PS3.8 §9.1.5): how long a new connection may take to send its A-ASSOCIATE-RQ, or a peer to close after release.</summary>
    public TimeSpan ArtimTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an association may stay silent between PDUs before it is aborted.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Transfer syntaxes in order of preference: of those proposed, the first in this list wins.</summary>
    public IReadOnlyList<string> TransferSyntaxPreference { get; init; } =
    [
        DicomTransferSyntax.ExplicitVRLittleEndian.Uid,
        DicomTransferSyntax.ImplicitVRLittleEndian.Uid,
    ];

    /// <summary>
    /// The transfer syntaxes accepted for storage; null accepts any known transfer syntax proposed (the first proposed
    /// when none is in <see cref="TransferSyntaxPreference"/>).
    /// </summary>
    public IReadOnlySet<string>? StorageTransferSyntaxes { get; init; }

    /// <summary>The Maximum Length announced (PS3.8 §D.1).</summary>
    public uint MaxPduLength { get; init; } = 256 * 1024;

    /// <summary>
    /// Whether an accepted association's socket reads and writes that had to wait continue on the socket engine's own thread
    /// instead of being handed to the thread pool (<see cref="SocketTransport.TryPreferInlineCompletions"/>), once the
    /// association is established. The server leaves that thread before anything longer than one fragment's handling:
    /// before serving each message other than a C-STORE-RQ, before the store handler, and before telling the association observer of its end; the public
    /// receives, sends and data set reads of <see cref="Association"/> leave it by themselves. With one association it
    /// about halved a C-STORE's thread switches and cut the server's CPU by a sixth to a quarter in the A/B runs
    /// (bench/RESULTS.md, 2026-11-27 02:56).
    /// </summary>
    public bool InlineSocketCompletions { get; init; } = true;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>DICOM over TLS (PS3.15 Annex B.10); null serves unencrypted DIMSE only.</summary>
    public DicomTlsServerOptions? Tls { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(AeTitle) || AeTitle.Length > 16) throw new ArgumentException("MedNode:Dimse:AeTitle must have 1 to 16 characters (PS3.5 AE).");
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "MedNode:Dimse:Port must be between 0 and 65535.");
        if (MaxAssociations < 1) throw new ArgumentOutOfRangeException(nameof(MaxAssociations), MaxAssociations, "MedNode:Dimse:MaxAssociations must be at least 1.");
        if (MaxAssociationsPerCallingAe < 1) throw new ArgumentOutOfRangeException(nameof(MaxAssociationsPerCallingAe), MaxAssociationsPerCallingAe, "MedNode:Dimse:MaxAssociationsPerCallingAe must be at least 1.");
        if (ArtimTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ArtimTimeout), "MedNode:Dimse:ArtimTimeoutSeconds must be positive.");
        if (Tls?.Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Tls), Tls.Port, "MedNode:Dimse:Tls:Port must be between 0 and 65535.");
        if (IdleTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(IdleTimeout), "MedNode:Dimse:IdleTimeoutSeconds must be positive.");
    }
}
