using System.Numerics;
using System.Reflection;

namespace MedNode.Dicom;

/// <summary>MedNode's identity in File Meta Information and association negotiation (PS3.7 §D.3.3.2).</summary>
public static class DicomImplementation
{
    /// <summary>MedNode's Implementation Class UID: a UUID-derived UID under the 2.25 root (PS3.5 §B.2).</summary>
    public const string ClassUid = "2.25.103338344308753325379728430895876889973";

    /// <summary>Implementation Version Name: at most 16 characters of the default repertoire.</summary>
    public static string VersionName { get; } = BuildVersionName();

    private static string BuildVersionName()
    {
        var v = typeof(DicomImplementation).Assembly.GetName().Version ?? new Version(0, 1, 0);
        var s = $"MEDNODE_{v.Major}{v.Minor}{v.Build}";
        return s.Length > 16 ? s[..16] : s;
    }

    /// <summary>A new globally unique UID under the 2.25 root, from a random UUID (PS3.5 §B.2).</summary>
    public static string NewUid()
    {
        Span<byte> b = stackalloc byte[17];
        Guid.NewGuid().TryWriteBytes(b[..16], bigEndian: true, out _);
        b[16] = 0;
        b[..16].Reverse();
        return "2.25." + new BigInteger(b, isUnsigned: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string ProductVersion { get; } =
        typeof(DicomImplementation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.1.0";
}
