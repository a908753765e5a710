using System.Net;
using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Dimse;
using Microsoft.Extensions.Logging;

namespace MedNode.Dicom.Network.Server;

/// <summary>The DIMSE services of <see cref="DicomServer"/>: C-ECHO and C-STORE SCP.</summary>
public sealed partial class DicomServer
{
    /// <summary>
    /// Serves messages until the peer releases (then returns true; false when the association was aborted here). <paramref name="draining"/> interrupts only the wait for the next
    /// message (the association is then aborted); a message once received is served to the end under
    /// <paramref name="ct"/> and the idle timeout.
    /// </summary>
    private async Task<bool> ServeAssociationAsync(Association association, IPAddress? remote, string associationId, DimseServices services, CancellationToken draining, CancellationToken ct)
    {
        using var idle = new CancellationTokenSource(Options.IdleTimeout, Options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, idle.Token);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, draining);
        while (true)
        {
            idle.CancelAfter(Options.IdleTimeout);
            DimseMessage? message;
            try
            {
                message = await association.ReceiveMessageAsync(leaveSocketThread: false, waiting.Token);
            }
            catch (OperationCanceledException) when (draining.IsCancellationRequested && !linked.IsCancellationRequested)
            {
                _log.LogInformation("Server stopping: association from {Calling} aborted between messages", association.CallingAeTitle);
                await association.AbortAsync(ct);
                return false;
            }
            if (message == null)
            {
                await association.SendReleaseResponseAsync(linked.Token);
                return true;
            }
            DimseCommand command;
            try
            {
                command = message.DecodeCommand();
            }
            catch (Exception ex) when (ex is DicomParseException or FormatException)
            {
                _log.LogWarning("Undecodable command set from {Calling}; association aborted", association.CallingAeTitle);
                await association.AbortAsync(ct);
                return false;
            }
            // A C-STORE-RQ's data set is read fragment by fragment (short steps) and its ingest is handed on below; any other
            // service (a query, a retrieve) may run long, so it leaves the socket engine's thread first.
            if (command is not CStoreRq) await Association.LeaveSocketThreadAsync();
            switch (command)
            {
                case CEchoRq echo:
                    await association.SendCommandAsync(message.PresentationContextId, echo.CreateResponse(), linked.Token);
                    break;
                case CStoreRq store when !services.HasFlag(DimseServices.Store):
                    // Only reachable on a storage context granted for C-GET sub-operations (SCP role): the peer may not
                    // store. PS3.7 C.5.2 Refused: Not authorized; the data set is read and dropped.
                    await foreach (var _ in message.ReadDataSetAsync(linked.Token)) idle.CancelAfter(Options.IdleTimeout);
                    await association.SendCommandAsync(message.PresentationContextId, store.CreateResponse(DimseStatus.NotAuthorized, "The calling AE may not store."), linked.Token);
                    break;
                case CStoreRq store:
                    var result = await ReceiveStoreAsync(association, message, store, remote, associationId, idle, linked.Token);
                    await association.SendCommandAsync(message.PresentationContextId, store.CreateResponse(result.Status, ErrorComment(result.ErrorComment)), linked.Token);
                    break;
                case NActionRq or NEventReportRq:
                    if (!await ServeStorageCommitmentAsync(association, message, command, services, remote, linked.Token)) return false;
                    break;
                case CFindRq find when QueryRetrieveHandler != null:
                    await ServeFindAsync(association, message, find, remote, idle, linked.Token);
                    break;
                case CMoveRq move when QueryRetrieveHandler != null:
                    await ServeMoveAsync(association, message, move, remote, idle, linked.Token);
                    break;
                case CGetRq get when QueryRetrieveHandler != null:
                    await ServeGetAsync(association, message, get, remote, idle, linked.Token);
                    break;
                case CCancelRq:
                    break; // PS3.7 §9.3.2.3: a C-CANCEL for an operation already complete is ignored.
                default:
                    _log.LogWarning("Unsupported DIMSE command {Command} from {Calling}; association aborted", command.CommandField, association.CallingAeTitle);
                    await association.AbortAsync(ct);
                    return false;
            }
        }
    }

    /// <summary>
    /// Streams a C-STORE data set into a Part 10 file in the handler's temporary folder: preamble, a meta group for
    /// the context's transfer syntax (PS3.10 §7.1), then the data set bytes exactly as received. The handler's status
    /// goes back only after it returns; the spooled file never outlives the call.
    /// </summary>
    private async Task<StoreScpResult> ReceiveStoreAsync(Association association, DimseMessage message, CStoreRq store, IPAddress? remote, string associationId, CancellationTokenSource idle, CancellationToken ct)
    {
        var ts = message.PresentationContext.TransferSyntax!;
        var path = Path.Combine(_store.TempDirectory, "dimse-" + Guid.NewGuid().ToString("N") + ".part");
        try
        {
            // Written synchronously: a write to the page cache takes microseconds, while FileStream's async path on Unix
            // hands every buffer flush to the thread pool (two thread switches per 64 KiB, a large share of the CPU per
            // instance on a busy host). The fsync that makes the instance durable is the store's, not this one's.
            // Unbuffered: the fragments arrive as slices of the transport's 64 KiB read segments, so FileStream's own
            // 64 KiB buffer (allocated per file) only added a copy of each instance.
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.None))
            {
                Client.Part10Header.Write(file, store.AffectedSopClassUid, store.AffectedSopInstanceUid, ts, association.CallingAeTitle.Trim());
                await foreach (var chunk in message.ReadDataSetOnSocketThreadAsync(ct))
                {
                    idle.CancelAfter(Options.IdleTimeout);
                    file.Write(chunk.Span);
                }
            }
            if (!DicomUidTextOk(store.AffectedSopClassUid) || !DicomUidTextOk(store.AffectedSopInstanceUid))
                return new StoreScpResult(DimseStatus.CannotUnderstand, "The command's SOP Class or SOP Instance UID is not a UID.");
            await Association.LeaveSocketThreadAsync();
            try
            {
                return await _store.StoreAsync(new StoreScpRequest(path, store.AffectedSopClassUid, store.AffectedSopInstanceUid, ts, association.CallingAeTitle.Trim(), association.CalledAeTitle.Trim(), remote?.ToString(), associationId), ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _log.LogError(ex, "The store handler failed for an instance from {Calling}", association.CallingAeTitle);
                return new StoreScpResult(DimseStatus.CannotUnderstand, "The instance could not be processed.");
            }
        }
        finally
        {
            TryDelete(path);
        }
    }

    /// <summary>Error Comment (0000,0902) is LO: at most 64 characters, no backslash or control characters (PS3.5 §6.2).</summary>
    private static string? ErrorComment(string? text)
    {
        if (text == null) return null;
        var clean = new string(text.Select(c => c is '\\' || char.IsControl(c) || c > '~' ? ' ' : c).ToArray()).Trim();
        return clean.Length <= 64 ? clean : clean[..64].TrimEnd();
    }

    private static bool DicomUidTextOk(string uid) => uid.Length is > 0 and <= 64 && uid.All(c => c is '.' or (>= '0' and <= '9'));

    private void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException ex)
        {
            _log.LogError(ex, "Could not delete a spooled file");
        }
        catch (UnauthorizedAccessException ex)
        {
            _log.LogError(ex, "Could not delete a spooled file");
        }
    }
}
