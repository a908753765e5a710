using System.Net;
using MedNode.Core.Admin;
using MedNode.Core.ApplicationEntities;
using MedNode.Core.Ingest;
using MedNode.Dicom.Network.Server;

namespace MedNode.Host;

/// <summary>The <c>MedNode:Dimse</c> section of appsettings.json.</summary>
public sealed class DimseSettings
{
    public const string Section = "MedNode:Dimse";

    public bool Enabled { get; set; } = true;

    public string AeTitle { get; set; } = "MEDNODE";

    /// <summary>More local (called) AE titles answered besides <see cref="AeTitle"/>; the admin API can change them.</summary>
    public List<string> AdditionalAeTitles { get; set; } = [];

    public string BindAddress { get; set; } = "0.0.0.0";

    public int Port { get; set; } = 11112;

    public int MaxAssociations { get; set; } = 32;

    public int MaxAssociationsPerCallingAe { get; set; } = 8;

    public List<PeerSettings> AllowedPeers { get; set; } = [];

    public bool RequireKnownPeers { get; set; }

    /// <summary>Where C-MOVE may send (PS3.4 C.4.2): AE title, host and port of each; others get A801H.</summary>
    public List<PeerSettings> MoveDestinations { get; set; } = [];

    public DuplicatePolicy DuplicatePolicy { get; set; } = DuplicatePolicy.KeepFirst;

    public string StoragePath { get; set; } = "data/store";

    /// <summary>Commit through the append-only ingest journal with group commit (default) instead of fsync per file and folder.</summary>
    public bool IngestJournal { get; set; } = true;

    /// <summary>Commits are refused (C-STORE 0xA700) below this many free bytes.</summary>
    public long MinFreeBytes { get; set; } = 1L << 30;

    public int ArtimTimeoutSeconds { get; set; } = 30;

    public int IdleTimeoutSeconds { get; set; } = 300;

    /// <summary>
    /// Whether association sockets' reads and writes that had to wait continue on the runtime's socket thread (fewer thread switches per instance);
    /// <see cref="DicomServerOptions.InlineSocketCompletions"/>.
    /// </summary>
    public bool InlineSocketCompletions { get; set; } = true;

    /// <summary>Transfer syntax UIDs in order of preference; empty keeps the default (Explicit, then Implicit VR Little Endian).</summary>
    public List<string> TransferSyntaxPreference { get; set; } = [];

    /// <summary>When not empty, storage accepts only these transfer syntax UIDs.</summary>
    public List<string> StorageTransferSyntaxes { get; set; } = [];

    /// <summary>DICOM over TLS (PS3.15 Annex B.10): <c>MedNode:Dimse:Tls</c>.</summary>
    public DimseTlsSettings Tls { get; set; } = new();

    public sealed class PeerSettings
    {
        public string AeTitle { get; set; } = "";

        public string? Host { get; set; }

        /// <summary>
        /// The peer's own listening port. With a Host it makes the peer a C-MOVE destination and where storage commitment
        /// reports go on a new association (PS3.4 J.3.3). Needed in MoveDestinations; left out of an AllowedPeers entry,
        /// reports go back on the requester's association.
        /// </summary>
        public int? Port { get; set; }

        /// <summary>
        /// The services the peer may use (Echo, Store, Find, Move, Get, Commitment). Left out: all of them for an AllowedPeers entry;
        /// for a MoveDestinations entry not among AllowedPeers, none when RequireKnownPeers is on and all otherwise.
        /// </summary>
        public List<AePermission>? Permissions { get; set; }
    }

    /// <summary>
    /// Server options; throws with the settings' names when a value is unusable, through the same validator as
    /// <c>mednode config check</c> (<see cref="Configuration.DimseSettingsValidator"/>).
    /// </summary>
    public DicomServerOptions ToServerOptions(TimeProvider time)
    {
        if (new Configuration.DimseSettingsValidator().Validate(null, this) is { Failed: true } invalid) throw new InvalidOperationException(invalid.FailureMessage);
        var bind = IPAddress.Parse(BindAddress);
        var defaults = new DicomServerOptions();
        return new DicomServerOptions
        {
            AeTitle = AeTitle,
            BindAddress = bind,
            Port = Port,
            MaxAssociations = MaxAssociations,
            MaxAssociationsPerCallingAe = MaxAssociationsPerCallingAe,
            AllowedPeers = AllowedPeers.Select(p => new DicomPeer(p.AeTitle, p.Host, p.Port ?? 104)).ToList(),
            AdditionalAeTitles = AdditionalAeTitles,
            RequireKnownPeers = RequireKnownPeers,
            ArtimTimeout = TimeSpan.FromSeconds(ArtimTimeoutSeconds),
            IdleTimeout = TimeSpan.FromSeconds(IdleTimeoutSeconds),
            InlineSocketCompletions = InlineSocketCompletions,
            TransferSyntaxPreference = TransferSyntaxPreference.Count > 0 ? TransferSyntaxPreference : defaults.TransferSyntaxPreference,
            StorageTransferSyntaxes = StorageTransferSyntaxes.Count > 0 ? StorageTransferSyntaxes.ToHashSet(StringComparer.Ordinal) : null,
            TimeProvider = time,
            Tls = Tls.ToServerOptions(Port),
        };
    }

    /// <summary>
    /// The AE catalog the admin API starts from: the local AE titles, and one remote AE per title of AllowedPeers (host
    /// check, permissions; host and port, when both are given, for reports and C-MOVE) and MoveDestinations (host and
    /// port, which make it a C-MOVE destination).
    /// </summary>
    public ApplicationEntityCatalog ToCatalog(IAdminStateStore store)
    {
        var all = RemoteAe.PermissionsOf(DimseServices.All);
        var remote = AllowedPeers.Select(p => new RemoteAe(p.AeTitle.Trim(), p.Host, string.IsNullOrWhiteSpace(p.Host) ? null : p.Port, p.Permissions ?? all)).ToList();
        foreach (var m in MoveDestinations)
        {
            var i = remote.FindIndex(r => r.AeTitle == m.AeTitle.Trim());
            if (i >= 0) remote[i] = remote[i] with { Host = remote[i].Host ?? m.Host, Port = m.Port };
            else remote.Add(new RemoteAe(m.AeTitle.Trim(), m.Host, m.Port, m.Permissions ?? (RequireKnownPeers ? [] : all)));
        }
        return new ApplicationEntityCatalog([new LocalAe(AeTitle), .. AdditionalAeTitles.Select(t => new LocalAe(t))], remote, RequireKnownPeers, store);
    }

    /// <summary>The C-MOVE destinations as peers.</summary>
    public IReadOnlyList<DicomPeer> ToMoveDestinations() => MoveDestinations.Select(p => new DicomPeer(p.AeTitle, p.Host, p.Port ?? 104)).ToList();
}
