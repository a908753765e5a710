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
        var errors = list.SelectMany(d => d.Validate()).ToList();
        if (list.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1)) errors.Add("Destination names must be unique.");
        if (errors.Count == 0) _all = list;
        return errors;
    }
}
