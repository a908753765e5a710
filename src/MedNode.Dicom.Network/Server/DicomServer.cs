using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MedNode.Dicom.Network.Dimse;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Dicom.Network.Server;

/// <summary>
/// The DIMSE listener: accepts TCP connections (TCP_NODELAY), negotiates each association with
/// <see cref="DicomServerPolicy"/>, and serves C-ECHO (PS3.4 Annex A) and C-STORE (PS3.4 Annex B) on it, one
/// message at a time. A protocol violation or a silent peer ends only its own association.
/// </summary>
public sealed partial class DicomServer : IAsyncDisposable
{
    private readonly IStoreScpHandler _store;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<int, Task> _connections = new();
    private readonly Dictionary<string, int> _perCallingAe = new(StringComparer.Ordinal);
    private readonly Lock _limitsLock = new();
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

    /// <summary>The port listened on (the chosen one when <see cref="DicomServerOptions.Port"/> is 0).</summary>
    public int Port => _listener?.LocalEndPoint is IPEndPoint ep ? ep.Port : Options.Port;

    /// <summary>Associations being served now.</summary>
    public int ActiveAssociations => Volatile.Read(ref _active);

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
        _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
        return Task.CompletedTask;
    }

    /// <summary>Stops listening and aborts the associations still open.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_listener == null) return;
        await _stopping.CancelAsync();
        _listener.Dispose();
        if (_acceptLoop != null) await _acceptLoop;
        await Task.WhenAll(_connections.Values).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
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
                if (ct.IsCancellationRequested) return;
                continue;
            }
            var id = Interlocked.Increment(ref _nextConnectionId);
            var task = Task.Run(() => ServeConnectionAsync(socket, ct), CancellationToken.None);
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

    private async Task ServeConnectionAsync(Socket socket, CancellationToken ct)
    {
        var remote = (socket.RemoteEndPoint as IPEndPoint)?.Address;
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
            await using var association = await Association.AcceptAsync(transport, policy, associationOptions, ct);
            await ServeAssociationAsync(association, remote, ct);
        }
        catch (AssociationRejectedException)
        {
            // Logged by the association, without patient data.
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
        }
    }
}
