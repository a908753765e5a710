using System.Net;
using System.Threading.Channels;
using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Client;
using MedNode.Dicom.Network.Dimse;
using Microsoft.Extensions.Logging;

namespace MedNode.Dicom.Network.Server;

/// <summary>
/// The Query/Retrieve SCP of <see cref="DicomServer"/> (PS3.4 Annex C): C-FIND with streamed Pending responses, C-MOVE
/// with C-STORE sub-operations to the destination on a new association, C-GET with C-STORE sub-operations on the same
/// association (PS3.4 C.4.3). A C-CANCEL-RQ stops each of them (PS3.7 §9.3.2.3).
/// </summary>
public sealed partial class DicomServer
{
    /// <summary>The identifier of a C-FIND, C-MOVE or C-GET is read whole; larger ones are refused (C000H).</summary>
    public const int MaxIdentifierLength = 1 << 20;

    private static readonly Task Never = new TaskCompletionSource().Task;

    private int _subOperationMessageId;

    /// <summary>Serves C-FIND, C-MOVE and C-GET when set; without it their presentation contexts are not accepted.</summary>
    public IQueryRetrieveScpHandler? QueryRetrieveHandler { get; init; }

    private async Task ServeFindAsync(Association association, DimseMessage message, CFindRq rq, IPAddress? remote, CancellationTokenSource idle, CancellationToken ct)
    {
        var pcid = message.PresentationContextId;
        var (request, error) = await ReadRequestAsync(association, message, rq.AffectedSopClassUid, remote, ct);
        if (request == null)
        {
            await association.SendCommandAsync(pcid, rq.CreateResponse(error!.Status) with { ErrorComment = ErrorComment(error.Message) }, ct);
            return;
        }
        using var watch = new CancelWatch(association, rq.MessageId, ct);
        var status = DimseStatus.Success;
        string? comment = null;
        var ts = DicomTransferSyntax.Lookup(message.PresentationContext.TransferSyntax!);
        try
        {
            await foreach (var match in QueryRetrieveHandler!.FindAsync(request, watch.Token))
            {
                if (watch.IsCancelled) break;
                idle.CancelAfter(Options.IdleTimeout);
                using var buffer = new MemoryStream();
                DicomFileWriter.WriteDataset(buffer, match.Identifier, ts);
                buffer.Position = 0;
                var pending = rq.CreateResponse(match.OptionalKeysNotSupported ? DimseStatus.PendingWarning : DimseStatus.Pending);
                await association.SendCommandAsync(pcid, pending, buffer, ct);
            }
        }
        catch (QueryRetrieveScpException ex)
        {
            status = ex.Status;
            comment = ex.Message;
        }
        catch (OperationCanceledException) when (watch.IsCancelled && !ct.IsCancellationRequested)
        {
            // The handler stopped on the C-CANCEL.
        }
        if (watch.IsCancelled) status = DimseStatus.Cancel;
        await association.SendCommandAsync(pcid, rq.CreateResponse(status) with { ErrorComment = ErrorComment(comment) }, ct);
    }

    private async Task ServeMoveAsync(Association association, DimseMessage message, CMoveRq rq, IPAddress? remote, CancellationTokenSource idle, CancellationToken ct)
    {
        var pcid = message.PresentationContextId;
        var (request, error) = await ReadRequestAsync(association, message, rq.AffectedSopClassUid, remote, ct);
        var destination = QueryRetrieveHandler!.FindMoveDestination(rq.MoveDestination.Trim());
        if (request == null || destination == null)
        {
            var refused = error ?? new QueryRetrieveScpException(DimseStatus.MoveDestinationUnknown, "Move Destination unknown.");
            await association.SendCommandAsync(pcid, rq.CreateResponse(refused.Status, ErrorComment(refused.Message)), ct);
            return;
        }
        request = request with { MoveDestination = destination.AeTitle };
        IReadOnlyList<RetrieveScpInstance> instances;
        try
        {
            instances = await QueryRetrieveHandler.RetrieveAsync(request, ct);
        }
        catch (QueryRetrieveScpException ex)
        {
            await association.SendCommandAsync(pcid, rq.CreateResponse(ex.Status, ErrorComment(ex.Message)), ct);
            return;
        }
        var counts = new RetrieveCounts(instances.Count);
        using var watch = new CancelWatch(association, rq.MessageId, ct);
        if (instances.Count > 0)
        {
            // PS3.4 C.4.2.2: one association to the destination, this node as the calling AE, the C-MOVE's originator named in each C-STORE-RQ.
            var client = new DicomClient(destination.Host ?? "127.0.0.1", destination.Port, destination.AeTitle, Options.AeTitle, new AssociationOptions { TimeProvider = Options.TimeProvider, MaxPduLength = Options.MaxPduLength, Logger = _log });
            var outcomes = Channel.CreateUnbounded<StoreOutcome>(new UnboundedChannelOptions { SingleReader = true });
            using var subOps = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var bySop = instances.ToDictionary(i => i.FilePath, i => i.SopInstanceUid, StringComparer.Ordinal);
            var store = SendSubOperationsAsync(client, instances, new MoveOriginator(association.CallingAeTitle.Trim(), rq.MessageId), outcomes.Writer, subOps.Token);
            var reading = outcomes.Reader.ReadAllAsync(ct).GetAsyncEnumerator(ct);
            try
            {
                var next = reading.MoveNextAsync().AsTask();
                Task watching = watch.NextMessage;
                while (true)
                {
                    if (!next.IsCompleted) await Task.WhenAny(next, watching);
                    if (watching.IsCompleted)
                    {
                        // Either the C-CANCEL, or a message for the receive loop: watch no more.
                        if (watch.IsCancelled) await subOps.CancelAsync();
                        watching = Never;
                    }
                    if (!next.IsCompleted) continue;
                    if (!await next) break;
                    var o = reading.Current;
                    counts.Add(o.SopInstanceUid ?? bySop.GetValueOrDefault(o.Path, ""), o.Status);
                    idle.CancelAfter(Options.IdleTimeout);
                    if (counts.Remaining > 0 && !watch.IsCancelled)
                        await association.SendCommandAsync(pcid, counts.Apply(rq.CreateResponse(DimseStatus.Pending)), ct);
                    next = reading.MoveNextAsync().AsTask();
                }
            }
            finally
            {
                await reading.DisposeAsync();
            }
            await store;
        }
        await SendFinalAsync(association, pcid, counts.Apply(rq.CreateResponse(counts.FinalStatus(watch.IsCancelled))), counts, ct);
        if (instances.Count > 0) await QueryRetrieveHandler.OnRetrieveCompletedAsync(request, counts, ct);
    }

    /// <summary>Runs the C-STORE SCU to the move destination; a refused or broken association fails what was not sent.</summary>
    private async Task SendSubOperationsAsync(DicomClient client, IReadOnlyList<RetrieveScpInstance> instances, MoveOriginator originator, ChannelWriter<StoreOutcome> outcomes, CancellationToken ct)
    {
        var reported = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var progress = new SyncProgress<StoreOutcome>(o =>
            {
                reported.Add(o.Path);
                outcomes.TryWrite(o);
            });
            // The files are checked before the association, as the client reads each file's header before it too.
            var sendable = new List<string>(instances.Count);
            foreach (var i in instances)
            {
                if (CheckFailed(i) is { } why) progress.Report(new StoreOutcome(i.FilePath, i.SopInstanceUid, null, null, why));
                else sendable.Add(i.FilePath);
            }
            if (sendable.Count > 0) await client.StoreAsync(sendable, originator, progress, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // C-CANCEL: what was not sent stays remaining.
            outcomes.TryComplete();
            return;
        }
        catch (Exception ex) when (ex is AssociationRejectedException or AssociationAbortedException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            _log.LogWarning("C-MOVE sub-operations to {Destination} failed: {Error}", client.CalledAeTitle, ex.Message);
        }
        foreach (var i in instances.Where(i => !reported.Contains(i.FilePath)))
            outcomes.TryWrite(new StoreOutcome(i.FilePath, i.SopInstanceUid, null, null, "not sent"));
        outcomes.TryComplete();
    }

    private async Task ServeGetAsync(Association association, DimseMessage message, CGetRq rq, IPAddress? remote, CancellationTokenSource idle, CancellationToken ct)
    {
        var pcid = message.PresentationContextId;
        var (request, error) = await ReadRequestAsync(association, message, rq.AffectedSopClassUid, remote, ct);
        IReadOnlyList<RetrieveScpInstance> instances;
        try
        {
            instances = request != null ? await QueryRetrieveHandler!.RetrieveAsync(request, ct) : throw error!;
        }
        catch (QueryRetrieveScpException ex)
        {
            await association.SendCommandAsync(pcid, rq.CreateResponse(ex.Status, ErrorComment(ex.Message)), ct);
            return;
        }
        var counts = new RetrieveCounts(instances.Count);
        var cancelled = false;
        foreach (var instance in instances)
        {
            if (cancelled) break;
            // PS3.4 C.4.3.1: the sub-operations use contexts on which the requestor took the SCP role (PS3.7 §D.3.3.4).
            var pc = Part10Sender.ChooseContext(association.PresentationContexts.Where(p => p.ScpRole && p.AbstractSyntax == instance.SopClassUid), instance.TransferSyntaxUid);
            ushort? status = null;
            if (pc != null && CheckFailed(instance) == null)
            {
                var store = new CStoreRq
                {
                    AffectedSopClassUid = instance.SopClassUid,
                    AffectedSopInstanceUid = instance.SopInstanceUid,
                    MessageId = NextSubOperationMessageId(),
                    Priority = rq.Priority,
                };
                if (await TrySendAsync(association, pc, store, instance, ct))
                {
                    while (true)
                    {
                        var reply = await association.ReceiveMessageAsync(ct) ?? throw new AssociationAbortedException("The C-GET requestor asked to release during a sub-operation.", Pdus.AAbortSource.ServiceUser, Pdus.AAbortReason.ReasonNotSpecified, byPeer: true);
                        var command = reply.DecodeCommand();
                        if (command is CCancelRq c && c.MessageIdBeingRespondedTo == rq.MessageId)
                        {
                            cancelled = true;
                            continue;
                        }
                        if (command is CStoreRsp rsp && rsp.MessageIdBeingRespondedTo == store.MessageId)
                        {
                            status = rsp.Status;
                            break;
                        }
                        throw new InvalidOperationException($"A {command.CommandField} arrived while a C-GET sub-operation awaited its C-STORE-RSP.");
                    }
                }
            }
            counts.Add(instance.SopInstanceUid, status);
            idle.CancelAfter(Options.IdleTimeout);
            if (counts.Remaining > 0 && !cancelled)
                await association.SendCommandAsync(pcid, counts.Apply(rq.CreateResponse(DimseStatus.Pending)), ct);
        }
        await SendFinalAsync(association, pcid, counts.Apply(rq.CreateResponse(counts.FinalStatus(cancelled))), counts, ct);
        if (instances.Count > 0) await QueryRetrieveHandler!.OnRetrieveCompletedAsync(request!, counts, ct);
    }

    /// <summary>Runs the instance's <see cref="RetrieveScpInstance.Check"/>: null when the file may be sent, else why not (logged without UIDs).</summary>
    private string? CheckFailed(RetrieveScpInstance instance)
    {
        try
        {
            instance.Check?.Invoke();
            return null;
        }
        catch (IOException ex)
        {
            _log.LogError("A retrieve sub-operation failed: its stored file did not pass its check ({Error})", ex.GetType().Name);
            return "the stored file did not pass its check: " + ex.Message;
        }
    }

    /// <summary>Sends one C-GET sub-operation; a file that cannot be opened or parsed fails it before anything is sent.</summary>
    private async Task<bool> TrySendAsync(Association association, PresentationContext pc, CStoreRq store, RetrieveScpInstance instance, CancellationToken ct)
    {
        try
        {
            return await Part10Sender.SendAsync(association, pc, store, instance.FilePath, instance.TransferSyntaxUid, ct) == null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or DicomParseException or UnauthorizedAccessException)
        {
            _log.LogError("A C-GET sub-operation could not read its stored file: {Error}", ex.GetType().Name);
            return false;
        }
    }

    /// <summary>
    /// The final C-MOVE or C-GET response; with failures it carries the Failed SOP Instance UID List (0008,0058) in an
    /// identifier (PS3.4 C.4.2.3.1, C.4.3.3.1).
    /// </summary>
    private static Task SendFinalAsync(Association association, byte pcid, DimseRetrieveResponse response, RetrieveCounts counts, CancellationToken ct)
    {
        if (counts.FailedSopInstances.Count == 0 || response.Status == DimseStatus.Success)
            return association.SendCommandAsync(pcid, response, ct);
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.FailedSOPInstanceUIDList, DicomVR.UI, [.. counts.FailedSopInstances]);
        var buffer = new MemoryStream();
        DicomFileWriter.WriteDataset(buffer, identifier, DicomTransferSyntax.Lookup(association.GetPresentationContext(pcid)!.TransferSyntax!));
        buffer.Position = 0;
        return association.SendCommandAsync(pcid, response with { HasDataSet = true }, buffer, ct);
    }

    /// <summary>Reads the identifier (PS3.7 §9.1.2.1.3) with its length bounded, and the request around it.</summary>
    private async Task<(QueryRetrieveScpRequest? Request, QueryRetrieveScpException? Error)> ReadRequestAsync(Association association, DimseMessage message, string sopClassUid, IPAddress? remote, CancellationToken ct)
    {
        if (!message.HasDataSet) return (null, new QueryRetrieveScpException(DimseStatus.IdentifierDoesNotMatchSopClass, "The request has no identifier."));
        using var buffer = new MemoryStream();
        var tooLong = false;
        await foreach (var chunk in message.ReadDataSetAsync(ct))
        {
            if (buffer.Length + chunk.Length > MaxIdentifierLength) tooLong = true;
            if (!tooLong) buffer.Write(chunk.Span);
        }
        if (tooLong) return (null, new QueryRetrieveScpException(DimseStatus.UnableToProcess, $"The identifier exceeds {MaxIdentifierLength} bytes."));
        try
        {
            var identifier = DicomFile.ParseDataset(buffer.ToArray(), DicomTransferSyntax.Lookup(message.PresentationContext.TransferSyntax!));
            return (new QueryRetrieveScpRequest(sopClassUid, identifier, association.CallingAeTitle.Trim(), association.CalledAeTitle.Trim(), remote?.ToString()), null);
        }
        catch (Exception ex) when (ex is DicomParseException or FormatException or DicomValueException)
        {
            return (null, new QueryRetrieveScpException(DimseStatus.IdentifierDoesNotMatchSopClass, "The identifier is not a valid data set."));
        }
    }

    private ushort NextSubOperationMessageId() => (ushort)(Interlocked.Increment(ref _subOperationMessageId) % 0xFFFF + 1);

    /// <summary>Watches the association for a C-CANCEL-RQ naming one request while its responses go out (PS3.7 §9.3.2.3).</summary>
    private sealed class CancelWatch : IDisposable
    {
        private readonly Association _association;
        private readonly ushort _messageId;
        private readonly CancellationToken _ct;
        private readonly CancellationTokenSource _cancelled;
        private readonly Lock _gate = new();
        private bool _isCancelled;
        private bool _settled;
        private bool _closed;

        public CancelWatch(Association association, ushort messageId, CancellationToken ct)
        {
            _association = association;
            _messageId = messageId;
            _ct = ct;
            _cancelled = CancellationTokenSource.CreateLinkedTokenSource(ct);
            NextMessage = association.PeekMessageAsync(ct);
            // Signals the handler as soon as the C-CANCEL arrives, not only between responses.
            _ = NextMessage.ContinueWith(_ =>
            {
                try
                {
                    if (IsCancelled) _cancelled.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The request finished before its C-CANCEL came.
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        /// <summary>Completes when the next message arrives; anything but the C-CANCEL stays for the receive loop.</summary>
        public Task<DimseMessage?> NextMessage { get; }

        /// <summary>Cancelled by the C-CANCEL-RQ, or when the association ends.</summary>
        public CancellationToken Token => _cancelled.Token;

        /// <summary>Stops watching before the receive loop takes over the association: a late message is the loop's.</summary>
        public void Dispose()
        {
            lock (_gate) _closed = true;
            _cancelled.Dispose();
        }

        public bool IsCancelled
        {
            get
            {
                lock (_gate) return Check();
            }
        }

        /// <summary>Looks once at the message that arrived: a C-CANCEL for this request is taken; anything else is left.</summary>
        private bool Check()
        {
            if (_closed || _settled || !NextMessage.IsCompleted) return _isCancelled;
            _settled = true;
            if (!NextMessage.IsCompletedSuccessfully || NextMessage.Result is not { } m) return false;
            try
            {
                if (m.DecodeCommand() is CCancelRq c && c.MessageIdBeingRespondedTo == _messageId)
                {
                    _ = _association.ReceiveMessageAsync(_ct); // takes the peeked C-CANCEL, already complete
                    _isCancelled = true;
                }
            }
            catch (Exception ex) when (ex is DicomParseException or FormatException)
            {
                // Left for the receive loop, which aborts on it.
            }
            return _isCancelled;
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order.</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
