using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Dimse;

namespace MedNode.Dicom.Network.Client;

/// <summary>Sends the data set of a Part 10 file as a C-STORE-RQ: streamed as stored, or transcoded between uncompressed transfer syntaxes.</summary>
internal static class Part10Sender
{
    /// <summary>Sends the request and its data set; returns why it could not, or null once sent.</summary>
    public static async Task<string?> SendAsync(Association association, PresentationContext pc, CStoreRq rq, string path, string fileTransferSyntax, CancellationToken ct)
    {
        var accepted = pc.TransferSyntax!;
        if (accepted == fileTransferSyntax)
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            stream.Position = DicomFile.Open(path, new DicomReadOptions { StopAtPixelData = true }).DatasetOffset;
            await association.SendCommandAsync(pc.Id, rq, stream, ct);
            return null;
        }
        var source = DicomTransferSyntax.Lookup(fileTransferSyntax);
        var target = DicomTransferSyntax.Lookup(accepted);
        if (source.IsEncapsulated || target.IsEncapsulated) return $"the peer accepted {target.Name} only; compressed data is not transcoded";
        var file = DicomFile.Open(path);
        var ds = DicomTranscoder.Transcode(file.Dataset, source, target);
        using var buffer = new MemoryStream();
        DicomFileWriter.WriteDataset(buffer, ds, target);
        buffer.Position = 0;
        await association.SendCommandAsync(pc.Id, rq, buffer, ct);
        return null;
    }

    /// <summary>The accepted context to send a file on: its own transfer syntax first, else an uncompressed one it can be transcoded to.</summary>
    public static PresentationContext? ChooseContext(IEnumerable<PresentationContext> candidates, string fileTransferSyntax)
    {
        var list = candidates.Where(p => p.IsAccepted && p.TransferSyntax != null).ToList();
        var exact = list.FirstOrDefault(p => p.TransferSyntax == fileTransferSyntax);
        if (exact != null) return exact;
        if (DicomTransferSyntax.Lookup(fileTransferSyntax).IsEncapsulated) return null;
        return list.FirstOrDefault(p => DicomTransferSyntax.Lookup(p.TransferSyntax!) is { IsEncapsulated: false, IsDeflated: false });
    }
}
