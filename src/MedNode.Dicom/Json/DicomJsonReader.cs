using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using MedNode.Dicom.Buffers;

namespace MedNode.Dicom.Json;

/// <summary>Reads the DICOM JSON Model (PS3.18 Annex F) into data sets.</summary>
public static class DicomJsonReader
{
    /// <summary>Parses one data set object.</summary>
    public static DicomDataset Parse(string json, Func<string, IByteBuffer>? bulkData = null)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 128 });
        return ReadDataset(doc.RootElement, null, bulkData);
    }

    /// <summary>Parses a JSON array of data sets (e.g. a QIDO-RS response), or one object.</summary>
    public static List<DicomDataset> ParseMany(string json, Func<string, IByteBuffer>? bulkData = null)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 128 });
        if (doc.RootElement.ValueKind == JsonValueKind.Array)
            return doc.RootElement.EnumerateArray().Select(e => ReadDataset(e, null, bulkData)).ToList();
        return [ReadDataset(doc.RootElement, null, bulkData)];
    }

    public static DicomDataset ReadDataset(JsonElement obj, DicomDataset? parent, Func<string, IByteBuffer>? bulkData)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new FormatException("a DICOM JSON data set must be an object");
        var ds = new DicomDataset { Parent = parent };
        // Specific Character Set first: it decides how the other strings are encoded.
        var props = obj.EnumerateObject().OrderBy(p => p.Name == "00080005" ? 0 : 1).ToList();
        bool needsUtf8 = false;
        foreach (var p in props)
        {
            if (!DicomTag.TryParse(p.Name, out var tag) || p.Name.Length != 8)
                throw new FormatException($"'{p.Name}' is not a tag (8 hex digits)");
            if (p.Value.ValueKind != JsonValueKind.Object || !p.Value.TryGetProperty("vr", out var vrProp))
                throw new FormatException($"{tag}: an attribute must be an object with a \"vr\"");
            var vr = DicomVRInfo.Parse(vrProp.GetString() ?? "");
            if (vr == DicomVR.None) throw new FormatException($"{tag}: unknown VR '{vrProp.GetString()}'");
            ds.Add(ReadItem(ds, tag, vr, p.Value, bulkData, ref needsUtf8));
        }
        if (needsUtf8 && !ds.Contains(DicomTags.SpecificCharacterSet) && parent == null)
        {
            // Strings that the default repertoire cannot hold were encoded as UTF-8; say so (PS3.5 §6.1.2.3).
            ds.AddOrUpdate(DicomTags.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        }
        return ds;
    }

    private static DicomItem ReadItem(DicomDataset ds, DicomTag tag, DicomVR vr, JsonElement attr, Func<string, IByteBuffer>? bulkData, ref bool needsUtf8)
    {
        if (attr.TryGetProperty("InlineBinary", out var inline))
            return new DicomElement(tag, vr, new MemoryByteBuffer(inline.GetBytesFromBase64()));
        if (attr.TryGetProperty("BulkDataURI", out var uri))
        {
            var buf = bulkData?.Invoke(uri.GetString() ?? "") ?? MemoryByteBuffer.Empty;
            return new DicomElement(tag, vr, buf);
        }
        if (!attr.TryGetProperty("Value", out var value)) return vr == DicomVR.SQ ? new DicomSequence(tag) : new DicomElement(tag, vr, MemoryByteBuffer.Empty);
        if (value.ValueKind != JsonValueKind.Array) throw new FormatException($"{tag}: \"Value\" must be an array");

        if (vr == DicomVR.SQ)
        {
            var seq = new DicomSequence(tag);
            foreach (var i in value.EnumerateArray()) seq.Items.Add(ReadDataset(i, ds, bulkData));
            return seq;
        }
        var items = value.EnumerateArray().ToList();
        switch (vr)
        {
            case DicomVR.AT:
                {
                    var b = new byte[items.Count * 4];
                    for (int i = 0; i < items.Count; i++)
                    {
                        if (!DicomTag.TryParse(items[i].GetString() ?? "", out var t)) throw new FormatException($"{tag}: AT value '{items[i]}' is not a tag");
                        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(i * 4), t.Group);
                        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(i * 4 + 2), t.Element);
                    }
                    return new DicomElement(tag, vr, new MemoryByteBuffer(b));
                }
            case DicomVR.US: case DicomVR.SS: case DicomVR.UL: case DicomVR.SL: case DicomVR.FL: case DicomVR.FD: case DicomVR.SV: case DicomVR.UV:
                return new DicomElement(tag, vr, new MemoryByteBuffer(DicomValues.FromDoubles(vr, items.Select(i => Number(tag, i)).ToArray(), tag)));
        }
        var strings = items.Select(i => i.ValueKind switch
        {
            JsonValueKind.Null => "",
            JsonValueKind.Number => i.GetRawText(),
            JsonValueKind.String => i.GetString() ?? "",
            JsonValueKind.Object when vr == DicomVR.PN => PersonName(i),
            _ => throw new FormatException($"{tag}: unexpected JSON value {i.ValueKind} for VR {vr}"),
        }).ToArray();
        if (vr == DicomVR.DS) strings = strings.Select(s => NormaliseDecimal(s)).ToArray();
        var text = vr.IsSingleValuedText() ? strings.FirstOrDefault() ?? "" : string.Join('\\', strings);
        if (vr.UsesSpecificCharacterSet() && text.Any(c => c > 0x7F)) needsUtf8 = true;
        var charset = ds.CharacterSet.Terms.Count == 0 && text.Any(c => c > 0x7F) ? DicomCharacterSet.FromTerms(["ISO_IR 192"]) : ds.CharacterSet;
        // Only SH/LO/ST/LT/PN/UC/UT may use the specific character set; non-ASCII text in other VRs is kept leniently as Latin-1.
        var bytes = !vr.UsesSpecificCharacterSet() ? System.Text.Encoding.Latin1.GetBytes(text) : charset.Encode(text, vr);
        if (bytes.Length % 2 == 1) { Array.Resize(ref bytes, bytes.Length + 1); bytes[^1] = vr.PaddingByte(); }
        return new DicomElement(tag, vr, new MemoryByteBuffer(bytes));
    }

    private static double Number(DicomTag tag, JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw new FormatException($"{tag}: '{e}' is not a number"),
    };

    /// <summary>A DS from JSON must still fit 16 characters (PS3.5 Table 6.2-1).</summary>
    private static string NormaliseDecimal(string s)
    {
        if (s.Length <= 16 || !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return s;
        return DicomValues.FormatDecimalString(d);
    }

    private static string PersonName(JsonElement o)
    {
        string G(string n) => o.TryGetProperty(n, out var v) ? v.GetString() ?? "" : "";
        var a = G("Alphabetic"); var i = G("Ideographic"); var p = G("Phonetic");
        if (p.Length > 0) return $"{a}={i}={p}";
        if (i.Length > 0) return $"{a}={i}";
        return a;
    }
}
