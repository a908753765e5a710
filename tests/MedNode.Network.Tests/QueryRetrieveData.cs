using System.Text;
using MedNode.TestSupport;

namespace MedNode.Network.Tests;

/// <summary>
/// Six instances written by DCMTK's dump2dcm (Explicit VR Little Endian) from the rows below, so that every expected
/// match in the Query/Retrieve tests follows from this table, not from MedNode's matcher.
/// </summary>
internal sealed class QueryRetrieveData : IDisposable
{
    public const string Root = "1.2.826.0.1.3680043.10.1137";
    public const string S1 = Root + ".1", S2 = Root + ".2", S3 = Root + ".3", S4 = Root + ".4";
    public const string Se11 = S1 + ".1", Se21 = S2 + ".1", Se31 = S3 + ".1", Se32 = S3 + ".2", Se41 = S4 + ".1";
    public const string I1 = Se11 + ".1", I2 = Se11 + ".2", I3 = Se21 + ".1", I4 = Se31 + ".1", I5 = Se32 + ".1", I6 = Se41 + ".1";
    public const string CtImage = "1.2.840.10008.5.1.4.1.1.2", MrImage = "1.2.840.10008.5.1.4.1.1.4";

    /// <summary>Patient ID, name (Latin-1 for P3), birth date, study, date, series, modality, instance, SOP class.</summary>
    public static readonly (string PatientId, string Name, string Birth, string Study, string Date, string Series, string Modality, string Sop, string SopClass)[] Rows =
    [
        ("P1", "DOE^JOHN", "19700101", S1, "20200115", Se11, "CT", I1, CtImage),
        ("P1", "DOE^JOHN", "19700101", S1, "20200115", Se11, "CT", I2, CtImage),
        ("P1", "DOE^JOHN", "19700101", S2, "20210610", Se21, "MR", I3, MrImage),
        ("P2", "ROE^JANE", "19800202", S3, "20220301", Se31, "CT", I4, CtImage),
        ("P2", "ROE^JANE", "19800202", S3, "20220301", Se32, "CT", I5, CtImage),
        ("P3", "MÜLLER^HANS", "19900303", S4, "20230404", Se41, "MR", I6, MrImage),
    ];

    private readonly TempDir _dir = new("mednode-qr-data-");

    public QueryRetrieveData()
    {
        var latin1 = Encoding.Latin1;
        foreach (var r in Rows)
        {
            var dump = new StringBuilder();
            if (r.PatientId == "P3") dump.AppendLine("(0008,0005) CS [ISO_IR 100]");
            dump.AppendLine($"(0008,0016) UI [{r.SopClass}]");
            dump.AppendLine($"(0008,0018) UI [{r.Sop}]");
            dump.AppendLine($"(0008,0020) DA [{r.Date}]");
            dump.AppendLine("(0008,0030) TM [101500]");
            dump.AppendLine($"(0008,0050) SH [ACC{r.Study[^1]}]");
            dump.AppendLine($"(0008,0060) CS [{r.Modality}]");
            dump.AppendLine($"(0010,0010) PN [{r.Name}]");
            dump.AppendLine($"(0010,0020) LO [{r.PatientId}]");
            dump.AppendLine($"(0010,0030) DA [{r.Birth}]");
            dump.AppendLine("(0010,0040) CS [O]");
            dump.AppendLine($"(0020,000d) UI [{r.Study}]");
            dump.AppendLine($"(0020,000e) UI [{r.Series}]");
            dump.AppendLine("(0020,0010) SH [1]");
            dump.AppendLine($"(0020,0011) IS [{r.Series[^1]}]");
            dump.AppendLine($"(0020,0013) IS [{r.Sop[^1]}]");
            var dumpFile = _dir.File(r.Sop + ".txt");
            File.WriteAllBytes(dumpFile, latin1.GetBytes(dump.ToString()));
            var result = Tools.Run("dump2dcm", ["+te", dumpFile, PathOf(r.Sop)], TimeSpan.FromSeconds(60));
            result.ExitCode.Should().Be(0, result.StdErr);
        }
    }

    public string PathOf(string sopInstanceUid) => _dir.File(sopInstanceUid + ".dcm");

    public IEnumerable<string> AllFiles => Rows.Select(r => PathOf(r.Sop));

    /// <summary>Stores every instance into a node with DCMTK's storescu.</summary>
    public void StoreInto(TestNode node)
    {
        var r = Dcmtk.Storescu(node.Port, [], [.. AllFiles]);
        r.ExitCode.Should().Be(0, r.StdErr);
        node.WaitIdle();
        node.Index.All.Should().HaveCount(Rows.Length);
    }

    public void Dispose() => _dir.Dispose();
}
