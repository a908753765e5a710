using MedNode.Core.Index;

namespace MedNode.Web.Tests.Query;

/// <summary>A small synthetic archive whose matches are known by construction.</summary>
internal static class Records
{
    public static InstanceRecord Make(string sop, string series, string study, string patientId = "P1", string name = "DOE^JOHN",
        string date = "20200615", string time = "113000", string modality = "CT", string accession = "A1") => new()
    {
        SopInstanceUid = sop, SopClassUid = "1.2.840.10008.5.1.4.1.1.2", SeriesInstanceUid = series, StudyInstanceUid = study,
        PatientId = patientId, PatientName = name, StudyDate = date, StudyTime = time, Modality = modality,
        AccessionNumber = accession, TransferSyntaxUid = "1.2.840.10008.1.2.1", BlobKey = "k/" + sop, InstanceNumber = sop[^1..],
        ReceivedAt = DateTimeOffset.UnixEpoch,
    };

    /// <summary>Study 1.1 (CT two series + SEG), 1.2 (MR), 1.3 (CT, 2019), 1.4 (patient "A_1", "A%1" ids).</summary>
    public static IReadOnlyList<InstanceRecord> Archive { get; } =
    [
        Make("1.1.1.1", "1.1.1", "1.1", name: "DOE^JOHN", date: "20200615", time: "113000"),
        Make("1.1.1.2", "1.1.1", "1.1", name: "DOE^JOHN", date: "20200615", time: "113000"),
        Make("1.1.2.1", "1.1.2", "1.1", name: "DOE^JOHN", date: "20200615", time: "113000"),
        Make("1.1.3.1", "1.1.3", "1.1", name: "DOE^JOHN", date: "20200615", time: "113000", modality: "SEG"),
        Make("1.2.1.1", "1.2.1", "1.2", patientId: "P2", name: "DOE^JANE", date: "20201231", time: "093000", modality: "MR", accession: "A2"),
        Make("1.3.1.1", "1.3.1", "1.3", patientId: "p1", name: "SMITH^ANNA", date: "20191231", time: "123000", accession: "A3"),
        Make("1.4.1.1", "1.4.1", "1.4", patientId: "A_1", name: "O'NEIL^PAT", date: "20210101", time: "000000", modality: "MR", accession: "A%4"),
    ];
}
