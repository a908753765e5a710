using System.Buffers.Binary;
using System.Globalization;

namespace MedNode.Dicom;

/// <summary>Value conversion and checking by VR (PS3.5 §6.2).</summary>
public static class DicomValues
{
    /// <summary>Splits a decoded string value into its values and trims them as PS3.5 Table 6.2-1 allows.</summary>
    public static string[] SplitStrings(string text, DicomVR vr)
    {
        if (vr.IsSingleValuedText()) return [vr == DicomVR.UR ? text.Trim(' ') : text.TrimEnd(' ', '\0')];
        var parts = text.Split('\\');
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = vr switch
            {
                // Leading spaces are significant in these.
                DicomVR.SH or DicomVR.LO or DicomVR.UC or DicomVR.PN => parts[i].TrimEnd(' ', '\0'),
                DicomVR.UI => parts[i].Trim('\0', ' '),
                _ => parts[i].Trim(' ', '\0'),
            };
        }
        return parts;
    }

    /// <summary>Numbers from a binary numeric value or a DS/IS string.</summary>
    public static double[] ToDoubles(DicomVR vr, ReadOnlySpan<byte> b, string? text)
    {
        switch (vr)
        {
            case DicomVR.DS:
            case DicomVR.IS:
                if (string.IsNullOrEmpty(text)) return [];
                var parts = SplitStrings(text, vr);
                var r = new double[parts.Length];
                for (int i = 0; i < parts.Length; i++)
                    r[i] = double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;
                return r;
            case DicomVR.US: case DicomVR.OW: return Read(b, 2, s => BinaryPrimitives.ReadUInt16LittleEndian(s));
            case DicomVR.SS: return Read(b, 2, s => BinaryPrimitives.ReadInt16LittleEndian(s));
            case DicomVR.UL: case DicomVR.OL: return Read(b, 4, s => BinaryPrimitives.ReadUInt32LittleEndian(s));
            case DicomVR.SL: return Read(b, 4, s => BinaryPrimitives.ReadInt32LittleEndian(s));
            case DicomVR.FL: case DicomVR.OF: return Read(b, 4, s => BinaryPrimitives.ReadSingleLittleEndian(s));
            case DicomVR.FD: case DicomVR.OD: return Read(b, 8, s => BinaryPrimitives.ReadDoubleLittleEndian(s));
            case DicomVR.SV: return Read(b, 8, s => BinaryPrimitives.ReadInt64LittleEndian(s));
            case DicomVR.UV: case DicomVR.OV: return Read(b, 8, s => BinaryPrimitives.ReadUInt64LittleEndian(s));
            case DicomVR.OB: case DicomVR.UN: return Read(b, 1, s => s[0]);
            default: return [];
        }
    }

    private delegate double Reader(ReadOnlySpan<byte> s);

    private static double[] Read(ReadOnlySpan<byte> b, int size, Reader read)
    {
        var r = new double[b.Length / size];
        for (int i = 0; i < r.Length; i++) r[i] = read(b[(i * size)..]);
        return r;
    }

    /// <summary>Encodes numbers as a binary numeric VR, checking range.</summary>
    public static byte[] FromDoubles(DicomVR vr, double[] values, DicomTag tag)
    {
        int size = vr.BinaryValueSize();
        if (size == 0) throw new DicomValueException($"{tag}: VR {vr} does not hold binary numbers");
        var b = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var s = b.AsSpan(i * size);
            double v = values[i];
            switch (vr)
            {
                case DicomVR.US: case DicomVR.OW: BinaryPrimitives.WriteUInt16LittleEndian(s, checked((ushort)Check(v, ushort.MinValue, ushort.MaxValue, tag, vr))); break;
                case DicomVR.SS: BinaryPrimitives.WriteInt16LittleEndian(s, checked((short)Check(v, short.MinValue, short.MaxValue, tag, vr))); break;
                case DicomVR.UL: case DicomVR.OL: BinaryPrimitives.WriteUInt32LittleEndian(s, checked((uint)Check(v, uint.MinValue, uint.MaxValue, tag, vr))); break;
                case DicomVR.SL: BinaryPrimitives.WriteInt32LittleEndian(s, checked((int)Check(v, int.MinValue, int.MaxValue, tag, vr))); break;
                case DicomVR.FL: case DicomVR.OF: BinaryPrimitives.WriteSingleLittleEndian(s, (float)v); break;
                case DicomVR.FD: case DicomVR.OD: BinaryPrimitives.WriteDoubleLittleEndian(s, v); break;
                case DicomVR.SV: BinaryPrimitives.WriteInt64LittleEndian(s, (long)v); break;
                case DicomVR.UV: case DicomVR.OV: BinaryPrimitives.WriteUInt64LittleEndian(s, (ulong)Check(v, 0, ulong.MaxValue, tag, vr)); break;
                default: throw new DicomValueException($"{tag}: VR {vr} does not hold binary numbers");
            }
        }
        return b;
    }

    private static double Check(double v, double min, double max, DicomTag tag, DicomVR vr)
    {
        if (double.IsNaN(v) || v < min || v > max || Math.Round(v) != v)
            throw new DicomValueException($"{tag}: {v.ToString(CultureInfo.InvariantCulture)} is not a valid {vr} value");
        return v;
    }

    /// <summary>Formats a number as a DS value of at most 16 characters (PS3.5 Table 6.2-1).</summary>
    public static string FormatDecimalString(double v)
    {
        if (double.IsNaN(v) || double.IsInfinity(v)) throw new DicomValueException("DS cannot hold NaN or infinity");
        for (int digits = 15; digits > 0; digits--)
        {
            var s = v.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (s.Contains("E", StringComparison.Ordinal)) s = s.Replace("E+", "E", StringComparison.Ordinal);
            if (s.Length <= 16) return s;
        }
        return v.ToString("E8", CultureInfo.InvariantCulture);
    }

    /// <summary>Checks one string value against its VR: length, character repertoire and form (PS3.5 §6.2).</summary>
    public static void Validate(DicomVR vr, string value, DicomTag tag)
    {
        int max = vr.MaxValueLength();
        if (vr == DicomVR.PN)
        {
            foreach (var g in value.Split('='))
                if (g.Length > 64) throw Bad("a person name component group is longer than 64 characters");
        }
        else if (max > 0 && value.Length > max) throw Bad($"longer than {max} characters");
        if (!vr.UsesSpecificCharacterSet() && vr.IsString())
        {
            foreach (char c in value)
                if (c > 0x7E || (c < 0x20 && c != 0x1B)) throw Bad("characters outside the default repertoire");
        }
        switch (vr)
        {
            case DicomVR.CS:
                foreach (char c in value) if (!(char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == ' ' || c == '_')) throw Bad("CS allows only A-Z, 0-9, space and underscore");
                break;
            case DicomVR.UI:
                if (value.Length > 0 && (!value.All(c => char.IsAsciiDigit(c) || c == '.') || value.StartsWith('.') || value.EndsWith('.') || value.Contains("..", StringComparison.Ordinal)))
                    throw Bad("UI allows only digits and dots");
                break;
            case DicomVR.DA:
                if (value.Length > 0 && !TryParseDateOrRange(value)) throw Bad("DA must be YYYYMMDD");
                break;
            case DicomVR.TM:
                if (value.Length > 0 && !value.Split('-').All(p => p.Length == 0 || TryParseTime(p, out _))) throw Bad("TM must be HHMMSS.FFFFFF");
                break;
            case DicomVR.DS:
                if (value.Trim().Length > 0 && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) throw Bad("DS must be a decimal number");
                break;
            case DicomVR.IS:
                if (value.Trim().Length > 0 && (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) || l < int.MinValue || l > int.MaxValue))
                    throw Bad("IS must be an integer in [-2^31, 2^31-1]");
                break;
            case DicomVR.AS:
                if (value.Length > 0 && !(value.Length == 4 && char.IsAsciiDigit(value[0]) && char.IsAsciiDigit(value[1]) && char.IsAsciiDigit(value[2]) && "DWMY".Contains(value[3], StringComparison.Ordinal)))
                    throw Bad("AS must be nnnD, nnnW, nnnM or nnnY");
                break;
            case DicomVR.AE:
                if (value.Contains('\\', StringComparison.Ordinal)) throw Bad("AE must not contain a backslash");
                break;
        }
        if (!vr.IsSingleValuedText() && vr.IsString() && value.Contains('\\', StringComparison.Ordinal))
            throw Bad("a single value must not contain a backslash");

        DicomValueException Bad(string why) => new($"{tag} {vr}: value '{value}' is invalid: {why}");
    }

    private static bool TryParseDateOrRange(string value) => value.Split('-').All(p => p.Length == 0 || TryParseDate(p, out _));

    /// <summary>DA: YYYYMMDD (also accepts the retired YYYY.MM.DD form when reading).</summary>
    public static bool TryParseDate(string s, out DateOnly date)
    {
        s = s.Trim().Replace(".", "", StringComparison.Ordinal);
        return DateOnly.TryParseExact(s, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    /// <summary>TM: HH[MM[SS[.F{1,6}]]] (also the retired HH:MM:SS form when reading).</summary>
    public static bool TryParseTime(string s, out TimeOnly time)
    {
        time = default;
        s = s.Trim().Replace(":", "", StringComparison.Ordinal);
        if (s.Length < 2) return false;
        string main = s, frac = "";
        int dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0) { main = s[..dot]; frac = s[(dot + 1)..]; }
        if (main.Length is not (2 or 4 or 6) || !main.All(char.IsAsciiDigit) || frac.Length > 6 || !frac.All(char.IsAsciiDigit)) return false;
        if (frac.Length > 0 && main.Length != 6) return false;
        int h = int.Parse(main[..2], CultureInfo.InvariantCulture);
        int m = main.Length >= 4 ? int.Parse(main[2..4], CultureInfo.InvariantCulture) : 0;
        int sec = main.Length >= 6 ? int.Parse(main[4..6], CultureInfo.InvariantCulture) : 0;
        if (sec == 60) sec = 59; // leap second (PS3.5 Table 6.2-1)
        if (h > 23 || m > 59 || sec > 59) return false;
        long ticks = frac.Length > 0 ? long.Parse(frac.PadRight(7, '0')[..7], CultureInfo.InvariantCulture) : 0;
        time = new TimeOnly(h, m, sec).Add(TimeSpan.FromTicks(ticks));
        return true;
    }

    /// <summary>DT: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&amp;ZZXX].</summary>
    public static bool TryParseDateTime(string s, out DateTimeOffset value)
    {
        value = default;
        s = s.Trim();
        TimeSpan offset = TimeSpan.Zero;
        int z = Math.Max(s.LastIndexOf('+'), s.LastIndexOf('-'));
        if (z > 0)
        {
            var zs = s[(z + 1)..];
            if (zs.Length != 4 || !zs.All(char.IsAsciiDigit)) return false;
            offset = new TimeSpan(int.Parse(zs[..2], CultureInfo.InvariantCulture), int.Parse(zs[2..], CultureInfo.InvariantCulture), 0);
            if (s[z] == '-') offset = -offset;
            s = s[..z];
        }
        if (s.Length < 4 || !s[..Math.Min(s.Length, 14)].All(char.IsAsciiDigit)) return false;
        int year = int.Parse(s[..4], CultureInfo.InvariantCulture);
        int month = s.Length >= 6 ? int.Parse(s[4..6], CultureInfo.InvariantCulture) : 1;
        int day = s.Length >= 8 ? int.Parse(s[6..8], CultureInfo.InvariantCulture) : 1;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || year < 1) return false;
        var t = TimeOnly.MinValue;
        if (s.Length > 8 && !TryParseTime(s[8..], out t)) return false;
        try { value = new DateTimeOffset(new DateTime(year, month, day).Add(t.ToTimeSpan()), offset); }
        catch (ArgumentException) { return false; }
        return true;
    }

    public static string FormatDate(DateOnly d) => d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
    public static string FormatTime(TimeOnly t) => t.ToString("HHmmss.ffffff", CultureInfo.InvariantCulture);
    public static string FormatDateTime(DateTimeOffset t) =>
        t.ToString("yyyyMMddHHmmss.ffffff", CultureInfo.InvariantCulture) + (t.Offset < TimeSpan.Zero ? "-" : "+") + t.Offset.ToString("hhmm", CultureInfo.InvariantCulture);
}
