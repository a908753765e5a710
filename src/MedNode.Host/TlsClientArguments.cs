using System.Security.Cryptography;
using MedNode.Dicom.Network.Tls;

namespace MedNode.Host;

/// <summary>
/// The TLS options of the SCU commands: <c>--tls [--ca FILE] [--cert FILE --key FILE]</c> (PS3.15 Annex B.10). Without
/// <c>--ca</c> the system's trust store is used.
/// </summary>
public static class TlsClientArguments
{
    public const string Usage = "[--tls [--ca FILE] [--cert FILE --key FILE]]";

    /// <summary>Takes the TLS options out of <paramref name="args"/>; null options when <c>--tls</c> is absent.</summary>
    public static (DicomTlsClientOptions? Tls, string[] Remaining) Take(string[] args)
    {
        var rest = new List<string>();
        bool tls = false;
        string? ca = null, cert = null, key = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--tls": tls = true; break;
                case "--ca": ca = Value(args, ref i); break;
                case "--cert": cert = Value(args, ref i); break;
                case "--key": key = Value(args, ref i); break;
                default: rest.Add(args[i]); break;
            }
        }
        if (!tls)
        {
            if (ca != null || cert != null || key != null) throw new UsageException("--ca, --cert and --key go with --tls");
            return (null, [.. rest]);
        }
        if ((cert == null) != (key == null)) throw new UsageException("--cert and --key go together");
        try
        {
            var options = new DicomTlsClientOptions { TrustedAuthorities = ca != null ? DicomTlsCertificates.LoadAuthorities(ca) : null };
            if (cert != null)
            {
                var (certificate, chain) = DicomTlsCertificates.LoadPem(cert, key);
                options = options with { Certificate = certificate, CertificateChain = chain };
            }
            return (options, [.. rest]);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or InvalidDataException)
        {
            throw new UsageException("--tls: " + ex.Message);
        }
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length) throw new UsageException($"{args[i]} needs a file");
        return args[++i];
    }
}
