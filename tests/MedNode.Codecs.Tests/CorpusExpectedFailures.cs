namespace MedNode.Codecs.Tests;

/// <summary>Corpus files whose decoded pixels do not hash to the manifest's reference, each with the reason, and the
/// uncompressed siblings that files without a usable reference are compared with instead.</summary>
internal static class CorpusExpectedFailures
{
    private const string DctReason = "JPEG DCT: JpegLibrary's IDCT is not libjpeg's; within ±1 grey level of GDCM (CorpusJpegLossyTests)";

    public static readonly IReadOnlyDictionary<string, string> Table = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["jpeg/dicomParser__CT0012.fragmented_no_bot_jpeg_baseline.51.dcm"] = DctReason,
        ["jpeg/dicomParser__IM00001.fragmented_no_bot_jpeg_baseline.50.dcm"] = DctReason,
        ["jpeg/fo-dicom__GH195.dcm"] = DctReason,
        ["jpeg/fo-dicom__GH538-jpeg1.dcm"] = DctReason,
        ["jpeg/fo-dicom__JPEGwithIcon.dcm"] = DctReason,
        ["jpeg/pydicom__JPGExtended.dcm"] = DctReason,
        ["jpeg/pydicom__SC_jpeg_no_color_transform.dcm"] = DctReason,
        ["jpeg/pydicom__SC_jpeg_no_color_transform_2.dcm"] = DctReason,
        ["jpeg/pydicom__SC_rgb_dcmtk_+eb+cy+n1.dcm"] = DctReason,
        ["jpeg/pydicom__SC_rgb_dcmtk_+eb+cy+n2.dcm"] = DctReason,
        ["jpeg/pydicom__SC_rgb_dcmtk_+eb+cy+np.dcm"] = DctReason,
        ["jpeg/pydicom__SC_rgb_dcmtk_+eb+cy+s2.dcm"] = DctReason,
        ["jpeg/pydicom__SC_rgb_dcmtk_+eb+cy+s4.dcm"] = DctReason,
        ["jpeg/pydicom__SC_rgb_jpeg_app14_dcmd.dcm"] = DctReason,
        ["jpeg/pydicom__SC_rgb_jpeg_dcmtk.dcm"] = DctReason,
        ["jpeg/pydicom__examples_ybr_color.dcm"] = DctReason,
        ["jpeg/pylibjpeg-data__JPEGBaseline_1s_1f_u_08_08.dcm"] = DctReason,
        ["jpeg/pylibjpeg-data__JPEGExtended_3s_1f_u_08_08.dcm"] = DctReason,
        ["jpeg/pylibjpeg-data__RG2_JPLY_fixed.dcm"] = DctReason,
        ["jpeg/fo-dicom__multiframe.dcm"] = "23 of its 140 JPEG frames are smaller than Rows × Columns (240×55, 121×240, 121×55); MedNode rejects a frame whose size disagrees with the data set (DicomCodecException), GDCM rejects the file too; the reference is DCMTK's",
        ["malformed/pydicom__JPEG-lossy.dcm"] = "malformed: SOS Se is 0 instead of 63; JpegLibrary decodes it anyway, and like every DCT file it differs from libjpeg by its IDCT",
        ["malformed/pylibjpeg-data__RG2_JPLY.dcm"] = "malformed: SOS Se is 0 instead of 63; JpegLibrary decodes it anyway, and like every DCT file it differs from libjpeg by its IDCT",
        ["malformed/fo-dicom__GH1339.dcm"] = "malformed: encapsulated Pixel Data lacks its Sequence Delimitation Item at end of file; the Part 10 reader rejects it before any codec runs",
        ["seg/pydicom-data__liver_j2k.dcm"] = "the reference is GDCM's output expanded to Bits Allocated 8; MedNode keeps Bits Allocated 1 and matches the uncompressed sibling",
        ["seg/pydicom-data__liver_nonbyte_aligned_j2k.dcm"] = "the reference is GDCM's output expanded to Bits Allocated 8; MedNode keeps Bits Allocated 1 and matches the uncompressed sibling",
    };

    public static readonly IReadOnlyList<(string File, string Sibling)> UncompressedSiblings =
    [
        ("seg/pydicom-data__liver_j2k.dcm", "seg/pydicom-data__liver.dcm"),
        ("seg/pydicom-data__liver_nonbyte_aligned_j2k.dcm", "seg/pydicom-data__liver_nonbyte_aligned.dcm"),
        ("seg/pydicom-data__liver_rle.dcm", "seg/pydicom-data__liver.dcm"),
        ("seg/pydicom-data__liver_nonbyte_aligned_rle.dcm", "seg/pydicom-data__liver_nonbyte_aligned.dcm"),
        ("seg/pydicom-data__liver_deflate.dcm", "seg/pydicom-data__liver.dcm"),
        ("seg/pydicom-data__liver_nonbyte_aligned_deflate.dcm", "seg/pydicom-data__liver_nonbyte_aligned.dcm"),
    ];
}
