namespace MedNode.Dicom;

/// <summary>A PN value: up to three component groups (alphabetic, ideographic, phonetic), each with five components (PS3.5 §6.2.1).</summary>
public sealed record DicomPersonName(string Alphabetic, string Ideographic, string Phonetic)
{
    public static DicomPersonName Parse(string value)
    {
        var g = value.Split('=');
        return new DicomPersonName(g.Length > 0 ? g[0] : "", g.Length > 1 ? g[1] : "", g.Length > 2 ? g[2] : "");
    }

    /// <summary>Family, given, middle, prefix, suffix of the alphabetic group.</summary>
    public string[] Components => (Alphabetic + "^^^^").Split('^')[..5];

    public string FamilyName => Components[0];
    public string GivenName => Components[1];

    public override string ToString()
    {
        if (Phonetic.Length > 0) return $"{Alphabetic}={Ideographic}={Phonetic}";
        if (Ideographic.Length > 0) return $"{Alphabetic}={Ideographic}";
        return Alphabetic;
    }
}
