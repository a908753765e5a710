using System.Net.Sockets;
using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.UpperLayer;
using Microsoft.Extensions.Logging;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerAction;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerEvent;

namespace MedNode.Dicom.Network;

/// <summary>The transport side of <see cref="Association"/>: reading PDUs into events, and the abort actions.</summary>
public sealed partial class Association
{
    private enum InboundKind { Pdu, Closed, ArtimExpired, Invalid }

    private readonly record struct Inbound(InboundKind Kind, Pdu? Pdu = null, DicomProtocolException? Error = null);

    private void OnArtimExpired()
    {
        _artimFired = true;
        _transport.Input.CancelPendingRead();
    }

    /// <summary>Releases the bytes of the PDU read last: its P-DATA slices are no longer valid after this.</summary>
    private void ReleasePending()
    {
        if (!_hasPending) return;
        _hasPending = false;
        _transport.Input.AdvanceTo(_pendingEnd);
    }

    /// <summary>Reads the next inbound event: a whole PDU, the transport closing, ARTIM expiring, or bytes that are no valid PDU.</summary>
    private async ValueTask<Inbound> ReadInboundAsync(CancellationToken ct)
    {
        ReleasePending();
        if (_transportClosed) return new Inbound(InboundKind.Closed);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _transport.Input.ReadAsync(ct);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return new Inbound(InboundKind.Closed);
            }
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                _transport.Input.AdvanceTo(buffer.Start);
                if (_artimFired && _fsm.IsArtimRunning)
                {
                    _artimFired = false;
                    return new Inbound(InboundKind.ArtimExpired);
                }
                _artimFired = false;
                continue;
            }
            try
            {
                if (PduReader.TryRead(ref buffer, _options.MaxPduLength, _options.MaxAssociatePduLength, out var pdu))
                {
                    _hasPending = true;
                    _pendingEnd = buffer.Start;
                    return new Inbound(InboundKind.Pdu, pdu);
                }
            }
            catch (DicomProtocolException e)
            {
                // Nothing after an invalid PDU can be framed again: drop what is buffered.
                _transport.Input.AdvanceTo(result.Buffer.End);
                return new Inbound(InboundKind.Invalid, Error: e);
            }
            if (result.IsCompleted)
            {
                _transport.Input.AdvanceTo(result.Buffer.End);
                return new Inbound(InboundKind.Closed);
            }
            _transport.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Fires the event that an inbound item is (PS3.8 Table 9-10).</summary>
    private UpperLayerTransition Fire(Inbound inbound, bool associateRqAcceptable = true)
    {
        var evt = inbound.Kind switch
        {
            InboundKind.Closed => Evt17,
            InboundKind.ArtimExpired => Evt18,
            InboundKind.Invalid => Evt19,
            _ => inbound.Pdu!.Type switch
            {
                PduType.AAssociateAc => Evt3,
                PduType.AAssociateRj => Evt4,
                PduType.AAssociateRq => Evt6,
                PduType.PDataTf => Evt10,
                PduType.AReleaseRq => Evt12,
                PduType.AReleaseRp => Evt13,
                _ => Evt16,
            },
        };
        var t = _fsm.Fire(evt, associateRqAcceptable);
        if (_log.IsEnabled(LogLevel.Trace)) _log.LogTrace("{From} + {Event} -> {Action} -> {To}", t.From, t.Event, t.Action, t.To);
        return t;
    }

    /// <summary>
    /// Performs an abort-family action (PS3.8 Table 9-9). It throws <see cref="AssociationAbortedException"/> when
    /// the association has ended, and returns for AA-6 and AA-7, after which the state machine stays in Sta13.
    /// </summary>
    private async Task AbnormalAsync(UpperLayerTransition t, Inbound inbound, CancellationToken ct)
    {
        var what = inbound.Kind switch
        {
            InboundKind.Pdu => inbound.Pdu!.Type + " PDU",
            InboundKind.Invalid => "invalid PDU (" + inbound.Error!.Message + ")",
            InboundKind.ArtimExpired => "ARTIM expiry",
            _ => "transport close",
        };
        switch (t.Action)
        {
            case Aa1:
                await WritePduQuietlyAsync(new AAbort(AAbortSource.ServiceUser, AAbortReason.ReasonNotSpecified));
                await WaitForTransportCloseAsync(ct);
                throw new AssociationAbortedException($"{what} in {t.From}: sent A-ABORT (AA-1).", AAbortSource.ServiceUser, AAbortReason.ReasonNotSpecified, byPeer: false, inbound.Error);
            case Aa2:
                await CloseTransportAsync();
                if (inbound.Pdu is AAbort peerAbort)
                    throw new AssociationAbortedException($"A-ABORT received in {t.From}.", peerAbort.Source, peerAbort.Reason, byPeer: true);
                throw new AssociationAbortedException($"{what} in {t.From}: transport closed (AA-2).", AAbortSource.ServiceProvider, AAbortReason.ReasonNotSpecified, byPeer: false);
            case Aa3:
                await CloseTransportAsync();
                var abort = (AAbort)inbound.Pdu!;
                _log.LogWarning("Association {Calling} -> {Called} aborted by the peer: source {Source}, reason {Reason}", Request?.CallingAeTitle, Request?.CalledAeTitle, abort.Source, abort.Reason);
                throw new AssociationAbortedException($"A-ABORT received in {t.From}: source {abort.Source}, reason {abort.Reason}.", abort.Source, abort.Reason, byPeer: true);
            case Aa4:
            case Aa5:
                await CloseTransportAsync();
                throw new AssociationAbortedException($"The transport closed in {t.From} ({t.Action}).", AAbortSource.ServiceProvider, AAbortReason.ReasonNotSpecified, byPeer: true);
            case Aa6:
                return;
            case Aa7:
                await WritePduQuietlyAsync(new AAbort(AAbortSource.ServiceProvider, inbound.Error?.AbortReason ?? AAbortReason.UnexpectedPdu));
                return;
            case Aa8:
                var reason = inbound.Error?.AbortReason ?? AAbortReason.UnexpectedPdu;
                _log.LogWarning("Aborting association {Calling} -> {Called}: {What} in {State}, reason {Reason}", Request?.CallingAeTitle, Request?.CalledAeTitle, what, t.From, reason);
                await WritePduQuietlyAsync(new AAbort(AAbortSource.ServiceProvider, reason));
                await WaitForTransportCloseAsync(ct);
                throw new AssociationAbortedException($"{what} in {t.From}: sent A-ABORT, reason {reason} (AA-8).", AAbortSource.ServiceProvider, reason, byPeer: false, inbound.Error);
            default:
                throw Unexpected(t);
        }
    }

    /// <summary>Treats a violation found above the PDU framing (a bad PDV) as Evt19, an invalid PDU.</summary>
    private async Task<Exception> ProtocolErrorAsync(DicomProtocolException error, CancellationToken ct)
    {
        var inbound = new Inbound(InboundKind.Invalid, Error: error);
        await AbnormalAsync(Fire(inbound), inbound, ct);
        return error;
    }

    /// <summary>Sta13: waits for the peer to close the transport (AR-5), or for ARTIM (AA-2), answering PDUs as Table 9-10 says.</summary>
    private async Task WaitForTransportCloseAsync(CancellationToken ct)
    {
        try
        {
            while (!_transportClosed && _fsm.State == UpperLayerState.Sta13)
            {
                var inbound = await ReadInboundAsync(ct);
                var t = Fire(inbound);
                switch (t.Action)
                {
                    case Ar5 or Aa2:
                        await CloseTransportAsync();
                        return;
                    case Aa7:
                        await WritePduQuietlyAsync(new AAbort(AAbortSource.ServiceProvider, inbound.Error?.AbortReason ?? AAbortReason.UnexpectedPdu));
                        break;
                }
            }
        }
        finally
        {
            if (_fsm.State != UpperLayerState.Sta13) await CloseTransportAsync();
        }
    }

    private async ValueTask WritePduAsync(Pdu pdu, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            pdu.Write(_transport.Output);
            await _transport.Output.FlushAsync(ct);
        }
        finally
        {
            _writeLock.Release();
        }
        await LeaveSocketThreadAsync();
    }

    /// <summary>Sends an A-ABORT or the like where the peer may already be gone.</summary>
    private async ValueTask WritePduQuietlyAsync(Pdu pdu)
    {
        if (_transportClosed) return;
        try
        {
            await WritePduAsync(pdu, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or ObjectDisposedException)
        {
            _log.LogDebug(e, "Could not send {Pdu}", pdu.Type);
        }
    }

    private async ValueTask CloseTransportAsync()
    {
        if (_transportClosed) return;
        _transportClosed = true;
        try
        {
            ReleasePending();
        }
        catch (InvalidOperationException)
        {
            // The reader is already complete.
        }
        await _writeLock.WaitAsync();
        try
        {
            await _transport.Output.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _log.LogDebug(e, "The transport was already gone when closing");
        }
        finally
        {
            _writeLock.Release();
        }
        await _transport.Input.CompleteAsync();
        switch (_transport)
        {
            case IAsyncDisposable d:
                await d.DisposeAsync();
                break;
            case IDisposable d:
                d.Dispose();
                break;
        }
    }
}
