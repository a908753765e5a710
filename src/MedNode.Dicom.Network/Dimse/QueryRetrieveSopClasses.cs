namespace MedNode.Dicom.Network.Dimse;

/// <summary>The Query/Retrieve information models MedNode serves and uses (PS3.4 C.6.1 Patient Root, C.6.2 Study Root).</summary>
public static class QueryRetrieveSopClasses
{
    public const string PatientRootFind = DicomUids.PatientRootQueryRetrieveInformationModelFind;
    public const string PatientRootMove = DicomUids.PatientRootQueryRetrieveInformationModelMove;
    public const string PatientRootGet = DicomUids.PatientRootQueryRetrieveInformationModelGet;
    public const string StudyRootFind = DicomUids.StudyRootQueryRetrieveInformationModelFind;
    public const string StudyRootMove = DicomUids.StudyRootQueryRetrieveInformationModelMove;
    public const string StudyRootGet = DicomUids.StudyRootQueryRetrieveInformationModelGet;

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        PatientRootFind, PatientRootMove, PatientRootGet, StudyRootFind, StudyRootMove, StudyRootGet,
    };

    public static bool IsStudyRoot(string sopClassUid) => sopClassUid is StudyRootFind or StudyRootMove or StudyRootGet;
}
