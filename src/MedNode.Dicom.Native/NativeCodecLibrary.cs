using System.Reflection;
using System.Runtime.InteropServices;

namespace MedNode.Dicom.Native;

/// <summary>
/// A native codec library resolved lazily by its versioned soname. Loading never throws: when the library is absent or too old,
/// <see cref="IsAvailable"/> is false and <see cref="Reason"/> names the Debian package to install.
/// </summary>
public sealed class NativeCodecLibrary
{
    private readonly Func<IntPtr, string?> _readVersion;
    private readonly Func<Version, bool> _versionAccepted;
    private readonly string _minimumVersionText;
    private readonly Lazy<(bool Available, string? Version, string Reason)> _probe;
    private IntPtr _handle;

    internal NativeCodecLibrary(string name, string soname, string debianPackage, string minimumVersionText,
        Func<Version, bool> versionAccepted, Func<IntPtr, string?> readVersion)
    {
        Name = name;
        Soname = soname;
        DebianPackage = debianPackage;
        _minimumVersionText = minimumVersionText;
        _versionAccepted = versionAccepted;
        _readVersion = readVersion;
        _probe = new Lazy<(bool, string?, string)>(Probe, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Human name, e.g. "OpenJPEG".</summary>
    public string Name { get; }

    /// <summary>The versioned soname loaded, e.g. libopenjp2.so.7.</summary>
    public string Soname { get; }

    /// <summary>The Debian runtime package that provides <see cref="Soname"/>.</summary>
    public string DebianPackage { get; }

    public bool IsAvailable => _probe.Value.Available;

    /// <summary>The library's version string, or null when it could not be loaded.</summary>
    public string? Version => _probe.Value.Version;

    /// <summary>Why the library is (not) usable, suitable for a "not supported" message.</summary>
    public string Reason => _probe.Value.Reason;

    /// <summary>The loaded handle for the DllImport resolver; zero when absent.</summary>
    internal IntPtr Handle => IsAvailable ? _handle : IntPtr.Zero;

    private (bool, string?, string) Probe()
    {
        if (!NativeLibrary.TryLoad(Soname, out _handle))
            return (false, null, $"{Soname} not found (apt-get install {DebianPackage})");
        string? text;
        try
        {
            text = _readVersion(_handle);
        }
        catch (EntryPointNotFoundException)
        {
            text = null;
        }
        if (text == null || !TryParseVersion(text, out var version))
            return (false, text, $"{Soname} loaded but its version could not be read (need {Name} {_minimumVersionText}; apt-get install {DebianPackage})");
        if (!_versionAccepted(version))
            return (false, text, $"{Soname} is {Name} {text}, need {_minimumVersionText} (apt-get install {DebianPackage})");
        return (true, text, $"{Name} {text} ({Soname})");
    }

    internal static bool TryParseVersion(string text, out Version version)
    {
        var digits = new string(text.TakeWhile(c => char.IsDigit(c) || c == '.').ToArray()).TrimEnd('.');
        if (digits.Count(c => c == '.') == 0) digits += ".0";
        return System.Version.TryParse(digits, out version!);
    }
}

/// <summary>
/// The native codec libraries MedNode binds (Debian bookworm packages) and the DllImport resolver that maps the logical library
/// names used by the bindings to their versioned sonames.
/// </summary>
public static class NativeCodecLibraries
{
    internal const string OpenJpegImportName = "openjp2";
    internal const string CharLsImportName = "charls";

    private static int _resolverRegistered;

    /// <summary>OpenJPEG 2.x (JPEG 2000 and, from 2.5, HTJ2K decoding).</summary>
    public static NativeCodecLibrary OpenJpeg { get; } = new(
        "OpenJPEG", "libopenjp2.so.7", "libopenjp2-7", ">= 2.5", v => v.Major == 2 && v.Minor >= 5,
        h => ReadCString(h, "opj_version"));

    /// <summary>CharLS 2.x (JPEG-LS) through its C API (charls_jpegls_decoder_* / charls_jpegls_encoder_*), available from 2.1.</summary>
    public static NativeCodecLibrary CharLs { get; } = new(
        "CharLS", "libcharls.so.2", "libcharls2", ">= 2.1 and < 3", v => v.Major == 2 && v.Minor >= 1,
        h => ReadCString(h, "charls_get_version_string"));

    /// <summary>Registers the resolver once; called before any P/Invoke into the bindings.</summary>
    internal static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _resolverRegistered, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(NativeCodecLibraries).Assembly, Resolve);
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) => libraryName switch
    {
        OpenJpegImportName => OpenJpeg.Handle,
        CharLsImportName => CharLs.Handle,
        _ => IntPtr.Zero,
    };

    private static unsafe string? ReadCString(IntPtr handle, string export)
    {
        if (!NativeLibrary.TryGetExport(handle, export, out var fn)) return null;
        var text = ((delegate* unmanaged[Cdecl]<IntPtr>)fn)();
        return text == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(text);
    }

    /// <summary>Throws a clear exception when a binding is used while its library is unavailable.</summary>
    internal static void Require(NativeCodecLibrary library)
    {
        EnsureResolver();
        if (!library.IsAvailable) throw new DllNotFoundException(library.Reason);
    }
}
