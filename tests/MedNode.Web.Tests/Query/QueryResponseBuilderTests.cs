using MedNode.Core.Query;
using MedNode.Dicom;

namespace MedNode.Web.Tests.Query;

public sealed class QueryResponseBuilderTests
{
    private static readonly QueryMatch Match = new(QueryLevel.Study, Records.Archive[0], ["CT", "SEG"], 3, 4, 2, 1);

    [Fact, Trait("Conformance", "PS3.18 Table 10.6.3-3")]
    public void BuildQido_StudyLevel_HoldsDefaultAttributesAndRetrieveUrl()
    {
        var q = new DicomQuery { Level = QueryLevel.Study };
        var ds = QueryResponseBuilder.BuildQido(Match, QueryResponseBuilder.QidoAttributes(q, false), "http://h/dicomweb/studies/1.1");
        ds.GetString(DicomTags.StudyInstanceUID).Should().Be("1.1");
        ds.GetString(DicomTags.PatientID).Should().Be("P1");
        ds.GetStrings(DicomTags.ModalitiesInStudy).Should().Equal("CT", "SEG");
        ds.GetInt(DicomTags.NumberOfStudyRelatedSeries).Should().Be(3);
        ds.GetInt(DicomTags.NumberOfStudyRelatedInstances).Should().Be(4);
        ds.GetString(DicomTags.RetrieveURL).Should().Be("http://h/dicomweb/studies/1.1");
        ds.Contains(DicomTags.SeriesInstanceUID).Should().BeFalse();
    }

    [Fact, Trait("Conformance", "PS3.18 10.6.3.3.1")]
    public void QidoAttributes_AllSeries_IncludeStudyDefaults()
    {
        var q = new DicomQuery { Level = QueryLevel.Series };
        QueryResponseBuilder.QidoAttributes(q, true).Should().Contain([DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.Modality]);
        QueryResponseBuilder.QidoAttributes(q, false).Should().NotContain(DicomTags.StudyInstanceUID);
    }

    [Fact, Trait("Conformance", "PS3.4 C.4.1.1.3.2")]
    public void BuildCFind_ReturnsExactlyRequestedKeys()
    {
        var identifier = new DicomDataset().AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY")
            .AddOrUpdate(DicomTags.PatientName, DicomVR.PN, "DOE*").AddOrUpdate(DicomTags.StudyDescription, DicomVR.LO, Array.Empty<string>());
        var q = DicomQueryParser.FromDataset(identifier);
        var ds = QueryResponseBuilder.BuildCFind(q, Match);
        ds.Select(i => i.Tag).Should().Equal(DicomTags.QueryRetrieveLevel, DicomTags.StudyDescription, DicomTags.PatientName);
        ds.GetString(DicomTags.PatientName).Should().Be("DOE^JOHN");
        ds.GetString(DicomTags.QueryRetrieveLevel).Should().Be("STUDY");
    }
}
