using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedNode.TestSupport;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MedNode.Web.Tests.Security;

/// <summary>JWTs for the tests: minted with Microsoft.IdentityModel's JsonWebTokenHandler, or signed by openssl.</summary>
internal static class Tokens
{
    public static string Hs256(byte[] key, IDictionary<string, object> claims, DateTime? expires = null, string issuer = SecuredNode.Issuer, string audience = SecuredNode.Audience) =>
        Mint(new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256), claims, expires, issuer, audience);

    public static string Rs256(RSA rsa, IDictionary<string, object> claims) =>
        Mint(new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256), claims, null, SecuredNode.Issuer, SecuredNode.Audience);

    private static string Mint(SigningCredentials credentials, IDictionary<string, object> claims, DateTime? expires, string issuer, string audience)
    {
        var exp = expires ?? DateTime.UtcNow.AddMinutes(5);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = exp.AddMinutes(-10),
            NotBefore = exp.AddMinutes(-10),
            Expires = exp,
            Claims = claims,
            SigningCredentials = credentials,
        });
    }

    /// <summary>A JWT whose signature openssl computes (<c>openssl dgst -sha256 -hmac</c>, or <c>-sign</c> with an RSA key): the
    /// node must accept a token it did not mint with the library it validates with.</summary>
    public static string OpenSsl(string alg, IReadOnlyList<string> signArgs, string workDir, object payload)
    {
        var header = B64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT" }));
        var body = B64Url(JsonSerializer.SerializeToUtf8Bytes(payload));
        var input = Path.Combine(workDir, "jwt-input.txt");
        var sig = Path.Combine(workDir, "jwt-signature.bin");
        File.WriteAllText(input, header + "." + body, new UTF8Encoding(false));
        var r = Tools.Run("openssl", ["dgst", "-sha256", "-binary", .. signArgs, "-out", sig, input]);
        r.ExitCode.Should().Be(0, r.StdErr);
        return header + "." + body + "." + B64Url(File.ReadAllBytes(sig));
    }

    public static long UnixSeconds(DateTimeOffset t) => t.ToUnixTimeSeconds();

    private static string B64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
