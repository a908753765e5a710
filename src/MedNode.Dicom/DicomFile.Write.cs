using System.IO.Compression;
using MedNode.Dicom.IO;

namespace MedNode.Dicom;

/// <summary>Part 10 writing (PS3.10 §7).</summary>
public static partial class DicomFileWriter
{
    private static readonly DicomTag MetaVersion = new(0x0002, 0x0001);
    private static readonly DicomTag MediaSopClass = new(0x0002, 0x0002);
    private static readonly DicomTag MediaSopInstance = new(0x0002, 0x0003);
    private static readonly DicomTag TransferSyntaxTag = new(0x0002, 0x0010);
    private static readonly DicomTag ImplClass = new(0x0002, 0x0012);
    private static readonly DicomTag ImplVersion = new(0x0002, 0x0013);
    private static readonly DicomTag SopClass = new(0x0008, 0x0016);
    private static readonly DicomTag SopInstance = new(0x0008, 0x0018);

    /// <summary>
    /// Builds the File Meta Information for a data set (PS3.10 §7.1): version 00\01, the media storage SOP class and
    /// instance from the data set, the transfer syntax, and MedNode's implementation class UID and version name.
    /// Other meta elements of <paramref name="previous"/> (e.g. Source AE Title) are kept.
    /// </summary>
    public static DicomDataset BuildMeta(DicomDataset dataset, DicomTransferSyntax ts, DicomDataset? previous = null)
    {
        var meta = new DicomDataset();
        if (previous != null)
            foreach (var i in previous)
                if (i.Tag.Element > 0x0013 && i.Tag.Group == 0x0002) meta.Add(i);
        meta.AddOrUpdate(MetaVersion, DicomVR.OB, new byte[] { 0x00, 0x01 });
        var sopClass = dataset.GetString(SopClass) ?? previous?.GetString(MediaSopClass) ?? "";
        var sopInstance = dataset.GetString(SopInstance) ?? previous?.GetString(MediaSopInstance) ?? "";
        meta.AddOrUpdate(MediaSopClass, DicomVR.UI, sopClass);
        meta.AddOrUpdate(MediaSopInstance, DicomVR.UI, sopInstance);
        meta.AddOrUpdate(TransferSyntaxTag, DicomVR.UI, ts.Uid);
        meta.AddOrUpdate(ImplClass, DicomVR.UI, DicomImplementation.ClassUid);
        meta.AddOrUpdate(ImplVersion, DicomVR.SH, DicomImplementation.VersionName);
        return meta;
    }

    /// <summary>Writes a Part 10 stream: 128-byte preamble, "DICM", meta group with its group length, then the data set.</summary>
    public static void Write(Stream output, DicomDataset dataset, DicomTransferSyntax ts, DicomDataset? previousMeta = null)
    {
        if (ts.IsBigEndian && dataset.Any(i => i is DicomFragmentSequence))
            throw new DicomValueException("encapsulated pixel data cannot be written in a big endian transfer syntax");
        if (!ts.IsEncapsulated && dataset.Any(i => i is DicomFragmentSequence))
            throw new DicomValueException($"the pixel data is encapsulated; {ts.Name} needs native pixel data (decode it first)");
        var meta = BuildMeta(dataset, ts, previousMeta);
        var buffered = output is BufferedStream or MemoryStream ? output : new BufferedStream(output, 1 << 16);
        buffered.Write(new byte[128]);
        buffered.Write("DICM"u8);
        var metaWriter = new DicomWriter(buffered, true, false);
        meta.AddOrUpdate(new DicomTag(0x0002, 0x0000), DicomVR.UL, 0d); // value computed by the writer
        metaWriter.WriteDataset(meta);
        if (ts.IsDeflated)
        {
            using (var deflate = new DeflateStream(buffered, CompressionLevel.Optimal, leaveOpen: true))
            using (var inner = new BufferedStream(deflate, 1 << 16))
            {
                new DicomWriter(inner, true, false).WriteDataset(dataset);
            }
        }
        else
        {
            new DicomWriter(buffered, ts).WriteDataset(dataset);
        }
        buffered.Flush();
    }

    /// <summary>Writes a bare data set (no preamble or meta), e.g. for DIMSE.</summary>
    public static void WriteDataset(Stream output, DicomDataset dataset, DicomTransferSyntax ts)
    {
        if (ts.IsDeflated)
        {
            using var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true);
            new DicomWriter(deflate, true, false).WriteDataset(dataset);
            return;
        }
        new DicomWriter(output, ts).WriteDataset(dataset);
    }

    /// <summary>
    /// Writes a file durably: to a temporary file in the same folder, flushed to disk (fsync), renamed over the target,
    /// and the folder flushed, so a crash leaves either the old file or the whole new one.
    /// </summary>
    public static void SaveDurably(string path, DicomDataset dataset, DicomTransferSyntax ts, DicomDataset? previousMeta = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Write(fs, dataset, ts, previousMeta);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
            FsyncDirectory(dir);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Flushes a directory entry to disk (POSIX: open the directory and fsync it).</summary>
    public static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = NativeMethods.open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { _ = NativeMethods.fsync(fd); }
        finally { _ = NativeMethods.close(fd); }
    }

    private static partial class NativeMethods
    {
        [System.Runtime.InteropServices.LibraryImport("libc", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int open(string path, int flags);

        [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
        internal static partial int fsync(int fd);

        [System.Runtime.InteropServices.LibraryImport("libc")]
        internal static partial int close(int fd);
    }
}
