using MedNode.Dicom.IO;

namespace MedNode.Dicom.Network.Client;

/// <summary>The start of a Part 10 file for a data set received over the network (PS3.10 §7.1).</summary>
internal static class Part10Header
{
    private static readonly DicomTag SourceApplicationEntityTitle = new(0x0002, 0x0016);

    /// <summary>Writes the 128-byte preamble, "DICM" and the File Meta Information group with its length.</summary>
    public static void Write(Stream output, string sopClassUid, string sopInstanceUid, string transferSyntaxUid, string sourceAe)
    {
        var ids = new DicomDataset();
        ids.AddOrUpdate(DicomTags.SOPClassUID, DicomVR.UI, sopClassUid);
        ids.AddOrUpdate(DicomTags.SOPInstanceUID, DicomVR.UI, sopInstanceUid);
        var previous = new DicomDataset();
        if (sourceAe.Length > 0) previous.AddOrUpdate(SourceApplicationEntityTitle, DicomVR.AE, sourceAe);
        var meta = DicomFileWriter.BuildMeta(ids, DicomTransferSyntax.Lookup(transferSyntaxUid), previous);
        meta.AddOrUpdate(new DicomTag(0x0002, 0x0000), DicomVR.UL, 0d); // the writer computes the group length
        using var buffer = new MemoryStream();
        buffer.Write(new byte[128]);
        buffer.Write("DICM"u8);
        new DicomWriter(buffer, explicitVR: true, bigEndian: false).WriteDataset(meta);
        buffer.WriteTo(output);
    }
}
