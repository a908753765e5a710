using System.Net;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;

namespace MedNode.Host;

/// <summary>
/// `mednode store --commit`: after the push, asks the peer to commit what it accepted (Storage Commitment Push Model,
/// PS3.4 Annex J) and prints the outcome per instance. The report comes on the request's association, or, with
/// `--commit-listen HOST:PORT`, on a new association to a listener opened for the purpose under the calling AE title.
/// </summary>
internal static class StoreCommitment
{
    public static async Task<int> RunAsync(DicomClient client, IReadOnlyList<StoreOutcome> stored, string? listen, TimeSpan timeout)
    {
        var refs = stored.Where(o => o.IsSuccess && o.SopInstanceUid != null)
            .Select(o => new StorageCommitmentReference(SopClassOf(o.Path), o.SopInstanceUid!)).ToList();
        if (refs.Count == 0)
        {
            Console.Out.WriteLine("storage commitment: nothing was stored, nothing to commit");
            return 1;
        }
        StorageCommitmentResult result;
        if (listen == null)
        {
            result = await client.RequestStorageCommitmentAsync(refs, null, timeout);
        }
        else
        {
            var (host, port) = ParseListen(listen);
            var waiter = new StorageCommitmentReportWaiter();
            var options = new DicomServerOptions { AeTitle = client.CallingAeTitle, BindAddress = host, Port = port };
            await using var listener = new DicomServer(options, new NoStorage()) { StorageCommitmentReports = waiter };
            await listener.StartAsync();
            result = await client.RequestStorageCommitmentAsync(refs, waiter, timeout);
        }
        foreach (var f in result.Failed) Console.Error.WriteLine($"{f.SopInstanceUid}: not committed, failure reason 0x{f.FailureReason:X4}");
        Console.Out.WriteLine($"storage commitment {result.TransactionUid}: {result.Committed.Count} committed, {result.Failed.Count} failed");
        return result.Failed.Count == 0 && result.Committed.Count == refs.Count ? 0 : 1;
    }

    private static string SopClassOf(string path) =>
        DicomFile.Open(path, new DicomReadOptions { StopAtPixelData = true }).Dataset.GetString(DicomTags.SOPClassUID) ?? "";

    private static (IPAddress Host, int Port) ParseListen(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !IPAddress.TryParse(value[..colon], out var host) || !int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new UsageException($"--commit-listen '{value}' is not IP:PORT");
        return (host, port);
    }

    /// <summary>The listener only takes reports; instances sent to it are refused (Out of Resources, PS3.4 Table B.2-1).</summary>
    private sealed class NoStorage : IStoreScpHandler
    {
        public string TempDirectory => Path.GetTempPath();

        public Task<StoreScpResult> StoreAsync(StoreScpRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new StoreScpResult(DimseStatus.OutOfResources, "This listener takes storage commitment reports only."));
    }
}
