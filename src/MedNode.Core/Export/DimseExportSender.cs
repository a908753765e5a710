using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;

namespace MedNode.Core.Export;

/// <summary>Sends results with C-STORE (PS3.4 Annex B) on one association per batch.</summary>
public sealed class DimseExportSender : IExportSender
{
    public DestinationKind Kind => DestinationKind.Dimse;

    public async Task<IReadOnlyList<SendOutcome>> SendAsync(ExportDestination destination, IReadOnlyList<(OutboxItem Item, string Path)> batch, CancellationToken cancellationToken)
    {
        var client = new DicomClient(destination.Host, destination.Port, destination.AeTitle, destination.CallingAeTitle) { Tls = destination.CreateTlsOptions() };
        var results = await client.StoreAsync(batch.Select(b => b.Path), cancellationToken: cancellationToken);
        var byPath = results.GroupBy(r => r.Path).ToDictionary(g => g.Key, g => g.Last());
        return batch.Select(b => byPath.TryGetValue(b.Path, out var r) ? Map(b.Item, r) : new SendOutcome(b.Item.Id, false, "not sent", ExportFailureKind.Transient)).ToList();
    }

    private static SendOutcome Map(OutboxItem item, StoreOutcome r)
    {
        if (r.IsSuccess) return new SendOutcome(item.Id, true);
        if (r.Status is { } status)
            return new SendOutcome(item.Id, false, $"C-STORE status 0x{status:X4}{(r.Error is { } e ? ": " + e : "")}", ExportFailureClassifier.FromDimseStatus(status), status == DimseStatus.SopClassNotSupported);
        var refused = r.Error?.Contains("accepted no presentation context", StringComparison.Ordinal) == true;
        return new SendOutcome(item.Id, false, r.Error, ExportFailureKind.Permanent, refused);
    }
}
