// PLACEHOLDER: replaced by tools/DictionaryGenerator output.
namespace MedNode.Dicom;

internal static class DicomDictionaryData
{
    public static readonly DicomDictionaryEntry[] Entries =
    [
        new(new DicomTag(0x0002, 0x0010), 0xFFFFFFFF, "TransferSyntaxUID", "Transfer Syntax UID", [DicomVR.UI], "1", false),
        new(new DicomTag(0x0008, 0x0005), 0xFFFFFFFF, "SpecificCharacterSet", "Specific Character Set", [DicomVR.CS], "1-n", false),
        new(new DicomTag(0x0010, 0x0010), 0xFFFFFFFF, "PatientName", "Patient's Name", [DicomVR.PN], "1", false),
        new(new DicomTag(0x0028, 0x0010), 0xFFFFFFFF, "Rows", "Rows", [DicomVR.US], "1", false),
        new(new DicomTag(0x7FE0, 0x0010), 0xFFFFFFFF, "PixelData", "Pixel Data", [DicomVR.OB, DicomVR.OW], "1", false),
    ];
}
