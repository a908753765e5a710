namespace MedNode.Host.Configuration;

/// <summary>
/// Checks the HTTPS endpoints of the standard <c>Kestrel:Endpoints</c> section before Kestrel reads them, so that a
/// missing certificate file stops start-up with one line naming the setting (Kestrel's own error is longer and later).
/// </summary>
public static class KestrelHttpsCheck
{
    public static IEnumerable<string> Problems(IConfiguration configuration)
    {
        var hasDefault = !string.IsNullOrWhiteSpace(configuration["Kestrel:Certificates:Default:Path"]);
        foreach (var file in new[] { "Kestrel:Certificates:Default:Path", "Kestrel:Certificates:Default:KeyPath" })
            if (Missing(configuration[file])) yield return $"{file}: '{configuration[file]}' does not exist";
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var url = endpoint["Url"];
            var setting = $"Kestrel:Endpoints:{endpoint.Key}";
            if (string.IsNullOrWhiteSpace(url)) yield return $"{setting}:Url: must not be empty";
            var path = endpoint["Certificate:Path"];
            var https = url?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true;
            if (https && string.IsNullOrWhiteSpace(path) && string.IsNullOrWhiteSpace(endpoint["Certificate:Subject"]) && !hasDefault)
                yield return $"{setting}:Certificate:Path: an https endpoint needs a certificate (Path, with KeyPath for PEM)";
            if (Missing(path)) yield return $"{setting}:Certificate:Path: '{path}' does not exist";
            if (Missing(endpoint["Certificate:KeyPath"])) yield return $"{setting}:Certificate:KeyPath: '{endpoint["Certificate:KeyPath"]}' does not exist";
        }
    }

    private static bool Missing(string? path) => !string.IsNullOrWhiteSpace(path) && !File.Exists(path);
}
