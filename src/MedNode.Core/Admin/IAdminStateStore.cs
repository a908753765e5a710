namespace MedNode.Core.Admin;

/// <summary>
/// Where changes made through the admin API are kept so that they survive a restart: one JSON document per key
/// (e.g. <c>aes</c>, <c>models</c>). A key never written reads as null, and configuration then applies.
/// </summary>
public interface IAdminStateStore
{
    Task<string?> ReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Writes the document durably; when it throws, the caller applies nothing.</summary>
    Task WriteAsync(string key, string json, CancellationToken cancellationToken);
}

/// <summary>Keeps admin state in memory only (tests, and hosts without a database).</summary>
public sealed class InMemoryAdminStateStore : IAdminStateStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);

    public Task<string?> ReadAsync(string key, CancellationToken cancellationToken) => Task.FromResult(_values.TryGetValue(key, out var v) ? v : null);

    public Task WriteAsync(string key, string json, CancellationToken cancellationToken)
    {
        _values[key] = json;
        return Task.CompletedTask;
    }
}
