using System.Globalization;

namespace MedNode.Dicom.Objects.Segmentation;

/// <summary>
/// sRGB to the DICOM encoding of CIELab (PS3.3 C.10.7.1.1): L* 0..100 → 0..65535, a* and b* −128..127 → 0..65535,
/// relative to the D50 illuminant of the ICC Profile Connection Space. sRGB's native white is D65, so XYZ is adapted to
/// D50 with the linear Bradford transform, as DCMTK's cielabutil and highdicom do.
/// </summary>
public static class CieLab
{
    // D50 from its CIE x,y chromaticities (0.3457, 0.3585), as DCMTK and CSS Color 4 use.
    private const double WhiteX = 0.3457 / 0.3585, WhiteZ = (1.0 - 0.3457 - 0.3585) / 0.3585;

    /// <summary>Recommended Display CIELab Value for a colour written "#RRGGBB".</summary>
    public static ushort[] FromHexRgb(string hex)
    {
        if (hex is not { Length: 7 } || hex[0] != '#' || !int.TryParse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb))
            throw new FormatException($"'{hex}' is not a colour of the form #RRGGBB");
        return FromSrgb((rgb >> 16 & 0xFF) / 255.0, (rgb >> 8 & 0xFF) / 255.0, (rgb & 0xFF) / 255.0);
    }

    /// <summary>Recommended Display CIELab Value for sRGB components in 0..1.</summary>
    public static ushort[] FromSrgb(double red, double green, double blue)
    {
        double r = Linear(red), g = Linear(green), b = Linear(blue);
        // Linear sRGB to XYZ (D65), IEC 61966-2-1.
        double x65 = 0.4123907992659595 * r + 0.35758433938387796 * g + 0.1804807884018343 * b;
        double y65 = 0.21263900587151036 * r + 0.7151686787677559 * g + 0.07219231536073371 * b;
        double z65 = 0.01933081871559185 * r + 0.11919477979462599 * g + 0.9505321522496606 * b;
        // D65 → D50, linear Bradford.
        double x = 1.0479297925449969 * x65 + 0.022946870601609652 * y65 - 0.05019226628920524 * z65;
        double y = 0.02962780877005599 * x65 + 0.9904344267538799 * y65 - 0.017073799063418826 * z65;
        double z = -0.009243040646204504 * x65 + 0.015055191490298152 * y65 + 0.7518742814281371 * z65;
        double fx = F(x / WhiteX), fy = F(y), fz = F(z / WhiteZ);
        double l = 116 * fy - 16, a = 500 * (fx - fy), bb = 200 * (fy - fz);
        return [Scale(l * 65535.0 / 100.0), Scale((a + 128) * 65535.0 / 255.0), Scale((bb + 128) * 65535.0 / 255.0)];
    }

    private static double Linear(double c) => c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);

    private static double F(double t) => t > 216.0 / 24389.0 ? Math.Cbrt(t) : (24389.0 / 27.0 * t + 16) / 116;

    private static ushort Scale(double v) => (ushort)Math.Clamp(Math.Round(v), 0, 65535);
}
