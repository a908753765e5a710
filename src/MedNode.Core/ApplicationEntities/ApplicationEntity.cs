using MedNode.Dicom.Network.Server;

namespace MedNode.Core.ApplicationEntities;

/// <summary>A DIMSE service a remote AE may ask of MedNode as SCU (see <see cref="DimseServices"/>).</summary>
public enum AePermission
{
    /// <summary>C-ECHO (Verification, PS3.4 Annex A).</summary>
    Echo,

    /// <summary>C-STORE to MedNode (Storage, PS3.4 Annex B).</summary>
    Store,

    /// <summary>C-FIND (PS3.4 C.4.1).</summary>
    Find,

    /// <summary>C-MOVE (PS3.4 C.4.2).</summary>
    Move,

    /// <summary>C-GET (PS3.4 C.4.3).</summary>
    Get,

    /// <summary>
    /// Storage Commitment Push Model as SCU (PS3.4 Annex J): N-ACTION Request Storage Commitment to MedNode; the report
    /// goes to the AE's host and port when it has them (PS3.4 J.3.3).
    /// </summary>
    Commitment,
}

/// <summary>One of the node's own listening AE titles (the called AE titles it answers to, PS3.8 §7.1.1.4).</summary>
public sealed record LocalAe(string AeTitle);

/// <summary>
/// A remote AE. With <see cref="Host"/>, associations under its title must come from that host. With
/// <see cref="Host"/> and <see cref="Port"/> it is also a C-MOVE destination (PS3.4 C.4.2) and where MedNode reports
/// storage commitment results on a new association (PS3.4 J.3.3). <see cref="Permissions"/> are the services it may ask
/// of MedNode (Echo, Store, Find, Move, Get, Commitment); none when left out.
/// </summary>
public sealed record RemoteAe(string AeTitle, string? Host = null, int? Port = null, IReadOnlyList<AePermission>? Permissions = null)
{
    /// <summary>The permissions as the listener's service flags.</summary>
    public DimseServices Services() => (Permissions ?? []).Aggregate(DimseServices.None, (a, p) => a | p switch
    {
        AePermission.Echo => DimseServices.Echo,
        AePermission.Store => DimseServices.Store,
        AePermission.Find => DimseServices.Find,
        AePermission.Move => DimseServices.Move,
        AePermission.Get => DimseServices.Get,
        AePermission.Commitment => DimseServices.Commitment,
        _ => DimseServices.None,
    });

    /// <summary>The permissions of a service flag set (configuration, <c>All</c> included).</summary>
    public static IReadOnlyList<AePermission> PermissionsOf(DimseServices services) =>
        Enum.GetValues<AePermission>().Where(p => new RemoteAe("", Permissions: [p]).Services() is var f && services.HasFlag(f)).ToList();

    internal async Task<IReadOnlyList<string>> ValidateAsync(int index, CancellationToken cancellationToken)
    {
        var what = $"remote AE #{index + 1} ({AeTitle})";
        var errors = AeTitleRules.Check(AeTitle, what).ToList();
        errors.AddRange(await AeTitleRules.CheckHostAsync(Host, Port, hostRequired: Port != null, what, cancellationToken));
        if ((Permissions ?? []).Any(p => !Enum.IsDefined(p)))
            errors.Add($"{what}: permissions must be among {string.Join(", ", Enum.GetNames<AePermission>())}.");
        return errors;
    }
}
