namespace MedNode.Core.Index;

/// <summary>
/// An index whose single writes may be acknowledged before they reach the disk (SQLite in WAL mode with
/// <c>synchronous=NORMAL</c>). The ingest journal keeps those instances recoverable and calls this before it forgets
/// them: afterwards every write made so far survives a crash or power loss.
/// </summary>
public interface IIndexDurability
{
    Task MakeDurableAsync(CancellationToken cancellationToken);
}
