using MedNode.Dicom.Buffers;

namespace MedNode.Dicom.Tests;

public class DatasetTests
{
    [Fact]
    public void AddOrUpdate_StringValues_PaddedToEvenAndSplitBack()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.ImageType, "ORIGINAL", "PRIMARY", "AXIAL");
        var e = (DicomElement)ds[DicomTags.ImageType]!;
        (e.Length % 2).Should().Be(0);
        ds.GetStrings(DicomTags.ImageType).Should().Equal("ORIGINAL", "PRIMARY", "AXIAL");
    }

    [Fact]
    public void AddOrUpdate_UidOddLength_PaddedWithNul()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SOPInstanceUID, "1.2.3");
        var bytes = ds.GetBytes(DicomTags.SOPInstanceUID).ToArray();
        bytes.Should().Equal((byte)'1', (byte)'.', (byte)'2', (byte)'.', (byte)'3', (byte)0);
        ds.GetString(DicomTags.SOPInstanceUID).Should().Be("1.2.3");
    }

    [Theory]
    [InlineData("CS", "lower")]
    [InlineData("CS", "WAY TOO LONG FOR A CODE STRING")]
    [InlineData("UI", "1.2.x")]
    [InlineData("UI", "1..2")]
    [InlineData("DA", "2024-01-01")]
    [InlineData("DA", "20241301")]
    [InlineData("TM", "256000")]
    [InlineData("DS", "abc")]
    [InlineData("IS", "3000000000")]
    [InlineData("AS", "12Y")]
    [InlineData("SH", "this short string is far too long")]
    [InlineData("LO", "a\\b")]
    [Trait("Conformance", "PS3.5 6.2")]
    public void AddOrUpdate_InvalidForVR_Throws(string vr, string value)
    {
        var act = () => new DicomDataset().AddOrUpdate(new DicomTag(0x0009, 0x1010), DicomVRInfo.Parse(vr), value);
        act.Should().Throw<DicomValueException>().WithMessage("*invalid*");
    }

    [Theory]
    [InlineData("CS", "ORIGINAL_1")]
    [InlineData("UI", "1.2.840.10008.1.1")]
    [InlineData("DA", "20241231")]
    [InlineData("TM", "235959.123456")]
    [InlineData("DS", "-1.5E3")]
    [InlineData("IS", "-2147483648")]
    [InlineData("AS", "045Y")]
    public void AddOrUpdate_ValidForVR_Accepted(string vr, string value)
    {
        var ds = new DicomDataset().AddOrUpdate(new DicomTag(0x0009, 0x1010), DicomVRInfo.Parse(vr), value);
        ds.GetString(new DicomTag(0x0009, 0x1010)).Should().Be(value);
    }

    [Fact]
    public void TypedAccess_DateTimeAndPersonName()
    {
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTags.StudyDate, "20240229")
            .AddOrUpdate(DicomTags.StudyTime, "134501.5")
            .AddOrUpdate(DicomTags.AcquisitionDateTime, "20240229134501.250000+0100")
            .AddOrUpdate(DicomTags.PatientName, "Doe^Jane^M^Dr^III");
        ds.GetDate(DicomTags.StudyDate).Should().Be(new DateOnly(2024, 2, 29));
        ds.GetTime(DicomTags.StudyTime).Should().Be(new TimeOnly(13, 45, 1, 500));
        ds.GetDateTime(DicomTags.AcquisitionDateTime).Should().Be(new DateTimeOffset(2024, 2, 29, 13, 45, 1, 250, TimeSpan.FromHours(1)));
        var pn = ds.GetPersonName(DicomTags.PatientName)!;
        pn.FamilyName.Should().Be("Doe");
        pn.GivenName.Should().Be("Jane");
        pn.Components.Should().Equal("Doe", "Jane", "M", "Dr", "III");
    }

    [Fact]
    public void TypedAccess_BinaryNumbersAndAttributeTags()
    {
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTags.Rows, (ushort)512)
            .AddOrUpdate(DicomTags.SmallestImagePixelValue, DicomVR.SS, -1024)
            .AddOrUpdate(DicomTags.ImagePositionPatient, DicomVR.DS, -158.1358, -179.0358, -75.7)
            .AddOrUpdate(DicomTags.FrameIncrementPointer, DicomTags.FrameTime);
        ds.GetInt(DicomTags.Rows).Should().Be(512);
        ds.GetInt(DicomTags.SmallestImagePixelValue).Should().Be(-1024);
        ds.GetDoubles(DicomTags.ImagePositionPatient).Should().Equal(-158.1358, -179.0358, -75.7);
        ds.GetTags(DicomTags.FrameIncrementPointer).Should().Equal(DicomTags.FrameTime);
        var act = () => ds.AddOrUpdate(DicomTags.Rows, DicomVR.US, 70000);
        act.Should().Throw<DicomValueException>();
    }

    [Fact]
    public void Sequences_ItemsInheritCharacterSetFromParent()
    {
        var item = new DicomDataset();
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        ds.AddOrUpdate(DicomTags.ReferencedStudySequence, item);
        item.AddOrUpdate(DicomTags.PatientName, "Müller^Jürgen");
        item.GetString(DicomTags.PatientName).Should().Be("Müller^Jürgen");
        item.GetBytes(DicomTags.PatientName).Length.Should().Be("Müller^Jürgen"u8.Length + 1);
    }

    [Fact]
    public void Dataset_KeepsTagOrder_WhatEverTheInsertOrder()
    {
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTags.PatientID, "2")
            .AddOrUpdate(DicomTags.Modality, "CT")
            .AddOrUpdate(DicomTags.PatientName, "A^B");
        ds.Select(i => i.Tag).Should().BeInAscendingOrder();
        ds.Remove(DicomTags.Modality).Should().BeTrue();
        ds.Contains(DicomTags.Modality).Should().BeFalse();
    }

    [Fact]
    public void Parse_HugeLengthOnTinyInput_FailsFastWithOffsetAndTag()
    {
        // (0010,0010) PN with a 4 GB length in implicit VR on a 16-byte buffer.
        byte[] bytes = [0x10, 0x00, 0x10, 0x00, 0xF0, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8];
        var act = () => DicomFile.ParseDataset(bytes, DicomTransferSyntax.ImplicitVRLittleEndian);
        var ex = act.Should().Throw<DicomParseException>().Which;
        ex.Offset.Should().Be(8);
        ex.Tag.Should().Be(DicomTags.PatientName);
    }

    [Fact]
    public void LazyBuffer_ReadsByOffsetAndSwapsBigEndian()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [0, 0, 0x12, 0x34, 0x56, 0x78]);
            var b = new FileByteBuffer(path, 2, 4, swapUnit: 2);
            b.GetMemory().ToArray().Should().Equal(0x34, 0x12, 0x78, 0x56);
        }
        finally { File.Delete(path); }
    }
}
