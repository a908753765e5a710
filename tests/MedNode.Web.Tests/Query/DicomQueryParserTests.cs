using MedNode.Core.Query;
using MedNode.Dicom;

namespace MedNode.Web.Tests.Query;

public sealed class DicomQueryParserTests
{
    private static DicomQuery Qido(params (string Key, string Value)[] p) =>
        DicomQueryParser.FromQido(QueryLevel.Study, p.Select(x => new KeyValuePair<string, IReadOnlyList<string>>(x.Key, [x.Value])));

    [Theory, Trait("Conformance", "PS3.18 8.3.4")]
    [InlineData("NoSuchKeyword", "x")]
    [InlineData("StudyDate", "20201301")]
    [InlineData("StudyDate", "2020-01-01")]
    [InlineData("StudyDate", "20201231-20200101")]
    [InlineData("StudyTime", "2500")]
    [InlineData("StudyInstanceUID", "1.2.abc")]
    [InlineData("SeriesNumber", "1*")]
    [InlineData("limit", "-1")]
    [InlineData("offset", "ten")]
    [InlineData("fuzzymatching", "maybe")]
    [InlineData("includefield", "NotAnAttribute")]
    [InlineData("PixelData", "x")]
    [InlineData("StudyDescription.CodeValue", "x")]
    [InlineData("ProcedureCodeSequence.NoSuchKeyword", "x")]
    [InlineData("RequestAttributesSequence.ReferencedStudySequence.ReferencedSOPInstanceUID", "1.2")]
    [InlineData("RequestAttributesSequence.ReferencedStudySequence", "")]
    public void FromQido_BadInput_ThrowsQueryParseException(string key, string value) =>
        FluentActions.Invoking(() => Qido((key, value))).Should().Throw<QueryParseException>().Which.Message.Should().NotBeNullOrWhiteSpace();

    [Fact, Trait("Conformance", "PS3.18 8.3.4.1")]
    public void FromQido_TagAndKeyword_ResolveToSameAttribute()
    {
        Qido(("00100020", "P1")).MatchingKeys.Should().ContainSingle().Which.Tag.Should().Be(DicomTags.PatientID);
        Qido(("PatientID", "P1")).MatchingKeys.Should().ContainSingle().Which.Tag.Should().Be(DicomTags.PatientID);
    }

    [Fact, Trait("Conformance", "PS3.18 8.3.4.3")]
    public void FromQido_IncludeFieldRepeatedAndCommaSeparated_CollectsAll()
    {
        var q = DicomQueryParser.FromQido(QueryLevel.Study, [new("includefield", ["00081030,00080060", "StudyDescription", "all"])]);
        q.ReturnKeys.Should().Equal(new DicomTag(0x0008, 0x1030), new DicomTag(0x0008, 0x0060), new DicomTag(0x0008, 0x1030));
        q.IncludeAll.Should().BeTrue();
    }

    [Fact, Trait("Conformance", "PS3.18 8.3.4")]
    public void FromQido_PagingAndFuzzy_AreRead()
    {
        var q = Qido(("limit", "5"), ("offset", "10"), ("fuzzymatching", "true"));
        (q.Limit, q.Offset, q.FuzzyMatching).Should().Be((5, 10, true));
    }

    [Theory, Trait("Conformance", "PS3.4 C.2.2.2")]
    [InlineData("PatientName", "", MatchKind.Universal)]
    [InlineData("PatientName", "*", MatchKind.Universal)]
    [InlineData("PatientName", "DOE^JOHN", MatchKind.SingleValue)]
    [InlineData("PatientName", "DO?*", MatchKind.Wildcard)]
    [InlineData("StudyInstanceUID", "1.2\\1.3", MatchKind.UidList)]
    [InlineData("StudyDate", "20200101-", MatchKind.Range)]
    [InlineData("StudyTime", "-1200", MatchKind.Range)]
    [InlineData("StudyDate", "20200101", MatchKind.SingleValue)]
    public void FromDataset_KeyValue_ChoosesMatchingKind(string keyword, string value, MatchKind kind)
    {
        var tag = DicomDictionary.Find(keyword)!.Tag;
        var ds = new DicomDataset().AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        // Raw bytes: query ranges and UID lists are longer than a stored DA/UI value may be (PS3.5 Table 6.2-1 notes).
        ds.AddOrUpdate(tag, DicomDictionary.Find(keyword)!.DefaultVR, System.Text.Encoding.ASCII.GetBytes(value));
        var q = DicomQueryParser.FromDataset(ds);
        q.Level.Should().Be(QueryLevel.Study);
        q.ReturnKeys.Should().Contain(tag);
        if (kind == MatchKind.Universal) q.MatchingKeys.Should().BeEmpty();
        else q.MatchingKeys.Should().ContainSingle().Which.Kind.Should().Be(kind);
    }

    [Fact, Trait("Conformance", "PS3.4 C.4.1.1.3")]
    public void FromDataset_MissingOrBadLevel_Throws()
    {
        FluentActions.Invoking(() => DicomQueryParser.FromDataset(new DicomDataset())).Should().Throw<QueryParseException>();
        FluentActions.Invoking(() => DicomQueryParser.FromDataset(new DicomDataset().AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, "FRAME")))
            .Should().Throw<QueryParseException>();
    }

    [Theory, Trait("Conformance", "PS3.4 C.2.2.2.4")]
    [InlineData("D*E", "DOE", true)]
    [InlineData("D*E", "DOES", false)]
    [InlineData("*", "", true)]
    [InlineData("?", "", false)]
    [InlineData("A?C*", "ABCDEF", true)]
    [InlineData("*X*", "ABC", false)]
    public void WildcardMatch_Pattern_MatchesPerStandard(string pattern, string value, bool expected) =>
        QueryMatcher.WildcardMatch(pattern, value).Should().Be(expected);

    [Fact, Trait("Conformance", "PS3.4 C.2.2.2.6")]
    public void FromDataset_SequenceKeyWithTwoItems_Throws()
    {
        var item = new DicomDataset().AddOrUpdate(DicomTags.RequestedProcedureID, "RP1");
        var identifier = new DicomDataset().AddOrUpdate(DicomTags.QueryRetrieveLevel, "SERIES")
            .AddOrUpdate(DicomTags.RequestAttributesSequence, item, item.Clone());
        FluentActions.Invoking(() => DicomQueryParser.FromDataset(identifier)).Should().Throw<QueryParseException>().WithMessage("*single item*");
    }

    [Fact, Trait("Conformance", "PS3.18 8.3.4.1, PS3.4 C.2.2.2.6")]
    public void FromQido_KeysInOneSequence_AreItemKeysOfOneSequenceKey()
    {
        var q = Qido(("RequestAttributesSequence.RequestedProcedureID", "RP*"), ("00400275.00400009", "SPS1"));
        var key = q.SequenceKeys.Should().ContainSingle().Subject;
        key.Tag.Should().Be(DicomTags.RequestAttributesSequence);
        key.ItemKeys.Select(k => (k.Tag, k.Kind)).Should().BeEquivalentTo([(DicomTags.RequestedProcedureID, MatchKind.Wildcard), (DicomTags.ScheduledProcedureStepID, MatchKind.SingleValue)]);
        q.MatchingKeys.Should().BeEmpty();
    }
}
