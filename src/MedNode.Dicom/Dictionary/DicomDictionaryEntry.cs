namespace MedNode.Dicom;

/// <summary>One row of the PS3.6 data dictionary.</summary>
/// <param name="Tag">The tag; for a repeating group (50xx, 60xx, 7Fxx) or range, the lowest member with <paramref name="Mask"/> set.</param>
/// <param name="Mask">Bits of the tag value that must match; 0xFFFFFFFF for an ordinary tag.</param>
/// <param name="Keyword">The keyword of PS3.6, e.g. <c>PatientName</c>.</param>
/// <param name="Name">The attribute name, e.g. "Patient's Name".</param>
/// <param name="VRs">Allowed VRs in the order PS3.6 gives them (e.g. US then SS for "US or SS"); empty where PS3.6 names none.</param>
/// <param name="VM">Value multiplicity as printed, e.g. "1", "1-n", "2-2n".</param>
/// <param name="IsRetired">PS3.6 marks it retired.</param>
public sealed record DicomDictionaryEntry(DicomTag Tag, uint Mask, string Keyword, string Name, IReadOnlyList<DicomVR> VRs, string VM, bool IsRetired)
{
    /// <summary>The VR to use when the transfer syntax does not say (implicit VR): the first one PS3.6 lists, or UN.</summary>
    public DicomVR DefaultVR => VRs.Count > 0 ? VRs[0] : DicomVR.UN;
}
