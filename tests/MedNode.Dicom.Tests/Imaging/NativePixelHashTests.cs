using System.Security.Cryptography;
using MedNode.Dicom.Imaging;
using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.Imaging;

/// <summary>Native pixel data of every uncompressed corpus file hashes to the manifest's decoded-pixel SHA-256 (GDCM/DCMTK).</summary>
public class NativePixelHashTests
{
    public static TheoryData<string> NativeFiles => Corpus.PathsWhere(e =>
        e.Bool("has_pixel_data") && !e.Bool("pixel_data_encapsulated") && !e.Bool("expect_error") && e.Str("reference_pixel_sha256") != null);

    [RequiresTheory("corpus")]
    [MemberData(nameof(NativeFiles))]
    [Trait("Conformance", "PS3.5 8.1")]
    public void NativeFrames_CorpusFile_MatchReferenceHash(string relative)
    {
        var entry = Corpus.Entry(relative);
        var file = DicomFile.Open(Corpus.FullPath(relative));
        var pixels = DicomPixelData.Create(file.Dataset)!;
        pixels.Should().NotBeNull();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var element = (DicomElement)file.Dataset[pixels.Tag]!;
        if (pixels.Info.BitsAllocated == 1 || pixels.FrameProblem != null || element.Length < pixels.Info.FrameLength * pixels.NumberOfFrames)
        {
            // Bit-packed, retired 12-bit packed, no geometry, or a short value: the manifest hashes the value as stored.
            sha.AppendData(pixels.GetAllNativeBytes());
        }
        else
        {
            // Frame by frame, as `mednode pixels` returns them.
            for (int f = 0; f < pixels.NumberOfFrames; f++) sha.AppendData(pixels.GetNativeFrame(f));
        }
        Convert.ToHexStringLower(sha.GetHashAndReset()).Should().Be(entry.Str("reference_pixel_sha256"));
    }
}
