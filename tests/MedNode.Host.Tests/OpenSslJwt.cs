using System.Globalization;
using System.Text;
using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Host.Tests;

/// <summary>
/// HS256 JWTs (RFC 7519, RFC 7518 §3.2) whose signature openssl computes (<c>openssl dgst -sha256 -mac HMAC -macopt
/// hexkey:…</c>), so the node that checks them did not mint them with its own library.
/// </summary>
internal static class OpenSslJwt
{
    public const string Issuer = "https://idp.hospital.test";

    public static string Hs256(byte[] key, string audience, IReadOnlyList<string> roles, DateTimeOffset expires, string workDir)
    {
        // Issued a minute ago (or, for a token that has already expired, half an hour before it expired).
        var issued = expires < DateTimeOffset.UtcNow ? expires.AddMinutes(-30) : DateTimeOffset.UtcNow.AddMinutes(-1);
        var header = B64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var body = B64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["aud"] = audience,
            ["sub"] = "mednode-export",
            ["roles"] = roles,
            ["iat"] = issued.ToUnixTimeSeconds(),
            ["nbf"] = issued.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
        }));
        var name = Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
        var input = Path.Combine(workDir, name + ".jwt-input");
        var sig = Path.Combine(workDir, name + ".jwt-sig");
        File.WriteAllText(input, header + "." + body, new UTF8Encoding(false));
        var r = Tools.Run("openssl", ["dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:" + Convert.ToHexStringLower(key), "-binary", "-out", sig, input]);
        r.ExitCode.Should().Be(0, r.StdErr);
        return header + "." + body + "." + B64Url(File.ReadAllBytes(sig));
    }

    private static string B64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
