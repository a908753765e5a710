namespace MedNode.Core.Export;

/// <summary>The outcome of sending one outbox item.</summary>
/// <param name="SopClassRefused">The destination refused the SOP class in negotiation (no accepted presentation context).</param>
public sealed record SendOutcome(Guid ItemId, bool Delivered, string? Error = null, ExportFailureKind Failure = ExportFailureKind.Permanent, bool SopClassRefused = false);

/// <summary>Sends a batch of result instances to one destination (one association or one STOW request).</summary>
public interface IExportSender
{
    DestinationKind Kind { get; }

    Task<IReadOnlyList<SendOutcome>> SendAsync(ExportDestination destination, IReadOnlyList<(OutboxItem Item, string Path)> batch, CancellationToken cancellationToken);
}

/// <summary>The current destinations (configuration plus API changes, which take effect without a restart).</summary>
public interface IDestinationCatalog
{
    ExportDestination? Find(string name);

    IReadOnlyList<ExportDestination> All { get; }
}

/// <summary>Destinations from a fixed list, replaceable at run time.</summary>
public sealed class DestinationCatalog(IEnumerable<ExportDestination> destinations) : IDestinationCatalog
{
    private volatile IReadOnlyList<ExportDestination> _all = destinations.ToList();

    public IReadOnlyList<ExportDestination> All => _all;

    public ExportDestination? Find(string name) => _all.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Replaces the list after validating every entry; nothing changes when one is invalid.</summary>
    public IReadOnlyList<string> Replace(IEnumerable<ExportDestination> destinations)
    {
        var list = destinations.ToList();
        var errors = Validate(list);
        if (errors.Count == 0) _all = list;
        return errors;
    }

    /// <summary>
    /// Every problem with the list: each entry's, and names used twice. <paramref name="section"/>, when given, is the
    /// configuration key of the list (<c>MedNode:Destinations</c>); each message then starts with its entry's key.
    /// </summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<ExportDestination> destinations, string? section = null)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        var errors = new List<string>();
        for (var i = 0; i < destinations.Count; i++)
            errors.AddRange(destinations[i].Validate(section == null ? null : $"{section}:{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
        if (destinations.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1))
            errors.Add(section == null ? "Destination names must be unique." : $"{section}: destination names must be unique.");
        return errors;
    }
}
