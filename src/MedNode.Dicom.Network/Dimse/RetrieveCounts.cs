namespace MedNode.Dicom.Network.Dimse;

/// <summary>
/// The C-STORE sub-operations of one C-MOVE or C-GET: how many remain, completed, failed or warned, and the status
/// the final response carries (PS3.4 C.4.2.1.5, C.4.2.3.1, C.4.3.1.4, C.4.3.3.1).
/// </summary>
public sealed class RetrieveCounts
{
    private readonly List<string> _failedSopInstances = [];

    public RetrieveCounts(int total)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        Total = total;
    }

    public int Total { get; }

    public int Completed { get; private set; }

    public int Failed { get; private set; }

    public int Warning { get; private set; }

    public int Remaining => Total - Completed - Failed - Warning;

    /// <summary>The SOP instances whose sub-operation failed: the final response's Failed SOP Instance UID List (0008,0058).</summary>
    public IReadOnlyList<string> FailedSopInstances => _failedSopInstances;

    /// <summary>Counts one sub-operation by its C-STORE-RSP status; null when it could not be sent at all.</summary>
    public void Add(string sopInstanceUid, ushort? storeStatus)
    {
        if (Remaining == 0) throw new InvalidOperationException("Every sub-operation is counted already.");
        switch (storeStatus is { } s ? DimseStatus.Categorize(s) : DimseStatusCategory.Failure)
        {
            case DimseStatusCategory.Success:
                Completed++;
                break;
            case DimseStatusCategory.Warning:
                Warning++;
                break;
            default:
                Failed++;
                _failedSopInstances.Add(sopInstanceUid);
                break;
        }
    }

    /// <summary>
    /// The final status: Cancel (FE00H) when cancelled with sub-operations left; Success when every sub-operation
    /// succeeded (or there were none); A702H Refused: Out of Resources – Unable to perform sub-operations when all
    /// failed; B000H Sub-operations Complete – One or more Failures or Warnings otherwise (PS3.4 C.4.2.1.5).
    /// </summary>
    public ushort FinalStatus(bool cancelled)
    {
        if (cancelled && Remaining > 0) return DimseStatus.Cancel;
        if (Failed == 0 && Warning == 0) return DimseStatus.Success;
        if (Completed == 0 && Warning == 0) return DimseStatus.OutOfResourcesUnableToPerformSubOperations;
        return DimseStatus.SubOperationsCompleteWithFailures;
    }

    /// <summary>
    /// Puts the counts on a response. Number of Remaining Sub-operations goes only on Pending and Cancel responses
    /// (PS3.7 Tables 9.3-6 and 9.3-10).
    /// </summary>
    public T Apply<T>(T response) where T : DimseRetrieveResponse
    {
        var withRemaining = DimseStatus.Categorize(response.Status) is DimseStatusCategory.Pending or DimseStatusCategory.Cancel;
        return response with
        {
            RemainingSuboperations = withRemaining ? Clamp(Remaining) : null,
            CompletedSuboperations = Clamp(Completed),
            FailedSuboperations = Clamp(Failed),
            WarningSuboperations = Clamp(Warning),
        };
    }

    private static ushort Clamp(int n) => (ushort)Math.Min(n, ushort.MaxValue);
}
