using System.Text;

namespace MedNode.Dicom.CharacterSets;

/// <summary>
/// The .NET code pages behind the DICOM character sets. <see cref="CodePagesEncodingProvider"/> is part of the
/// shared framework since .NET Core 3.0; it is registered once, on first use.
/// </summary>
internal static class CodePageEncodings
{
    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>
    /// A code page whose encoder writes nothing for a character it cannot map (so callers detect failure by
    /// length, without best-fit substitution) and whose decoder writes U+FFFD for bytes it cannot map.
    /// </summary>
    public static Encoding Probing(int codePage)
    {
        EnsureRegistered();
        return Encoding.GetEncoding(codePage, new EncoderReplacementFallback(string.Empty), new DecoderReplacementFallback("\uFFFD"));
    }

    /// <summary>A code page that throws <see cref="EncoderFallbackException"/> for a character it cannot map.</summary>
    public static Encoding Strict(int codePage)
    {
        EnsureRegistered();
        return Encoding.GetEncoding(codePage, EncoderFallback.ExceptionFallback, new DecoderReplacementFallback("\uFFFD"));
    }

    private static void EnsureRegistered()
    {
        if (Volatile.Read(ref _registered)) return;
        lock (Gate)
        {
            if (_registered) return;
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            Volatile.Write(ref _registered, true);
        }
    }
}
