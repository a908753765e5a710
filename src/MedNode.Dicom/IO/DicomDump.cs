using System.Globalization;
using System.Text;

namespace MedNode.Dicom.IO;

/// <summary>A readable tree of a data set, in the spirit of DCMTK's dcmdump.</summary>
public static class DicomDump
{
    public static string Format(DicomFile file, int maxValueLength = 64)
    {
        var sb = new StringBuilder();
        sb.Append("# File Meta Information\n");
        Dataset(sb, file.Meta, 0, maxValueLength);
        sb.Append(CultureInfo.InvariantCulture, $"# Data Set ({file.TransferSyntax.Name})\n");
        Dataset(sb, file.Dataset, 0, maxValueLength);
        return sb.ToString();
    }

    public static void Dataset(StringBuilder sb, DicomDataset ds, int depth, int max)
    {
        var indent = new string(' ', depth * 2);
        foreach (var item in ds)
        {
            var entry = DicomDictionary.Find(item.Tag);
            var name = item.Tag.IsPrivate && !item.Tag.IsPrivateCreator ? "PrivateTag" : entry?.Keyword ?? "Unknown";
            switch (item)
            {
                case DicomSequence s:
                    sb.Append(CultureInfo.InvariantCulture, $"{indent}{item.Tag} SQ ({s.Items.Count} item{(s.Items.Count == 1 ? "" : "s")}) {name}\n");
                    for (int i = 0; i < s.Items.Count; i++)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"{indent}  (FFFE,E000) item {i + 1}\n");
                        Dataset(sb, s.Items[i], depth + 2, max);
                    }
                    break;
                case DicomFragmentSequence f:
                    sb.Append(CultureInfo.InvariantCulture, $"{indent}{item.Tag} {item.VR} (encapsulated: offset table {f.OffsetTable.Length} bytes, {f.Fragments.Count} fragments, {f.Fragments.Sum(x => x.Length)} bytes) {name}\n");
                    break;
                case DicomElement e:
                    sb.Append(CultureInfo.InvariantCulture, $"{indent}{item.Tag} {item.VR} {Value(ds, e, max)} # {e.Length} {name}\n");
                    break;
            }
        }
    }

    private static string Value(DicomDataset ds, DicomElement e, int max)
    {
        if (e.Length == 0) return "(empty)";
        string text;
        if (e.VR.IsString()) text = "[" + ds.DecodeString(e) + "]";
        else if (e.VR == DicomVR.AT) text = string.Join('\\', ds.GetTags(e.Tag).Select(t => t.ToString()));
        else if (e.VR is DicomVR.OB or DicomVR.UN or DicomVR.OW or DicomVR.OF or DicomVR.OD or DicomVR.OL or DicomVR.OV)
        {
            if (e.Length > 4096) return $"({e.Length} bytes)";
            var b = e.Buffer.GetMemory().Span;
            text = string.Join('\\', b[..Math.Min(b.Length, 32)].ToArray().Select(x => x.ToString("x2", CultureInfo.InvariantCulture)));
        }
        else text = string.Join('\\', DicomValues.ToDoubles(e.VR, e.Buffer.GetMemory().Span, null).Select(d => d.ToString("R", CultureInfo.InvariantCulture)));
        return text.Length > max ? text[..max] + "..." : text;
    }
}
