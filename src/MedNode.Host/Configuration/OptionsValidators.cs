using System.Net;
using MedNode.Dicom;
using MedNode.Host.Health;
using MedNode.Host.Observability;
using MedNode.Persistence;
using Microsoft.Extensions.Options;

namespace MedNode.Host.Configuration;

/// <summary>
/// Checks of <see cref="DimseSettings"/>. Each failure is one line: the full setting name, then the problem.
/// AE titles follow the AE value representation (PS3.5 §6.2, Table 6.2-1): 1 to 16 characters, no backslash or
/// control characters, not only spaces.
/// </summary>
public sealed class DimseSettingsValidator : IValidateOptions<DimseSettings>
{
    private const string S = DimseSettings.Section;

    public ValidateOptionsResult Validate(string? name, DimseSettings o)
    {
        List<string> problems = [];
        CheckAeTitle(problems, $"{S}:AeTitle", o.AeTitle);
        for (int i = 0; i < o.AdditionalAeTitles.Count; i++) CheckAeTitle(problems, $"{S}:AdditionalAeTitles:{i}", o.AdditionalAeTitles[i]);
        if (!IPAddress.TryParse(o.BindAddress, out _)) problems.Add($"{S}:BindAddress: '{o.BindAddress}' is not an IP address");
        if (o.Port is < 0 or > 65535) problems.Add($"{S}:Port: {o.Port} is not a TCP port (0 to 65535; 0 picks a free one)");
        if (o.MaxAssociations < 1) problems.Add($"{S}:MaxAssociations: must be at least 1, not {o.MaxAssociations}");
        if (o.MaxAssociationsPerCallingAe < 1) problems.Add($"{S}:MaxAssociationsPerCallingAe: must be at least 1, not {o.MaxAssociationsPerCallingAe}");
        if (string.IsNullOrWhiteSpace(o.StoragePath)) problems.Add($"{S}:StoragePath: must not be empty");
        if (o.MinFreeBytes < 0) problems.Add($"{S}:MinFreeBytes: must not be negative");
        if (o.ArtimTimeoutSeconds <= 0) problems.Add($"{S}:ArtimTimeoutSeconds: must be positive, not {o.ArtimTimeoutSeconds}");
        if (o.IdleTimeoutSeconds <= 0) problems.Add($"{S}:IdleTimeoutSeconds: must be positive, not {o.IdleTimeoutSeconds}");
        for (int i = 0; i < o.AllowedPeers.Count; i++)
        {
            CheckAeTitle(problems, $"{S}:AllowedPeers:{i}:AeTitle", o.AllowedPeers[i].AeTitle);
            if (o.AllowedPeers[i].Port is < 1 or > 65535) problems.Add($"{S}:AllowedPeers:{i}:Port: {o.AllowedPeers[i].Port} is not a TCP port (1 to 65535)");
        }
        for (int i = 0; i < o.MoveDestinations.Count; i++)
        {
            var d = o.MoveDestinations[i];
            CheckAeTitle(problems, $"{S}:MoveDestinations:{i}:AeTitle", d.AeTitle);
            if (string.IsNullOrWhiteSpace(d.Host)) problems.Add($"{S}:MoveDestinations:{i}:Host: must not be empty (where C-MOVE sends)");
            if (d.Port is null or < 1 or > 65535) problems.Add($"{S}:MoveDestinations:{i}:Port: {(d.Port is { } p ? p.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(none)")} is not a TCP port (1 to 65535)");
        }
        CheckTransferSyntaxes(problems, $"{S}:TransferSyntaxPreference", o.TransferSyntaxPreference);
        CheckTransferSyntaxes(problems, $"{S}:StorageTransferSyntaxes", o.StorageTransferSyntaxes);
        problems.AddRange(o.Tls.Problems());
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void CheckAeTitle(List<string> problems, string setting, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) problems.Add($"{setting}: must not be empty");
        else if (value.Length > 16) problems.Add($"{setting}: '{value}' is longer than 16 characters (PS3.5 AE)");
        else if (value.Any(c => c == '\\' || char.IsControl(c) || c > '~')) problems.Add($"{setting}: '{value}' has a backslash, a control or a non-ASCII character (PS3.5 AE)");
    }

    private static void CheckTransferSyntaxes(List<string> problems, string setting, List<string> uids)
    {
        for (int i = 0; i < uids.Count; i++)
            if (!DicomTransferSyntax.IsKnown(uids[i])) problems.Add($"{setting}:{i}: '{uids[i]}' is not a transfer syntax UID this node knows");
    }
}

/// <summary>Checks of <see cref="DatabaseOptions"/>.</summary>
public sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    private const string S = DatabaseOptions.Section;

    public ValidateOptionsResult Validate(string? name, DatabaseOptions o)
    {
        var provider = o.Provider?.ToUpperInvariant();
        if (provider is not ("SQLITE" or "POSTGRESQL" or "POSTGRES"))
            return ValidateOptionsResult.Fail($"{S}:Provider: '{o.Provider}' is not Sqlite or PostgreSQL");
        if (provider != "SQLITE" && string.IsNullOrWhiteSpace(o.ConnectionString))
            return ValidateOptionsResult.Fail($"{S}:ConnectionString: required for PostgreSQL");
        if (provider == "SQLITE" && o.SqliteSynchronous?.ToUpperInvariant() is not ("NORMAL" or "FULL"))
            return ValidateOptionsResult.Fail($"{S}:SqliteSynchronous: '{o.SqliteSynchronous}' is not NORMAL or FULL");
        return ValidateOptionsResult.Success;
    }
}

/// <summary>Checks of <see cref="LoggingSettings"/>.</summary>
public sealed class LoggingSettingsValidator : IValidateOptions<LoggingSettings>
{
    private const string S = LoggingSettings.Section;

    public ValidateOptionsResult Validate(string? name, LoggingSettings o)
    {
        List<string> problems = [];
        if (o.RetainedFileCount < 1) problems.Add($"{S}:RetainedFileCount: must be at least 1, not {o.RetainedFileCount}");
        if (o.FileSizeLimitBytes < 1 << 20) problems.Add($"{S}:FileSizeLimitBytes: must be at least 1048576, not {o.FileSizeLimitBytes}");
        if (!string.IsNullOrWhiteSpace(o.FilePath) && o.FilePath.IndexOfAny(Path.GetInvalidPathChars()) >= 0) problems.Add($"{S}:FilePath: '{o.FilePath}' is not a valid path");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>Checks of <see cref="ModelSettings"/>.</summary>
public sealed class ModelSettingsValidator : IValidateOptions<ModelSettings>
{
    public ValidateOptionsResult Validate(string? name, ModelSettings o) =>
        string.IsNullOrWhiteSpace(o.Path) ? ValidateOptionsResult.Fail($"{ModelSettings.Section}:Path: must not be empty") : ValidateOptionsResult.Success;
}

/// <summary>Checks of <see cref="MedNode.Web.DicomWeb.DicomWebOptions"/>.</summary>
public sealed class DicomWebOptionsValidator : IValidateOptions<MedNode.Web.DicomWeb.DicomWebOptions>
{
    private const string S = MedNode.Web.DicomWeb.DicomWebOptions.Section;

    public ValidateOptionsResult Validate(string? name, MedNode.Web.DicomWeb.DicomWebOptions o)
    {
        List<string> problems = [];
        if (o.MaxQueryResults < 1) problems.Add($"{S}:MaxQueryResults: must be at least 1, not {o.MaxQueryResults}");
        for (int i = 0; i < o.CorsOrigins.Length; i++)
        {
            if (!Uri.TryCreate(o.CorsOrigins[i], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                problems.Add($"{S}:CorsOrigins:{i}: '{o.CorsOrigins[i]}' is not an http(s) origin");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary><c>MedNode:Security</c>: roles, API key hashes, JWT issuers, audiences and keys, the rate limit.</summary>
public sealed class SecurityOptionsValidator : IValidateOptions<MedNode.Web.Security.SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, MedNode.Web.Security.SecurityOptions o) =>
        o.Validate() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
