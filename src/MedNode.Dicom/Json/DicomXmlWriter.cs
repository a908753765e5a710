using System.Buffers.Binary;
using System.Globalization;
using System.Xml;

namespace MedNode.Dicom.Json;

/// <summary>Writes the Native DICOM Model XML (PS3.19 §A.1).</summary>
public static class DicomXmlWriter
{
    public static string Serialize(DicomDataset ds)
    {
        var sb = new System.Text.StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false }))
        {
            w.WriteStartDocument();
            w.WriteStartElement("NativeDicomModel", "http://dicom.nema.org/PS3.19/models/NativeDICOM");
            w.WriteAttributeString("xml", "space", null, "preserve");
            WriteAttributes(w, ds);
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        return sb.ToString();
    }

    private static void WriteAttributes(XmlWriter w, DicomDataset ds)
    {
        foreach (var item in ds)
        {
            if (item.Tag.IsGroupLength) continue;
            w.WriteStartElement("DicomAttribute");
            var tag = item.Tag;
            string? creator = null;
            if (tag.IsPrivate && !tag.IsPrivateCreator && tag.Element >= 0x1000)
            {
                // PS3.19 A.1.1: a private data element is named by its creator and the element's low byte.
                creator = ds.GetString(new DicomTag(tag.Group, (ushort)(tag.Element >> 8)));
                if (creator != null) tag = new DicomTag(tag.Group, (ushort)(tag.Element & 0xFF));
            }
            w.WriteAttributeString("tag", tag.ToHexString());
            w.WriteAttributeString("vr", item.VR.ToString());
            if (creator != null) w.WriteAttributeString("privateCreator", creator);
            var entry = item.Tag.IsPrivate ? null : DicomDictionary.Find(item.Tag);
            if (entry != null && entry.Keyword.Length > 0) w.WriteAttributeString("keyword", entry.Keyword);
            WriteValues(w, ds, item);
            w.WriteEndElement();
        }
    }

    private static void WriteValues(XmlWriter w, DicomDataset ds, DicomItem item)
    {
        switch (item)
        {
            case DicomSequence s:
                for (int i = 0; i < s.Items.Count; i++)
                {
                    w.WriteStartElement("Item");
                    w.WriteAttributeString("number", (i + 1).ToString(CultureInfo.InvariantCulture));
                    WriteAttributes(w, s.Items[i]);
                    w.WriteEndElement();
                }
                return;
            case DicomFragmentSequence:
                return; // PS3.19 A.1.5: bulk data is referenced, not inlined; MedNode omits it.
            case DicomElement e when e.Length > 0:
                var bytes = e.Buffer.GetMemory().Span;
                switch (e.VR)
                {
                    case DicomVR.OB: case DicomVR.OD: case DicomVR.OF: case DicomVR.OL: case DicomVR.OV: case DicomVR.OW: case DicomVR.UN:
                        w.WriteStartElement("InlineBinary");
                        w.WriteBase64(bytes.ToArray(), 0, bytes.Length);
                        w.WriteEndElement();
                        return;
                    case DicomVR.AT:
                        for (int i = 0; i + 4 <= bytes.Length; i += 4)
                            Value(w, i / 4 + 1, new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(bytes[i..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i + 2)..])).ToHexString());
                        return;
                    case DicomVR.US: case DicomVR.SS: case DicomVR.UL: case DicomVR.SL: case DicomVR.FL: case DicomVR.FD: case DicomVR.SV: case DicomVR.UV:
                        var nums = DicomValues.ToDoubles(e.VR, bytes, null);
                        for (int i = 0; i < nums.Length; i++) Value(w, i + 1, nums[i].ToString("R", CultureInfo.InvariantCulture));
                        return;
                }
                var values = DicomValues.SplitStrings(ds.DecodeString(e), e.VR);
                for (int i = 0; i < values.Length; i++)
                {
                    if (e.VR == DicomVR.PN) PersonName(w, i + 1, values[i]);
                    else Value(w, i + 1, values[i]);
                }
                return;
        }
    }

    private static void Value(XmlWriter w, int number, string text)
    {
        w.WriteStartElement("Value");
        w.WriteAttributeString("number", number.ToString(CultureInfo.InvariantCulture));
        w.WriteString(text);
        w.WriteEndElement();
    }

    private static void PersonName(XmlWriter w, int number, string value)
    {
        var pn = DicomPersonName.Parse(value);
        w.WriteStartElement("PersonName");
        w.WriteAttributeString("number", number.ToString(CultureInfo.InvariantCulture));
        Group(w, "Alphabetic", pn.Alphabetic);
        Group(w, "Ideographic", pn.Ideographic);
        Group(w, "Phonetic", pn.Phonetic);
        w.WriteEndElement();
    }

    private static void Group(XmlWriter w, string name, string group)
    {
        if (group.Length == 0) return;
        var c = (group + "^^^^").Split('^');
        string[] names = ["FamilyName", "GivenName", "MiddleName", "NamePrefix", "NameSuffix"];
        w.WriteStartElement(name);
        for (int i = 0; i < 5; i++)
            if (c[i].Length > 0) w.WriteElementString(names[i], c[i]);
        w.WriteEndElement();
    }
}
