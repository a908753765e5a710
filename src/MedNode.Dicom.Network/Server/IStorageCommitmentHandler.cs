using System.Collections.Concurrent;
using MedNode.Dicom.Network.Dimse;

namespace MedNode.Dicom.Network.Server;

/// <summary>A storage commitment request as received in an N-ACTION-RQ (PS3.4 J.3.2).</summary>
public sealed record StorageCommitmentRequest(string TransactionUid, IReadOnlyList<StorageCommitmentReference> Instances, string CallingAeTitle);

/// <summary>
/// The Storage Commitment SCP's check (PS3.4 J.3.2): which referenced instances the node holds and commits to. MedNode.Core
/// implements it over the index and the blob store.
/// </summary>
public interface IStorageCommitmentScpHandler
{
    Task<StorageCommitmentResult> CommitAsync(StorageCommitmentRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Where N-EVENT-REPORTs of storage commitment that arrive on an association the peer opened go: MedNode as SCU,
/// receiving the result on a new association (PS3.4 J.3.3).
/// </summary>
public interface IStorageCommitmentReportHandler
{
    Task OnReportAsync(StorageCommitmentResult report, string callingAeTitle, CancellationToken cancellationToken);
}

/// <summary>
/// Matches reports to the transactions a client waits for. Register before sending the N-ACTION-RQ so that a fast
/// report is not missed; a report for a transaction nobody waits for is kept until <see cref="WaitAsync"/> asks.
/// </summary>
public sealed class StorageCommitmentReportWaiter : IStorageCommitmentReportHandler
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StorageCommitmentResult>> _pending = new(StringComparer.Ordinal);

    public Task OnReportAsync(StorageCommitmentResult report, string callingAeTitle, CancellationToken cancellationToken)
    {
        Slot(report.TransactionUid).TrySetResult(report);
        return Task.CompletedTask;
    }

    /// <summary>Starts waiting for a transaction's report.</summary>
    public void Register(string transactionUid) => Slot(transactionUid);

    /// <summary>The report of a transaction, once it has arrived.</summary>
    public async Task<StorageCommitmentResult> WaitAsync(string transactionUid, CancellationToken cancellationToken)
    {
        var result = await Slot(transactionUid).Task.WaitAsync(cancellationToken);
        _pending.TryRemove(transactionUid, out _);
        return result;
    }

    private TaskCompletionSource<StorageCommitmentResult> Slot(string transactionUid) =>
        _pending.GetOrAdd(transactionUid, _ => new TaskCompletionSource<StorageCommitmentResult>(TaskCreationOptions.RunContinuationsAsynchronously));
}
