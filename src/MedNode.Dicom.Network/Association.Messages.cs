using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.UpperLayer;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerAction;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerEvent;

namespace MedNode.Dicom.Network;

/// <summary>DIMSE messages over P-DATA (PS3.8 Annex E, PS3.7 §8), release and abort.</summary>
public sealed partial class Association
{
    private IReadOnlyList<PresentationDataValue> _pdvs = [];
    private int _pdvIndex;
    private DimseMessage? _current;

    private Task<DimseMessage?>? _peeked;

    /// <summary>
    /// Receives the next message's command set; its data set, if any, is left on the wire for the caller to
    /// stream. Returns null when the peer asks to release (Sta8): answer with <see cref="SendReleaseResponseAsync"/>
    /// after sending any outstanding responses. After <see cref="PeekMessageAsync"/>, returns the peeked message.
    /// </summary>
    public Task<DimseMessage?> ReceiveMessageAsync(CancellationToken cancellationToken = default) => ReceiveMessageAsync(leaveSocketThread: true, cancellationToken);

    /// <summary>
    /// <see cref="ReceiveMessageAsync(CancellationToken)"/>; with <paramref name="leaveSocketThread"/> false the caller may go on
    /// on the socket engine's thread (<see cref="SocketTransport.TryPreferInlineCompletions"/>) and must leave it before any
    /// long work (<see cref="LeaveSocketThreadAsync"/>). The public receives, sends and data set reads of an association leave
    /// it when one of their reads or writes had to wait, so that a caller on the thread pool is never brought onto it.
    /// </summary>
    internal Task<DimseMessage?> ReceiveMessageAsync(bool leaveSocketThread, CancellationToken cancellationToken)
    {
        if (_peeked is { } peeked)
        {
            _peeked = null;
            return peeked;
        }
        return leaveSocketThread ? ReceiveOffSocketThreadAsync(cancellationToken) : ReceiveNextAsync(cancellationToken);
    }

    private async Task<DimseMessage?> ReceiveOffSocketThreadAsync(CancellationToken cancellationToken)
    {
        var message = await ReceiveNextAsync(cancellationToken);
        await LeaveSocketThreadAsync();
        return message;
    }

    /// <summary>
    /// Continues on the thread pool when running elsewhere: on the socket engine's thread, where a socket that prefers inline
    /// completions (<see cref="SocketTransport.TryPreferInlineCompletions"/>) resumes its readers and writers, anything long
    /// would hold up every other socket of the process. A thread-pool thread goes on where it is. (An awaitable rather than an
    /// async method: a helper that awaited <c>Task.Yield</c> could complete on the pool before its caller checked it, and
    /// the caller then went on on the socket thread.)
    /// </summary>
    internal static SocketThreadExit LeaveSocketThreadAsync() => default;

    /// <summary>The awaitable of <see cref="LeaveSocketThreadAsync"/>.</summary>
    internal readonly struct SocketThreadExit : ICriticalNotifyCompletion
    {
        public SocketThreadExit GetAwaiter() => this;

        public bool IsCompleted => Thread.CurrentThread.IsThreadPoolThread;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) => ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
    }

    /// <summary>
    /// Starts receiving the next message without taking it: the next <see cref="ReceiveMessageAsync"/> returns the same
    /// message, and calling this again before then returns the same task. A service that sends several responses
    /// watches it for a C-CANCEL-RQ (PS3.7 §9.3.2.3) while it sends; whatever else arrives stays for the receive loop.
    /// </summary>
    /// <param name="cancellationToken">Ends the receive; it should live as long as the association's receive loop.</param>
    public Task<DimseMessage?> PeekMessageAsync(CancellationToken cancellationToken = default) =>
        _peeked ??= ReceiveOffSocketThreadAsync(cancellationToken);

    private async Task<DimseMessage?> ReceiveNextAsync(CancellationToken cancellationToken)
    {
        if (_current is { DataSetConsumed: false } unread)
        {
            await foreach (var _ in ReadDataSetFragmentsAsync(unread, leaveSocketThread: false, cancellationToken))
            {
                // Discarded: the caller did not want the data set.
            }
        }
        _current = null;
        var command = new ArrayBufferWriter<byte>(256);
        PresentationContext? context = null;
        while (true)
        {
            var pdv = await NextPdvAsync(midMessage: context != null, cancellationToken);
            if (pdv is not { } v) return null;
            if (!v.IsCommand)
                throw await ProtocolErrorAsync(new DicomProtocolException(AAbortReason.UnexpectedPduParameter, "A data set fragment arrived where a command was expected (PS3.8 Annex E.2)."), cancellationToken);
            if (context != null && v.PresentationContextId != context.Id)
                throw await ProtocolErrorAsync(new DicomProtocolException(AAbortReason.UnexpectedPduParameter, "A command continued on another presentation context (PS3.8 Annex E.2)."), cancellationToken);
            context ??= _contexts[v.PresentationContextId];
            if (command.WrittenCount + v.Data.Length > _options.MaxCommandLength)
                throw await ProtocolErrorAsync(new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"A command set exceeds {_options.MaxCommandLength} bytes."), cancellationToken);
            foreach (var segment in v.Data) command.Write(segment.Span);
            if (v.IsLastFragment) break;
        }
        var bytes = command.WrittenSpan.ToArray();
        _current = new DimseMessage(this, context, bytes, CommandSetScanner.HasDataSet(bytes));
        return _current;
    }

    /// <param name="leaveSocketThread">Whether the caller goes on on the thread pool after the last fragment (<see cref="LeaveSocketThreadAsync"/>).</param>
    internal async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadDataSetFragmentsAsync(DimseMessage message, bool leaveSocketThread, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (message.DataSetConsumed) yield break;
        if (!ReferenceEquals(message, _current)) throw new InvalidOperationException("Only the data set of the message received last can be read.");
        while (true)
        {
            var pdv = await NextPdvAsync(midMessage: true, cancellationToken);
            var v = pdv!.Value;
            if (v.IsCommand || v.PresentationContextId != message.PresentationContextId)
                throw await ProtocolErrorAsync(new DicomProtocolException(AAbortReason.UnexpectedPduParameter, "A command fragment or another context's fragment arrived inside a data set (PS3.8 Annex E.2)."), cancellationToken);
            foreach (var segment in v.Data) yield return segment;
            if (v.IsLastFragment)
            {
                message.DataSetConsumed = true;
                if (leaveSocketThread) await LeaveSocketThreadAsync();
                yield break;
            }
        }
    }

    /// <summary>The next PDV, reading P-DATA-TF PDUs as needed (DT-2); null when the peer asks to release (AR-2).</summary>
    private async ValueTask<PresentationDataValue?> NextPdvAsync(bool midMessage, CancellationToken ct)
    {
        while (_pdvIndex >= _pdvs.Count)
        {
            var inbound = await ReadInboundAsync(ct);
            var t = Fire(inbound);
            switch (t.Action)
            {
                case Dt2:
                    _pdvs = ((PDataTf)inbound.Pdu!).Values;
                    _pdvIndex = 0;
                    break;
                case Ar2 when midMessage:
                    // A release request in the middle of a message: the peer broke PS3.7 §9.1; abort as a local user.
                    _fsm.Fire(Evt15);
                    await WritePduQuietlyAsync(new AAbort(AAbortSource.ServiceUser, AAbortReason.ReasonNotSpecified));
                    await WaitForTransportCloseAsync(ct);
                    throw new AssociationAbortedException("A-RELEASE-RQ arrived in the middle of a message; association aborted.", AAbortSource.ServiceUser, AAbortReason.ReasonNotSpecified, byPeer: false);
                case Ar2:
                    return null;
                default:
                    await AbnormalAsync(t, inbound, ct);
                    throw Unexpected(t);
            }
        }
        var pdv = _pdvs[_pdvIndex++];
        if (!_contexts.TryGetValue(pdv.PresentationContextId, out var pc) || !pc.IsAccepted)
            throw await ProtocolErrorAsync(new DicomProtocolException(AAbortReason.InvalidPduParameterValue, $"P-DATA on presentation context {pdv.PresentationContextId}, which was not accepted (PS3.8 §9.3.5.1)."), ct);
        return pdv;
    }

    /// <summary>Sends a message whose data set is in memory (or absent).</summary>
    public Task SendMessageAsync(byte presentationContextId, ReadOnlyMemory<byte> command, ReadOnlyMemory<byte>? dataSet = null, CancellationToken cancellationToken = default) =>
        SendCoreAsync(presentationContextId, command, dataSet, null, cancellationToken);

    /// <summary>Sends a message whose data set is read from <paramref name="dataSet"/> as it is sent, never whole in memory.</summary>
    public Task SendMessageAsync(byte presentationContextId, ReadOnlyMemory<byte> command, Stream dataSet, CancellationToken cancellationToken = default) =>
        SendCoreAsync(presentationContextId, command, null, dataSet, cancellationToken);

    /// <summary>The largest P-DATA-TF sent, however large the peer's Maximum Length: two buffers of this size are held while sending.</summary>
    public const uint MaxSendPduLength = 16 * 1024 * 1024;

    /// <summary>The data bytes one PDV carries: the peer's Maximum Length less the PDV item overhead (PS3.8 §D.1).</summary>
    public int MaxPdvDataLength
    {
        get
        {
            var pdu = PeerMaxPduLength == 0 ? _options.SendPduLengthWhenPeerUnlimited : Math.Min(PeerMaxPduLength, MaxSendPduLength);
            return (int)pdu - PresentationDataValue.Overhead;
        }
    }

    private async Task SendCoreAsync(byte pcid, ReadOnlyMemory<byte> command, ReadOnlyMemory<byte>? data, Stream? stream, CancellationToken ct)
    {
        if (!_contexts.TryGetValue(pcid, out var pc) || !pc.IsAccepted)
            throw new ArgumentException($"Presentation context {pcid} was not accepted.", nameof(pcid));
        if (command.IsEmpty) throw new ArgumentException("A command set cannot be empty (PS3.7 §6.3).", nameof(command));
        var max = MaxPdvDataLength;
        await _writeLock.WaitAsync(ct);
        try
        {
            await SendFragmentsAsync(pcid, true, command, max, ct);
            if (data is { } d) await SendFragmentsAsync(pcid, false, d, max, ct);
            else if (stream != null) await SendStreamAsync(pcid, stream, max, ct);
        }
        finally
        {
            _writeLock.Release();
        }
        // A send that had to wait for the socket resumes where its reads would (SocketTransport.TryPreferInlineCompletions).
        await LeaveSocketThreadAsync();
    }

    private async Task SendFragmentsAsync(byte pcid, bool isCommand, ReadOnlyMemory<byte> bytes, int max, CancellationToken ct)
    {
        var offset = 0;
        do
        {
            var n = Math.Min(max, bytes.Length - offset);
            await WritePDataAsync(pcid, isCommand, offset + n == bytes.Length, bytes.Span.Slice(offset, n), ct);
            offset += n;
        }
        while (offset < bytes.Length);
    }

    /// <summary>Streams a data set into PDVs with two buffers, to know which fragment is the last (PS3.8 Annex E.2).</summary>
    private async Task SendStreamAsync(byte pcid, Stream stream, int max, CancellationToken ct)
    {
        var a = ArrayPool<byte>.Shared.Rent(max);
        var b = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var na = await stream.ReadAtLeastAsync(a.AsMemory(0, max), max, throwOnEndOfStream: false, ct);
            while (true)
            {
                if (na < max)
                {
                    await WritePDataAsync(pcid, false, true, a.AsSpan(0, na), ct);
                    return;
                }
                var nb = await stream.ReadAtLeastAsync(b.AsMemory(0, max), max, throwOnEndOfStream: false, ct);
                await WritePDataAsync(pcid, false, nb == 0, a.AsSpan(0, na), ct);
                if (nb == 0) return;
                await LeaveSocketThreadAsync(); // the next read of the data set is not for the socket engine's thread
                (a, b) = (b, a);
                na = nb;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    /// <summary>DT-1 / AR-7: one P-DATA-TF PDU holding one PDV. The caller holds the write lock.</summary>
    private ValueTask<FlushResult> WritePDataAsync(byte pcid, bool isCommand, bool last, ReadOnlySpan<byte> data, CancellationToken ct)
    {
        var t = _fsm.Fire(Evt9);
        if (t.Action is not (Dt1 or Ar7)) throw Unexpected(t);
        var w = _transport.Output;
        var header = w.GetSpan(12);
        header[0] = (byte)PduType.PDataTf;
        header[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[2..], (uint)(data.Length + PresentationDataValue.Overhead));
        BinaryPrimitives.WriteUInt32BigEndian(header[6..], (uint)(data.Length + 2));
        header[10] = pcid;
        header[11] = (byte)((isCommand ? 1 : 0) | (last ? 2 : 0));
        w.Advance(12);
        w.Write(data);
        return w.FlushAsync(ct);
    }

    /// <summary>
    /// A-RELEASE requested by this side (PS3.8 §7.2, AR-1): waits for the A-RELEASE-RP, resolving a release
    /// collision as Sta9–Sta12 prescribe, and closes the transport.
    /// </summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (!_fsm.CanFire(Evt11)) throw new InvalidOperationException($"A-RELEASE cannot be requested in {_fsm.State}.");
        _fsm.Fire(Evt11);
        await WritePduAsync(new AReleaseRq(), cancellationToken);
        while (true)
        {
            var inbound = await ReadInboundAsync(cancellationToken);
            var t = Fire(inbound);
            switch (t.Action)
            {
                case Ar6:
                    // P-DATA still in flight from the peer; this side asked to release, so it is not delivered.
                    break;
                case Ar3:
                    await CloseTransportAsync();
                    return;
                case Ar8 when t.To == UpperLayerState.Sta9:
                    _fsm.Fire(Evt14);
                    await WritePduAsync(new AReleaseRp(), cancellationToken);
                    break;
                case Ar8:
                    break;
                case Ar10:
                    _fsm.Fire(Evt14);
                    await WritePduAsync(new AReleaseRp(), cancellationToken);
                    await WaitForTransportCloseAsync(cancellationToken);
                    return;
                default:
                    await AbnormalAsync(t, inbound, cancellationToken);
                    break;
            }
        }
    }

    /// <summary>Answers the peer's A-RELEASE-RQ (AR-4) and waits for it to close the transport, within ARTIM.</summary>
    public async Task SendReleaseResponseAsync(CancellationToken cancellationToken = default)
    {
        if (!_fsm.CanFire(Evt14)) throw new InvalidOperationException($"No A-RELEASE-RQ to answer in {_fsm.State}.");
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            _fsm.Fire(Evt14);
            new AReleaseRp().Write(_transport.Output);
            await _transport.Output.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
        await WaitForTransportCloseAsync(cancellationToken);
    }

    /// <summary>A-ABORT by this side's user (PS3.8 §7.3, AA-1): sends the A-ABORT and waits, within ARTIM, for the peer to close.</summary>
    public async Task AbortAsync(CancellationToken cancellationToken = default)
    {
        if (!_fsm.CanFire(Evt15))
        {
            await CloseTransportAsync();
            return;
        }
        var t = _fsm.Fire(Evt15);
        if (t.Action == Aa1)
        {
            await WritePduQuietlyAsync(new AAbort(AAbortSource.ServiceUser, AAbortReason.ReasonNotSpecified));
            await WaitForTransportCloseAsync(cancellationToken);
        }
        await CloseTransportAsync();
    }
}
