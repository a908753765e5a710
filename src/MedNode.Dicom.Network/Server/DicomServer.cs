using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MedNode.Dicom.Network.Diagnostics;
using MedNode.Dicom.Network.Dimse;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Dicom.Network.Server;

/// <summary>
/// The DIMSE listener: accepts TCP connections (TCP_NODELAY), negotiates each association with
/// <see cref="DicomServerPolicy"/>, and serves C-ECHO (PS3.4 Annex A) and C-STORE (PS3.4 Annex B) on it, one
/// message at a time. A protocol violation or a silent peer ends only its own association. Each association logs
/// inside a scope carrying its <c>AssociationId</c> and feeds <see cref="DicomNetworkMetrics"/>.
/// </summary>
public sealed partial class DicomServer : IAsyncDisposable
{
    private readonly IStoreScpHandler _store;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<int, Task> _connections = new();
    private readonly Dictionary<string, int> _perCallingAe = new(StringComparer.Ordinal);
    private readonly Lock _limitsLock = new();
    // _draining: stop accepting and end associations at their next message boundary; _stopping: cut everything now.
    private readonly CancellationTokenSource _draining = new();
    private bool _stopRequested;
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _active;
    private int _nextConnectionId;

    public DicomServer(DicomServerOptions options, IStoreScpHandler storeHandler, ILogger<DicomServer>? logger = null)
    {
        options.Validate();
        Options = options;
        _store = storeHandler;
        _log = (ILogger?)logger ?? NullLogger.Instance;
    }

    public DicomServerOptions Options { get; }

    /// <summary>Told when each accepted association ends (normal release or not); optional.</summary>
    public IAssociationObserver? AssociationObserver { get; init; }

    /// <summary>The port listened on (the chosen one when <see cref="DicomServerOptions.Port"/> is 0).</summary>
    public int Port => _listener?.LocalEndPoint is IPEndPoint ep ? ep.Port : Options.Port;

    /// <summary>Associations being served now.</summary>
    public int ActiveAssociations => Volatile.Read(ref _active);

    /// <summary>Whether the listener is bound and accepting (false before start and once stopping).</summary>
    public bool IsListening => _listener != null && !Volatile.Read(ref _stopRequested);

    /// <summary>Binds and starts accepting; returns once the port is open.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_listener != null) throw new InvalidOperationException("The server is started already.");
        var listener = new Socket(Options.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(Options.BindAddress, Options.Port));
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        _log.LogInformation("DIMSE listening on {Endpoint} as {AeTitle}", listener.LocalEndPoint, Options.AeTitle);
        _acceptLoop = AcceptLoopAsync(listener, _draining.Token);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Graceful stop: closes the listener, lets every message already received finish (a C-STORE is stored and its
    /// response sent), then aborts each association at its next message boundary (A-ABORT, PS3.8 §7.3). When
    /// <paramref name="cancellationToken"/> fires first, what is still running is cut off.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_listener == null) return;
        // Close the listener before anything awaits: once StopAsync returns its task, no new connection is accepted.
        Volatile.Write(ref _stopRequested, true);
        _listener.Dispose();
        await _draining.CancelAsync();
        if (_acceptLoop != null) await _acceptLoop;
        await using var hard = cancellationToken.Register(_stopping.Cancel);
        await Task.WhenAll(_connections.Values);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true));
        _draining.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(ct);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (ct.IsCancellationRequested || Volatile.Read(ref _stopRequested)) return;
                continue;
            }
            var id = Interlocked.Increment(ref _nextConnectionId);
            var task = Task.Run(() => ServeConnectionAsync(socket), CancellationToken.None);
            _connections[id] = task;
            _ = task.ContinueWith(_ => _connections.TryRemove(id, out Task? _), TaskScheduler.Default);
        }
    }

    internal bool TryReserve(string callingAe)
    {
        lock (_limitsLock)
        {
            var perAe = _perCallingAe.GetValueOrDefault(callingAe);
            if (_active >= Options.MaxAssociations || perAe >= Options.MaxAssociationsPerCallingAe) return false;
            _perCallingAe[callingAe] = perAe + 1;
            _active++;
            return true;
        }
    }

    private void Release(string callingAe)
    {
        lock (_limitsLock)
        {
            var perAe = _perCallingAe.GetValueOrDefault(callingAe) - 1;
            if (perAe <= 0) _perCallingAe.Remove(callingAe);
            else _perCallingAe[callingAe] = perAe;
            _active--;
        }
    }

    private async Task ServeConnectionAsync(Socket socket)
    {
        var remote = (socket.RemoteEndPoint as IPEndPoint)?.Address;
        var associationId = Guid.NewGuid().ToString("N")[..16];
        using var scope = _log.BeginScope(new Dictionary<string, object> { ["AssociationId"] = associationId });
        using var negotiation = CancellationTokenSource.CreateLinkedTokenSource(_draining.Token, _stopping.Token);
        var established = false;
        var released = false;
        string? callingAe = null, calledAe = null;
        var policy = new DicomServerPolicy(this, remote);
        var transport = new SocketTransport(socket);
        var associationOptions = new AssociationOptions
        {
            ArtimTimeout = Options.ArtimTimeout,
            TimeProvider = Options.TimeProvider,
            MaxPduLength = Options.MaxPduLength,
            Logger = _log,
        };
        try
        {
            await using var association = await Association.AcceptAsync(transport, policy, associationOptions, negotiation.Token);
            established = true;
            (callingAe, calledAe) = (association.CallingAeTitle.Trim(), association.CalledAeTitle.Trim());
            DicomNetworkMetrics.AssociationsAccepted.Add(1);
            DicomNetworkMetrics.AssociationsActive.Add(1);
            released = await ServeAssociationAsync(association, remote, associationId, _draining.Token, _stopping.Token);
        }
        catch (AssociationRejectedException ex)
        {
            // Logged by the association, without patient data.
            if (!ex.ByPeer) DicomNetworkMetrics.AssociationsRejected.Add(1, new KeyValuePair<string, object?>(DicomNetworkMetrics.ReasonTag, DicomNetworkMetrics.RejectReason(ex.Reject)));
        }
        catch (AssociationAbortedException ex)
        {
            _log.LogWarning("Association from {Remote} aborted: {Reason}", remote, ex.Message);
        }
        catch (OperationCanceledException)
        {
            _log.LogInformation("Association from {Remote} ended: server stopping or peer idle", remote);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _log.LogWarning("Association from {Remote} ended abnormally: {Error}", remote, ex.GetType().Name);
        }
        finally
        {
            if (policy.ReservedCallingAe is { } calling) Release(calling);
            if (established) DicomNetworkMetrics.AssociationsActive.Add(-1);
        }
        if (established && AssociationObserver != null) await NotifyEndedAsync(new AssociationEnded(associationId, callingAe!, calledAe!, released));
    }

    private async Task NotifyEndedAsync(AssociationEnded ended)
    {
        try
        {
            await AssociationObserver!.OnAssociationEndedAsync(ended, _stopping.Token);
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "The association observer failed");
        }
    }
}
