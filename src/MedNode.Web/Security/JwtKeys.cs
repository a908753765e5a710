using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace MedNode.Web.Security;

/// <summary>The signing keys a JWT is checked against, built from <see cref="JwtSettings"/>.</summary>
internal static class JwtKeys
{
    /// <summary>The algorithms accepted in a JWS header (RFC 7518 §3.1); <c>none</c> is never among them.</summary>
    public static readonly string[] Algorithms =
    [
        SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha384, SecurityAlgorithms.HmacSha512,
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    public static List<SecurityKey> Load(JwtSettings settings)
    {
        List<SecurityKey> keys = [];
        keys.AddRange(settings.SymmetricKeys.Select(k => new SymmetricSecurityKey(Convert.FromBase64String(k))));
        foreach (var pem in settings.PublicKeys.Concat(settings.PublicKeyFiles.Select(File.ReadAllText)))
        {
            if (TryLoadPublicKey(pem, out var key)) keys.Add(key);
        }
        return keys;
    }

    /// <summary>An RSA or EC public key from PEM (SubjectPublicKeyInfo, or PKCS#1 for RSA).</summary>
    public static bool TryLoadPublicKey(string pem, out SecurityKey key)
    {
        key = null!;
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            key = new RsaSecurityKey(rsa);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
        }
        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            key = new ECDsaSecurityKey(ec);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return false;
        }
    }
}
