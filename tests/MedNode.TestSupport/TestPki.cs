using System.Globalization;
using System.Security.Cryptography;

namespace MedNode.TestSupport;

/// <summary>
/// Throwaway certification authorities and certificates made with the real `openssl` command line in a temporary folder,
/// for DICOM TLS and HTTPS tests. Keys are unencrypted PEM (PKCS #8); leaf certificates carry DNS:localhost and
/// IP:127.0.0.1 and both the serverAuth and clientAuth extended key usages.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly TempDir _dir = new("mednode-pki-");

    /// <summary>A certificate and its private key, as PEM files.</summary>
    public sealed record Pem(string CertificatePath, string KeyPath);

    public string Folder => _dir.Path;

    /// <summary>A self-signed certification authority named <paramref name="name"/>.</summary>
    public Pem CreateAuthority(string name)
    {
        var key = _dir.File(name + ".key");
        var cert = _dir.File(name + ".pem");
        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "3", "-subj", $"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new Pem(cert, key);
    }

    /// <summary>A leaf certificate with common name <paramref name="name"/>, signed by <paramref name="authority"/>.</summary>
    public Pem Issue(Pem authority, string name)
    {
        var key = _dir.File(name + ".key");
        var csr = _dir.File(name + ".csr");
        var cert = _dir.File(name + ".pem");
        var ext = _dir.File(name + ".ext");
        File.WriteAllText(ext, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n");
        OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", $"/CN={name}");
        var serial = "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        OpenSsl("x509", "-req", "-in", csr, "-CA", authority.CertificatePath, "-CAkey", authority.KeyPath, "-set_serial", serial, "-days", "2", "-sha256", "-extfile", ext, "-out", cert);
        return new Pem(cert, key);
    }

    /// <summary>The SHA-256 fingerprint of a PEM certificate as `openssl x509 -fingerprint` prints it (hex, colon-separated).</summary>
    public static string Fingerprint(string certificatePath)
    {
        var r = Tools.Run("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", certificatePath]);
        if (r.ExitCode != 0) throw new InvalidOperationException("openssl x509 failed: " + r.StdErr);
        return r.StdOut.Trim().Split('=', 2)[1].ToUpper(CultureInfo.InvariantCulture);
    }

    private void OpenSsl(params string[] args)
    {
        var r = Tools.Run("openssl", args, TimeSpan.FromMinutes(1), workDir: _dir.Path);
        if (r.ExitCode != 0) throw new InvalidOperationException($"openssl {args[0]} failed: {r.StdErr}");
    }

    public void Dispose() => _dir.Dispose();
}
