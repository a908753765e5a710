namespace MedNode.Core.Index;

/// <summary>Instances by the time they were received (the completion re-arm at start-up reads the last ones).</summary>
public interface IRecentInstances
{
    /// <summary>Instances received at or after <paramref name="since"/>, oldest first.</summary>
    IAsyncEnumerable<InstanceRecord> ListReceivedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken);
}
