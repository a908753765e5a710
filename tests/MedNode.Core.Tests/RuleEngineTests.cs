using MedNode.Core.Rules;
using MedNode.Dicom;

namespace MedNode.Core.Tests;

public class RuleEngineTests
{
    private static RuleSubject Ct(string description = "Chest 1.0 mm", string bodyPart = "CHEST", int slices = 120, string calling = "PACS")
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.Modality, DicomVR.CS, "CT");
        ds.AddOrUpdate(DicomTags.BodyPartExamined, DicomVR.CS, bodyPart);
        ds.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.2");
        ds.AddOrUpdate(DicomTags.SeriesDescription, DicomVR.LO, description);
        ds.AddOrUpdate(DicomTags.InstitutionName, DicomVR.LO, "General Hospital");
        return new RuleSubject(ds, calling, "MEDNODE", slices);
    }

    private static RoutingRule Analyze(string name, Action<RuleMatch> match) 
    {
        var rule = new RoutingRule { Name = name, Action = new RuleAction { Kind = RuleActionKind.Analyze, Model = "phantom-lesion" } };
        match(rule.Match);
        return rule;
    }

    [Fact]
    public void Evaluate_FirstMatchingRuleFires_LaterOnesAreStillExplained()
    {
        var engine = RuleEngine.Create([
            Analyze("mr-only", m => m.Modalities.Add("MR")),
            Analyze("thin-chest-ct", m => { m.Modalities.Add("CT"); m.SeriesDescription = "*1.0 mm"; m.MinSlices = 100; }),
            Analyze("any-ct", m => m.Modalities.Add("CT")),
        ]);
        var decision = engine.Evaluate(Ct());
        decision.Rule!.Name.Should().Be("thin-chest-ct");
        decision.Analyze.Should().BeTrue();
        decision.Evaluations.Select(e => e.Matched).Should().Equal(false, true, true);
        decision.Evaluations[0].Checks.Single().Detail.Should().Contain("'CT' is not one of [MR]");
    }

    [Theory]
    [InlineData("Chest 5.0 mm", 120, "SeriesDescription")]
    [InlineData("Chest 1.0 mm", 40, "MinSlices")]
    public void Evaluate_OneConditionFails_RuleDoesNotFireAndTheFailureIsNamed(string description, int slices, string failing)
    {
        var engine = RuleEngine.Create([Analyze("thin", m => { m.SeriesDescription = "*1.0 mm"; m.MinSlices = 100; })]);
        var decision = engine.Evaluate(Ct(description, slices: slices));
        decision.Rule.Should().BeNull();
        decision.Evaluations.Single().Checks.Where(c => !c.Passed).Select(c => c.Condition).Should().Equal(failing);
    }

    [Fact]
    public void Evaluate_TagConditionByKeywordAndByNumber_BothWork()
    {
        var engine = RuleEngine.Create([
            Analyze("by-keyword", m => m.Tags["InstitutionName"] = "general*"),
            Analyze("by-number", m => m.Tags["00080080"] = "re:^General Hosp"),
        ]);
        var decision = engine.Evaluate(Ct());
        decision.Evaluations.Should().OnlyContain(e => e.Matched);
    }

    [Fact]
    public void Evaluate_DisabledRuleAndIgnoreAction_AreHonoured()
    {
        var disabled = Analyze("off", m => m.Modalities.Add("CT"));
        disabled.Enabled = false;
        var ignore = new RoutingRule { Name = "ignore-scouts", Match = new RuleMatch { SeriesDescription = "*" }, Action = new RuleAction { Kind = RuleActionKind.Ignore } };
        var decision = RuleEngine.Create([disabled, ignore]).Evaluate(Ct());
        decision.Rule!.Name.Should().Be("ignore-scouts");
        decision.Analyze.Should().BeFalse();
        decision.Evaluations[0].Matched.Should().BeFalse();
    }

    [Fact]
    public void Evaluate_CallingAeWhitelist_ComparesCaseInsensitively()
    {
        var engine = RuleEngine.Create([Analyze("from-pacs", m => m.CallingAeTitles.Add("pacs"))]);
        engine.Evaluate(Ct(calling: "PACS")).Rule.Should().NotBeNull();
        engine.Evaluate(Ct(calling: "MODALITY1")).Rule.Should().BeNull();
    }

    [Fact]
    public void Create_BadRules_ThrowsWithEveryProblemAndNothingApplied()
    {
        var bad = new List<RoutingRule>
        {
            Analyze("a", m => m.SeriesDescription = "re:([unclosed"),
            Analyze("a", m => m.Tags["NoSuchKeyword"] = "x"),
            new() { Name = "", Action = new RuleAction { Kind = RuleActionKind.Analyze } },
        };
        bad[0].Action.Destinations.Add(new RuleDestination { Name = "nowhere" });
        var errors = RuleEngine.Validate(bad, knownDestinations: new HashSet<string> { "orthanc" });
        errors.Should().Contain(e => e.Contains("SeriesDescription") && e.Contains("not a valid pattern"));
        errors.Should().Contain(e => e.Contains("used by another rule"));
        errors.Should().Contain(e => e.Contains("NoSuchKeyword"));
        errors.Should().Contain(e => e.Contains("Name is required"));
        errors.Should().Contain(e => e.Contains("needs a Model"));
        errors.Should().Contain(e => e.Contains("'nowhere' is not configured"));
        var act = () => RuleEngine.Create(bad);
        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("CT*", "CT ABDOMEN", true)]
    [InlineData("CT?", "CT1", true)]
    [InlineData("CT?", "CT12", false)]
    [InlineData("a.b", "axb", false)]
    [InlineData("*[x]*", "has [x] in it", true)]
    public void Pattern_Wildcards_FollowDicomSemantics(string pattern, string value, bool expected) =>
        RulePattern.Create(pattern).IsMatch(value).Should().Be(expected);
}
