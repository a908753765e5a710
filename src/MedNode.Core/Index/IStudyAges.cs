namespace MedNode.Core.Index;

/// <summary>Finds studies by when their instances were received (retention).</summary>
public interface IStudyAges
{
    /// <summary>Up to <paramref name="limit"/> studies whose every instance was received before <paramref name="cutoff"/>.</summary>
    Task<IReadOnlyList<string>> ListStudiesReceivedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);
}
