using System.Buffers.Binary;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using MedNode.Dicom.Buffers;

namespace MedNode.Dicom.Json;

/// <summary>Options for the DICOM JSON Model writer.</summary>
public sealed record DicomJsonWriterOptions
{
    public static readonly DicomJsonWriterOptions Default = new();

    public bool Indented { get; init; } = true;

    /// <summary>Binary values at least this long go to <see cref="BulkDataUri"/> when it is set (PS3.18 F.2.6).</summary>
    public long BulkDataThreshold { get; init; } = 1024;

    /// <summary>Returns the BulkDataURI for a binary value (its tag path from the top), or null to inline it.</summary>
    public Func<IReadOnlyList<DicomTag>, DicomItem, string?>? BulkDataUri { get; init; }

    /// <summary>Leave out the File Meta Information group and group lengths.</summary>
    public bool SkipGroupLengths { get; init; } = true;
}

/// <summary>Writes the DICOM JSON Model (PS3.18 Annex F).</summary>
public static class DicomJsonWriter
{

    public static string Serialize(DicomDataset ds, DicomJsonWriterOptions? options = null)
    {
        using var ms = new MemoryStream();
        Write(ms, ds, options);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public static void Write(Stream output, DicomDataset ds, DicomJsonWriterOptions? options = null)
    {
        options ??= DicomJsonWriterOptions.Default;
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = options.Indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        WriteDataset(w, ds, options, []);
        w.Flush();
    }

    /// <summary>Writes an array of data sets (e.g. a QIDO-RS or metadata response).</summary>
    public static void WriteArray(Utf8JsonWriter w, IEnumerable<DicomDataset> datasets, DicomJsonWriterOptions? options = null)
    {
        options ??= DicomJsonWriterOptions.Default;
        w.WriteStartArray();
        foreach (var ds in datasets) WriteDataset(w, ds, options, []);
        w.WriteEndArray();
    }

    public static void WriteDataset(Utf8JsonWriter w, DicomDataset ds, DicomJsonWriterOptions options, List<DicomTag> path)
    {
        w.WriteStartObject();
        foreach (var item in ds)
        {
            if (options.SkipGroupLengths && item.Tag.IsGroupLength) continue;
            path.Add(item.Tag);
            w.WritePropertyName(item.Tag.ToHexString());
            w.WriteStartObject();
            w.WriteString("vr", item.VR.ToString());
            WriteValue(w, ds, item, options, path);
            w.WriteEndObject();
            path.RemoveAt(path.Count - 1);
        }
        w.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter w, DicomDataset ds, DicomItem item, DicomJsonWriterOptions options, List<DicomTag> path)
    {
        switch (item)
        {
            case DicomSequence seq:
                if (seq.Items.Count == 0) return;
                w.WriteStartArray("Value");
                foreach (var i in seq.Items) WriteDataset(w, i, options, path);
                w.WriteEndArray();
                return;
            case DicomFragmentSequence frag:
                {
                    var uri = options.BulkDataUri?.Invoke(path, item);
                    if (uri != null) { w.WriteString("BulkDataURI", uri); return; }
                    using var ms = new MemoryStream();
                    new IO.DicomWriter(ms, true, false).WriteDataset(new DicomDataset([frag]));
                    // Inline the encapsulated value: everything after the 12-byte element header.
                    w.WriteBase64String("InlineBinary", ms.GetBuffer().AsSpan(12, (int)ms.Length - 12));
                    return;
                }
            case DicomElement e:
                WriteElement(w, ds, e, options, path);
                return;
        }
    }

    private static bool IsBinary(DicomVR vr) => vr is DicomVR.OB or DicomVR.OD or DicomVR.OF or DicomVR.OL or DicomVR.OV or DicomVR.OW or DicomVR.UN;

    private static void WriteElement(Utf8JsonWriter w, DicomDataset ds, DicomElement e, DicomJsonWriterOptions options, List<DicomTag> path)
    {
        if (e.Length == 0 && !(e.Tag == DicomTags.SpecificCharacterSet && path.Count == 1)) return;
        var vr = e.VR;
        if (IsBinary(vr))
        {
            if (options.BulkDataUri != null && e.Length >= options.BulkDataThreshold)
            {
                var uri = options.BulkDataUri(path, e);
                if (uri != null) { w.WriteString("BulkDataURI", uri); return; }
            }
            var data = e.Buffer.GetMemory();
            if (data.Length % 2 == 1)
            {
                // PS3.5 §7.1.1: values have even length; an odd one from a non-conformant source is padded with NUL, as DCMTK does.
                var padded = new byte[data.Length + 1];
                data.Span.CopyTo(padded);
                data = padded;
            }
            w.WriteBase64String("InlineBinary", data.Span);
            return;
        }
        var bytes = e.Buffer.GetMemory().Span;
        switch (vr)
        {
            case DicomVR.AT:
                w.WriteStartArray("Value");
                for (int i = 0; i + 4 <= bytes.Length; i += 4)
                    w.WriteStringValue(new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(bytes[i..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i + 2)..])).ToHexString());
                w.WriteEndArray();
                return;
            case DicomVR.US: case DicomVR.SS: case DicomVR.UL: case DicomVR.SL: case DicomVR.FL: case DicomVR.FD:
                {
                    w.WriteStartArray("Value");
                    foreach (var d in DicomValues.ToDoubles(vr, bytes, null))
                    {
                        if (vr == DicomVR.FL && float.IsFinite((float)d)) w.WriteNumberValue((float)d); // shortest float text
                        else WriteNumber(w, d);
                    }
                    w.WriteEndArray();
                    return;
                }
            case DicomVR.SV:
                w.WriteStartArray("Value");
                for (int i = 0; i + 8 <= bytes.Length; i += 8) w.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(bytes[i..]));
                w.WriteEndArray();
                return;
            case DicomVR.UV:
                w.WriteStartArray("Value");
                for (int i = 0; i + 8 <= bytes.Length; i += 8) w.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]));
                w.WriteEndArray();
                return;
        }
        if (e.Tag == DicomTags.SpecificCharacterSet && path.Count == 1)
        {
            // JSON text is Unicode (UTF-8), so the strings it carries are in ISO_IR 192 whatever the source used (as DCMTK writes).
            w.WriteStartArray("Value");
            w.WriteStringValue("ISO_IR 192");
            w.WriteEndArray();
            return;
        }
        var text = ds.DecodeString(e);
        var values = DicomValues.SplitStrings(text, vr);
        if (vr == DicomVR.PN) values = values.Select(TrimPersonName).ToArray();
        if (values.All(v => v.Length == 0)) return;
        w.WriteStartArray("Value");
        foreach (var v in values)
        {
            if (v.Length == 0) { w.WriteNullValue(); continue; }
            switch (vr)
            {
                case DicomVR.DS:
                    if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) WriteNumber(w, d);
                    else w.WriteStringValue(v);
                    break;
                case DicomVR.IS:
                    if (int.TryParse(v.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) w.WriteNumberValue(l);
                    else w.WriteStringValue(v);
                    break;
                case DicomVR.PN:
                    WritePersonName(w, v);
                    break;
                default:
                    w.WriteStringValue(v);
                    break;
            }
        }
        w.WriteEndArray();
    }

    private static void WriteNumber(Utf8JsonWriter w, double d)
    {
        if (!double.IsFinite(d)) { w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture)); return; }
        if (d == Math.Floor(d) && Math.Abs(d) < 1e15) w.WriteNumberValue((long)d);
        else w.WriteNumberValue(d);
    }

    /// <summary>Drops empty trailing components and groups ("Doe^^^^" is "Doe"), as DCMTK does.</summary>
    private static string TrimPersonName(string v)
    {
        var groups = v.Split('=').Select(g => g.TrimEnd('^', ' ')).ToList();
        while (groups.Count > 0 && groups[^1].Length == 0) groups.RemoveAt(groups.Count - 1);
        return string.Join('=', groups);
    }

    /// <summary>PN as an object of component groups (PS3.18 F.2.2).</summary>
    private static void WritePersonName(Utf8JsonWriter w, string value)
    {
        var pn = DicomPersonName.Parse(value);
        w.WriteStartObject();
        if (pn.Alphabetic.Length > 0) w.WriteString("Alphabetic", pn.Alphabetic);
        if (pn.Ideographic.Length > 0) w.WriteString("Ideographic", pn.Ideographic);
        if (pn.Phonetic.Length > 0) w.WriteString("Phonetic", pn.Phonetic);
        w.WriteEndObject();
    }

    internal static IByteBuffer Empty => MemoryByteBuffer.Empty;
}
