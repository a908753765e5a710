using System.Net;
using System.Net.Sockets;

namespace MedNode.Core.ApplicationEntities;

/// <summary>Checks of AE titles, hosts and ports given through configuration or the admin API.</summary>
public static class AeTitleRules
{
    /// <summary>
    /// The AE value representation (PS3.5 §6.2, Table 6.2-1): at most 16 characters of the default character repertoire,
    /// no backslash and no control characters; leading and trailing spaces are not significant, so a value of spaces only
    /// is empty. Returns the problems (none when valid), each naming <paramref name="what"/>.
    /// </summary>
    public static IEnumerable<string> Check(string? aeTitle, string what)
    {
        if (aeTitle == null || aeTitle.Trim().Length == 0)
        {
            yield return $"{what}: the AE title must not be empty or all spaces.";
            yield break;
        }
        if (aeTitle.Trim().Length > 16) yield return $"{what}: the AE title '{Printable(aeTitle)}' has more than 16 characters.";
        if (aeTitle.Contains('\\')) yield return $"{what}: the AE title must not contain a backslash.";
        if (aeTitle.Any(char.IsControl)) yield return $"{what}: the AE title must not contain control characters.";
        else if (aeTitle.Any(c => c > '~')) yield return $"{what}: the AE title must use the default character repertoire (ASCII).";
    }

    /// <summary>A host must be an IP address or a name that resolves; a port must be 1 to 65535.</summary>
    public static async Task<IReadOnlyList<string>> CheckHostAsync(string? host, int? port, bool hostRequired, string what, CancellationToken cancellationToken)
    {
        List<string> errors = [];
        if (port is < 1 or > 65535) errors.Add($"{what}: port {port} is not between 1 and 65535.");
        if (string.IsNullOrWhiteSpace(host))
        {
            if (hostRequired) errors.Add($"{what}: a host is needed with a port.");
            return errors;
        }
        if (IPAddress.TryParse(host, out _)) return errors;
        try
        {
            if ((await Dns.GetHostAddressesAsync(host, cancellationToken)).Length == 0) errors.Add($"{what}: host '{host}' does not resolve.");
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            errors.Add($"{what}: host '{host}' does not resolve ({e.Message}).");
        }
        return errors;
    }

    private static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
