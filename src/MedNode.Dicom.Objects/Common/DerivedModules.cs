using System.Globalization;

namespace MedNode.Dicom.Objects.Common;

/// <summary>
/// Modules a derived object takes from its source or fills in for MedNode: Patient (PS3.3 C.7.1.1), General Study
/// (C.7.2.1), Patient Study (C.7.2.2), General Equipment (C.7.5.1), Enhanced General Equipment (C.7.5.2) and SOP Common (C.12.1).
/// </summary>
internal static class DerivedModules
{
    public const string Manufacturer = "MedNode";

    /// <summary>Type 2 attributes of the Patient and General Study modules: copied, or written empty.</summary>
    private static readonly DicomTag[] Type2 =
    [
        DicomTags.PatientName, DicomTags.PatientID, DicomTags.PatientBirthDate, DicomTags.PatientSex,
        DicomTags.StudyDate, DicomTags.StudyTime, DicomTags.ReferringPhysicianName, DicomTags.StudyID, DicomTags.AccessionNumber,
    ];

    /// <summary>Optional attributes copied when present.</summary>
    private static readonly DicomTag[] Optional =
    [
        DicomTags.SpecificCharacterSet, DicomTags.IssuerOfPatientID, DicomTags.OtherPatientIDsSequence, DicomTags.PatientAge, DicomTags.PatientWeight,
        DicomTags.PatientSize, DicomTags.StudyDescription, DicomTags.PatientIdentityRemoved, DicomTags.DeidentificationMethod,
    ];

    public static void CopyPatientAndStudy(DicomDataset source, DicomDataset target)
    {
        // The character set first, so that later strings are encoded in it.
        foreach (var tag in Optional) if (source[tag] is { } item) target.Add(item is DicomSequence s ? Clone(s) : item);
        foreach (var tag in Type2)
        {
            if (source[tag] is { } item) target.Add(item);
            else target.Add(new DicomElement(tag, DicomDictionary.ImplicitVR(tag), Buffers.MemoryByteBuffer.Empty));
        }
        target.AddOrUpdate(DicomTags.StudyInstanceUID, DicomVR.UI, source.GetString(DicomTags.StudyInstanceUID)
            ?? throw new Segmentation.ResultGeometryException("the source image has no Study Instance UID"));
    }

    private static DicomSequence Clone(DicomSequence s) => new(s.Tag, s.Items.Select(i => i.Clone()));

    public static void AddEquipment(DicomDataset target, string deviceSerialNumber)
    {
        target.AddOrUpdate(DicomTags.Manufacturer, DicomVR.LO, Manufacturer);
        target.AddOrUpdate(DicomTags.ManufacturerModelName, DicomVR.LO, "MedNode");
        target.AddOrUpdate(DicomTags.DeviceSerialNumber, DicomVR.LO, deviceSerialNumber);
        target.AddOrUpdate(DicomTags.SoftwareVersions, DicomVR.LO, DicomImplementation.ProductVersion);
    }

    public static void AddSopCommon(DicomDataset target, string sopClassUid, string sopInstanceUid, DateTimeOffset now)
    {
        target.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, sopClassUid);
        target.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, sopInstanceUid);
        target.AddOrUpdate(DicomTags.InstanceCreationDate, DicomVR.DA, Date(now));
        target.AddOrUpdate(DicomTags.InstanceCreationTime, DicomVR.TM, Time(now));
        target.AddOrUpdate(DicomTags.InstanceCreatorUID, DicomVR.UI, DicomImplementation.ClassUid);
    }

    public static string Date(DateTimeOffset t) => t.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset t) => t.ToString("HHmmss", CultureInfo.InvariantCulture);

    public static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
}
