using System.Security.Cryptography.X509Certificates;

namespace MedNode.Dicom.Network.Tls;

/// <summary>Loads certificates, keys and trust bundles for DICOM TLS from PEM or PKCS #12 files.</summary>
public static class DicomTlsCertificates
{
    /// <summary>
    /// A certificate and its private key from PEM files: the first certificate of <paramref name="certificatePath"/> is
    /// the leaf, any further ones are its chain. The key is read from <paramref name="keyPath"/>, or from the certificate
    /// file when null; an encrypted key needs <paramref name="keyPassword"/>.
    /// </summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadPem(string certificatePath, string? keyPath, string? keyPassword = null)
    {
        var leaf = string.IsNullOrEmpty(keyPassword)
            ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, keyPassword, keyPath);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certificatePath);
        var chain = new X509Certificate2Collection();
        foreach (var c in all.Skip(1)) chain.Add(c);
        return (leaf, chain);
    }

    /// <summary>A certificate with its private key and its chain from a PKCS #12 (.pfx/.p12) file.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadPkcs12(string path, string? password)
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey) ?? throw new InvalidDataException("the PKCS #12 file holds no certificate with a private key");
        var chain = new X509Certificate2Collection();
        foreach (var c in all.Where(c => !ReferenceEquals(c, leaf))) chain.Add(c);
        return (leaf, chain);
    }

    /// <summary>Trusted certification authorities: every certificate of a PEM file, or of the .pem/.crt files of a folder.</summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        var authorities = new X509Certificate2Collection();
        IEnumerable<string> files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".crt", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)
            : [path];
        foreach (var f in files) authorities.ImportFromPemFile(f);
        if (authorities.Count == 0) throw new InvalidDataException($"no PEM certificate in {path}");
        return authorities;
    }
}
