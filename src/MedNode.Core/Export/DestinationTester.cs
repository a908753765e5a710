using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;

namespace MedNode.Core.Export;

/// <summary>The outcome of testing a destination: reachable or not, and what was seen.</summary>
public sealed record DestinationTestResult(bool Ok, string Detail);

/// <summary>Tests a destination: C-ECHO for DIMSE (PS3.7 §9.1.5), a QIDO-RS study search with limit=1 for DICOMweb.</summary>
public sealed class DestinationTester(HttpClient http)
{
    public async Task<DestinationTestResult> TestAsync(ExportDestination destination, CancellationToken cancellationToken)
    {
        try
        {
            if (destination.Kind == DestinationKind.Dimse)
            {
                var status = await new DicomClient(destination.Host, destination.Port, destination.AeTitle, destination.CallingAeTitle) { Tls = destination.CreateTlsOptions() }.EchoAsync(cancellationToken);
                return new DestinationTestResult(status == DimseStatus.Success, $"C-ECHO status 0x{status:X4}");
            }
            using var request = new HttpRequestMessage(HttpMethod.Get, destination.Url!.TrimEnd('/') + "/studies?limit=1");
            request.Headers.Accept.ParseAdd("application/dicom+json");
            using var response = await http.SendAsync(request, cancellationToken);
            return new DestinationTestResult(response.IsSuccessStatusCode, $"QIDO-RS HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new DestinationTestResult(false, ex.Message);
        }
    }
}
