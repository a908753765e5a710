using System.IO.Compression;
using MedNode.Dicom.IO;

namespace MedNode.Dicom;

/// <summary>A DICOM file (PS3.10 §7): preamble, File Meta Information (group 0002) and the data set.</summary>
public sealed partial class DicomFile
{
    public DicomFile(DicomDataset dataset, DicomDataset? meta = null, DicomTransferSyntax? transferSyntax = null)
    {
        Dataset = dataset;
        Meta = meta ?? new DicomDataset();
        TransferSyntax = transferSyntax ?? DicomTransferSyntax.ExplicitVRLittleEndian;
    }

    public DicomDataset Meta { get; }
    public DicomDataset Dataset { get; }

    /// <summary>The transfer syntax the data set was read in (or is to be written in).</summary>
    public DicomTransferSyntax TransferSyntax { get; set; }

    public bool HadPreamble { get; private set; }
    public bool HadMetaHeader { get; private set; }

    /// <summary>True when reading stopped at the pixel data (<see cref="DicomReadOptions.StopAtPixelData"/>).</summary>
    public bool StoppedAtPixelData { get; private set; }

    /// <summary>Byte offset in the file where the data set (after the meta group) starts.</summary>
    public long DatasetOffset { get; private set; }

    /// <summary>What was read leniently (non-fatal deviations from the standard).</summary>
    public List<string> Warnings { get; } = [];

    public static DicomFile Open(string path, DicomReadOptions? options = null)
    {
        using var src = new FileSource(path);
        return Read(src, options ?? DicomReadOptions.Default);
    }

    public static DicomFile Parse(ReadOnlyMemory<byte> bytes, DicomReadOptions? options = null)
    {
        using var src = new MemorySource(bytes);
        return Read(src, options ?? DicomReadOptions.Default);
    }

    /// <summary>Reads a file from a stream (copied to memory first; use <see cref="Open"/> for large files).</summary>
    public static DicomFile Read(Stream stream, DicomReadOptions? options = null)
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return Parse(ms.GetBuffer().AsMemory(0, (int)ms.Length), options);
    }

    private static readonly byte[] Dicm = "DICM"u8.ToArray();

    private static DicomFile Read(ByteSource src, DicomReadOptions options)
    {
        var warnings = new List<string>();
        var meta = new DicomDataset();
        bool preamble = false, hasMeta = false;
        try
        {
            if (src.Length >= 132)
            {
                src.Skip(128);
                if (src.Peek(4).SequenceEqual(Dicm)) { src.Skip(4); preamble = true; }
                else src.Position = 0;
            }
            if (!preamble && src.Length >= 4 && src.Peek(4).SequenceEqual(Dicm)) { src.Skip(4); warnings.Add("DICM prefix without a preamble"); }

            // File Meta Information: always explicit VR little endian (PS3.10 §7.1).
            if (src.Remaining >= 8 && src.Peek(2)[0] == 0x02 && src.Peek(2)[1] == 0x00)
            {
                hasMeta = true;
                var reader = new DicomReader(src, options, warnings);
                bool metaExplicit = LooksExplicit(src);
                reader.ReadDataset(meta, metaExplicit, false, null, 0, stopBefore: t => t.Group != 0x0002);
                if (!metaExplicit) warnings.Add("file meta information encoded in implicit VR");
            }
            else if (preamble)
            {
                warnings.Add("preamble without File Meta Information");
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new DicomParseException("file ended inside the File Meta Information", src.Position, null, ex);
        }

        long datasetOffset = src.Position;
        DicomTransferSyntax ts;
        var tsUid = meta.GetString(new DicomTag(0x0002, 0x0010));
        if (tsUid == null)
        {
            ts = Detect(src);
            if (hasMeta) warnings.Add("File Meta Information has no Transfer Syntax UID; encoding detected as " + ts.Name);
        }
        else
        {
            ts = DicomTransferSyntax.Lookup(tsUid);
            if (!ts.IsDeflated && src.Remaining >= 8)
            {
                var detected = Detect(src);
                if (detected.IsExplicitVR != ts.IsExplicitVR || detected.IsBigEndian != ts.IsBigEndian)
                {
                    warnings.Add($"data set is encoded as {detected.Name}, not as the meta header's {ts.Name}");
                    ts = detected.IsExplicitVR == ts.IsExplicitVR && !detected.IsBigEndian ? ts : detected;
                }
            }
        }

        var dataset = new DicomDataset();
        bool stopped = ReadBody(src, ts, options, warnings, dataset, "file");

        var file = new DicomFile(dataset, meta, ts)
        {
            HadPreamble = preamble,
            HadMetaHeader = hasMeta,
            StoppedAtPixelData = stopped,
            DatasetOffset = datasetOffset,
        };
        file.Warnings.AddRange(warnings);
        return file;
    }

    /// <summary>Reads a bare data set (no preamble or meta group), e.g. a DIMSE command or data set.</summary>
    public static DicomDataset ParseDataset(ReadOnlyMemory<byte> bytes, DicomTransferSyntax ts, DicomReadOptions? options = null)
    {
        var ds = new DicomDataset();
        using var src = new MemorySource(bytes);
        ReadBody(src, ts, options ?? DicomReadOptions.Default, [], ds, "data");
        return ds;
    }

    /// <summary>Reads a bare data set from a file from a given offset (e.g. a C-STORE data set spooled to disk).</summary>
    public static DicomDataset OpenDataset(string path, DicomTransferSyntax ts, DicomReadOptions? options = null)
    {
        var ds = new DicomDataset();
        using var src = new FileSource(path);
        ReadBody(src, ts, options ?? DicomReadOptions.Default, [], ds, "file");
        return ds;
    }

    /// <summary>
    /// Reads the data set that follows the meta group (or a bare one) in <paramref name="ts"/>: inflating it first when
    /// deflated (PS3.5 §A.5), mapping truncation to <see cref="DicomParseException"/>, and resolving the VRs that
    /// implicit VR leaves ambiguous. Returns whether reading stopped at the pixel data.
    /// </summary>
    private static bool ReadBody(ByteSource src, DicomTransferSyntax ts, DicomReadOptions options, List<string> warnings, DicomDataset dataset, string what)
    {
        bool stopped;
        try
        {
            if (ts.IsDeflated)
            {
                using var inner = new MemorySource(Inflate(src, options.MaxInflatedLength));
                var r = new DicomReader(inner, options, warnings);
                r.ReadDataset(dataset, true, false, null, 0);
                stopped = r.StoppedAtPixelData;
            }
            else
            {
                var r = new DicomReader(src, options, warnings);
                r.ReadDataset(dataset, ts.IsExplicitVR, ts.IsBigEndian, null, 0);
                stopped = r.StoppedAtPixelData;
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new DicomParseException(what + " ended inside an element", src.Position, null, ex);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new DicomParseException("value extends beyond the data", src.Position, null, ex);
        }
        if (!ts.IsExplicitVR) ResolveAmbiguousVRs(dataset);
        return stopped;
    }

    private static bool LooksExplicit(ByteSource src)
    {
        if (src.Remaining < 6) return true;
        var p = src.Peek(6);
        return DicomVRInfo.FromBytes(p[4], p[5]) != DicomVR.None;
    }

    /// <summary>Guesses the encoding of a data set from its first element, as DCMTK does for files without a meta header.</summary>
    private static DicomTransferSyntax Detect(ByteSource src)
    {
        if (src.Remaining < 8) return DicomTransferSyntax.ImplicitVRLittleEndian;
        var p = src.Peek(8);
        ushort groupLe = (ushort)(p[0] | p[1] << 8);
        ushort groupBe = (ushort)(p[0] << 8 | p[1]);
        bool explicitVR = DicomVRInfo.FromBytes(p[4], p[5]) != DicomVR.None;
        bool bigEndian = groupBe < groupLe && groupBe != 0 && groupLe > 0x00FF && groupBe <= 0x7FE0;
        if (bigEndian && explicitVR) return DicomTransferSyntax.ExplicitVRBigEndian;
        return explicitVR ? DicomTransferSyntax.ExplicitVRLittleEndian : DicomTransferSyntax.ImplicitVRLittleEndian;
    }

    private static ReadOnlyMemory<byte> Inflate(ByteSource src, long max)
    {
        long n = src.Remaining;
        if (n > int.MaxValue) throw new DicomParseException("deflated data set too large", src.Position);
        long start = src.Position;
        var compressed = src.ReadBuffer(n, false, 1).GetMemory();
        try
        {
            return InflateWith(compressed, max, zlib: false);
        }
        catch (InvalidDataException)
        {
            try { return InflateWith(compressed, max, zlib: true); }
            catch (InvalidDataException ex) { throw new DicomParseException("deflated data set cannot be inflated", start, null, ex); }
        }
    }

    private static ReadOnlyMemory<byte> InflateWith(ReadOnlyMemory<byte> compressed, long max, bool zlib)
    {
        using var input = new MemoryStream(compressed.ToArray(), false);
        using Stream inflater = zlib ? new ZLibStream(input, CompressionMode.Decompress) : new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buf = new byte[81920];
        int r;
        while ((r = inflater.Read(buf)) > 0)
        {
            if (output.Length + r > max) throw new DicomParseException($"inflated data set exceeds {max} bytes", 0);
            output.Write(buf, 0, r);
        }
        return output.GetBuffer().AsMemory(0, (int)output.Length);
    }

    /// <summary>
    /// In implicit VR, "US or SS" attributes are SS when Pixel Representation is 1 (PS3.5 §A.1 c; DCMTK does the same).
    /// </summary>
    private static void ResolveAmbiguousVRs(DicomDataset ds)
    {
        bool signed = ds.GetInt(new DicomTag(0x0028, 0x0103)) == 1;
        foreach (var item in ds)
        {
            if (item is DicomSequence s) { foreach (var i in s.Items) ResolveAmbiguousVRs(i); continue; }
            if (item.VR != DicomVR.US || !signed) continue;
            var e = DicomDictionary.Find(item.Tag);
            if (e != null && e.VRs.Contains(DicomVR.SS) && e.VRs.Contains(DicomVR.US) && !IsLutDescriptor(item.Tag)) item.VR = DicomVR.SS;
        }
    }

    private static bool IsLutDescriptor(DicomTag t) => t.Group == 0x0028 && t.Element is 0x1101 or 0x1102 or 0x1103 or 0x3002;

    /// <summary>Writes the file to a stream in <paramref name="ts"/> (default: the file's own transfer syntax).</summary>
    public void Save(Stream output, DicomTransferSyntax? ts = null) =>
        DicomFileWriter.Write(output, Dataset, ts ?? TransferSyntax, Meta);

    /// <summary>Writes the file durably (temporary file, fsync, rename, fsync of the folder).</summary>
    public void Save(string path, DicomTransferSyntax? ts = null) =>
        DicomFileWriter.SaveDurably(path, Dataset, ts ?? TransferSyntax, Meta);
}
