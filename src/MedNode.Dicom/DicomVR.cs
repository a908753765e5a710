namespace MedNode.Dicom;

/// <summary>The 34 value representations of PS3.5 §6.2, plus <see cref="None"/> for "not known".</summary>
public enum DicomVR : byte
{
    None = 0,
    AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV,
}

/// <summary>Facts about each VR from PS3.5 §6.2 and §7.1.2.</summary>
public static class DicomVRInfo
{
    private static readonly DicomVR[] ByCode = BuildCodeTable();

    private static DicomVR[] BuildCodeTable()
    {
        var table = new DicomVR[26 * 26];
        foreach (DicomVR vr in Enum.GetValues<DicomVR>())
        {
            if (vr == DicomVR.None) continue;
            string s = vr.ToString();
            table[(s[0] - 'A') * 26 + (s[1] - 'A')] = vr;
        }
        return table;
    }

    /// <summary>Parses the two ASCII bytes of an explicit VR; <see cref="DicomVR.None"/> if they name no VR.</summary>
    public static DicomVR FromBytes(byte a, byte b)
    {
        int i = a - 'A', j = b - 'A';
        if ((uint)i >= 26 || (uint)j >= 26) return DicomVR.None;
        return ByCode[i * 26 + j];
    }

    public static DicomVR Parse(ReadOnlySpan<char> code) =>
        code.Length == 2 ? FromBytes((byte)code[0], (byte)code[1]) : DicomVR.None;

    /// <summary>Explicit VR encoding uses 2 reserved bytes and a 32-bit length for these VRs (PS3.5 Table 7.1-1).</summary>
    public static bool Has32BitLength(this DicomVR vr) => vr switch
    {
        DicomVR.OB or DicomVR.OD or DicomVR.OF or DicomVR.OL or DicomVR.OV or DicomVR.OW or DicomVR.SQ or DicomVR.UC
            or DicomVR.UN or DicomVR.UR or DicomVR.UT or DicomVR.SV or DicomVR.UV => true,
        _ => false,
    };

    /// <summary>VRs whose value is a character string.</summary>
    public static bool IsString(this DicomVR vr) => vr switch
    {
        DicomVR.AE or DicomVR.AS or DicomVR.CS or DicomVR.DA or DicomVR.DS or DicomVR.DT or DicomVR.IS or DicomVR.LO
            or DicomVR.LT or DicomVR.PN or DicomVR.SH or DicomVR.ST or DicomVR.TM or DicomVR.UC or DicomVR.UI
            or DicomVR.UR or DicomVR.UT => true,
        _ => false,
    };

    /// <summary>String VRs whose characters come from the Specific Character Set (PS3.5 §6.1.2.3); the rest are the default repertoire.</summary>
    public static bool UsesSpecificCharacterSet(this DicomVR vr) => vr switch
    {
        DicomVR.LO or DicomVR.LT or DicomVR.PN or DicomVR.SH or DicomVR.ST or DicomVR.UC or DicomVR.UT => true,
        _ => false,
    };

    /// <summary>String VRs that hold one value only (backslash is not a delimiter), PS3.5 §6.2.</summary>
    public static bool IsSingleValuedText(this DicomVR vr) => vr is DicomVR.LT or DicomVR.ST or DicomVR.UT or DicomVR.UR;

    /// <summary>Size in bytes of one binary value, or 0 for strings, SQ, OB/UN bytes.</summary>
    public static int BinaryValueSize(this DicomVR vr) => vr switch
    {
        DicomVR.AT => 4,
        DicomVR.FD or DicomVR.OD or DicomVR.SV or DicomVR.UV or DicomVR.OV => 8,
        DicomVR.FL or DicomVR.OF or DicomVR.SL or DicomVR.UL or DicomVR.OL => 4,
        DicomVR.SS or DicomVR.US or DicomVR.OW => 2,
        _ => 0,
    };

    /// <summary>Unit of byte swapping between little and big endian (PS3.5 §7.3); 1 means none.</summary>
    public static int SwapUnit(this DicomVR vr) => vr switch
    {
        DicomVR.AT => 2,
        _ => Math.Max(1, vr.BinaryValueSize()),
    };

    /// <summary>Padding byte to reach an even length (PS3.5 §6.2): NUL for UI and binary, space for other strings.</summary>
    public static byte PaddingByte(this DicomVR vr) => vr.IsString() && vr != DicomVR.UI ? (byte)' ' : (byte)0;

    /// <summary>Maximum length of one value in characters (strings) or bytes (fixed binary), PS3.5 Table 6.2-1; 0 means unbounded here.</summary>
    public static int MaxValueLength(this DicomVR vr) => vr switch
    {
        DicomVR.AE => 16, DicomVR.AS => 4, DicomVR.CS => 16, DicomVR.DA => 8, DicomVR.DS => 16, DicomVR.DT => 26,
        DicomVR.IS => 12, DicomVR.LO => 64, DicomVR.LT => 10240, DicomVR.PN => 64 * 3 + 2, DicomVR.SH => 16,
        DicomVR.ST => 1024, DicomVR.TM => 14, DicomVR.UI => 64,
        _ => 0,
    };
}
