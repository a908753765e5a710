using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MedNode.Dicom.Network.Diagnostics;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Dicom.Network.Server;

/// <summary>
/// The DIMSE listener: accepts TCP connections (TCP_NODELAY), negotiates each association with
/// <see cref="DicomServerPolicy"/>, and serves C-ECHO (PS3.4 Annex A) and C-STORE (PS3.4 Annex B) on it, one
/// message at a time. A protocol violation or a silent peer ends only its own association. Each association logs
/// inside a scope carrying its <c>AssociationId</c> and feeds <see cref="DicomNetworkMetrics"/>. With
/// <see cref="DicomServerOptions.Tls"/> it also listens for DICOM over TLS (PS3.15 Annex B.10), on its own port or instead
/// of the unencrypted listener.
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
    private Socket? _tlsListener;
    private readonly List<Task> _acceptLoops = [];
    private int _active;
    private int _nextConnectionId;

    public DicomServer(DicomServerOptions options, IStoreScpHandler storeHandler, ILogger<DicomServer>? logger = null)
    {
        options.Validate();
        Options = options;
        _access = new DicomServerAccess([options.AeTitle, .. options.AdditionalAeTitles], options.AllowedPeers, options.RequireKnownPeers)
        {
            Destinations = options.AllowedPeers.Where(p => !string.IsNullOrEmpty(p.Host)).ToList(),
        };
        _access.Validate();
        _store = storeHandler;
        _log = (ILogger?)logger ?? NullLogger.Instance;
    }

    public DicomServerOptions Options { get; }

    private volatile DicomServerAccess _access;

    /// <summary>The called AE titles, known peers and their services now in force (initially from <see cref="Options"/>).</summary>
    public DicomServerAccess Access => _access;

    /// <summary>
    /// Replaces the called AE titles and known peers while the server runs: associations negotiated from now on use the
    /// new ones; those already established keep what they were granted.
    /// </summary>
    public void UpdateAccess(DicomServerAccess access)
    {
        ArgumentNullException.ThrowIfNull(access);
        access.Validate();
        _access = access;
        _log.LogInformation("DIMSE access updated: {Local} local AE title(s), {Peers} known peer(s)", access.CalledAeTitles.Count, access.Peers.Count);
    }

    /// <summary>Told when each accepted association ends (normal release or not); optional.</summary>
    public IAssociationObserver? AssociationObserver { get; init; }

    /// <summary>
    /// The port listened on (the chosen one when <see cref="DicomServerOptions.Port"/> is 0); the TLS port when TLS is
    /// served instead of the unencrypted listener. Kept after the listener closed, so a readiness probe during a stop
    /// still reads it.
    /// </summary>
    public int Port => Volatile.Read(ref _boundPort) is > 0 and var bound ? bound : Options.Port;

    private int _boundPort;

    /// <summary>Associations being served now.</summary>
    public int ActiveAssociations => Volatile.Read(ref _active);

    /// <summary>Whether the listener is bound and accepting (false before start and once stopping).</summary>
    public bool IsListening => (_listener != null || _tlsListener != null) && !Volatile.Read(ref _stopRequested);

    /// <summary>Binds and starts accepting; returns once the ports are open.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_listener != null || _tlsListener != null) throw new InvalidOperationException("The server is started already.");
        var tls = Options.Tls;
        // The certificate context (with its chain) is built once and shared by every handshake.
        if (tls != null) _tlsContext = DicomTls.CreateContext(tls.Certificate, tls.CertificateChain);
        try
        {
            if (tls == null || tls.Port != null) _listener = Listen(Options.Port);
            if (tls != null) _tlsListener = Listen(tls.Port ?? Options.Port);
        }
        catch
        {
            _listener?.Dispose();
            _listener = null;
            throw;
        }
        Volatile.Write(ref _boundPort, (_listener ?? _tlsListener)?.LocalEndPoint is IPEndPoint bound ? bound.Port : 0);
        if (_listener != null)
        {
            _log.LogInformation("DIMSE listening on {Endpoint} as {AeTitle}", _listener.LocalEndPoint, Options.AeTitle);
            _acceptLoops.Add(AcceptLoopAsync(_listener, tls: false, _draining.Token));
        }
        if (_tlsListener != null)
        {
            _log.LogInformation("DIMSE over TLS listening on {Endpoint} as {AeTitle}, client certificate {Required}", _tlsListener.LocalEndPoint, Options.AeTitle,
                tls!.RequireClientCertificate ? "required" : "not required");
            _acceptLoops.Add(AcceptLoopAsync(_tlsListener, tls: true, _draining.Token));
        }
        return Task.CompletedTask;
    }

    private Socket Listen(int port)
    {
        var listener = new Socket(Options.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(Options.BindAddress, port));
            listener.Listen(128);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Graceful stop: closes the listener, lets every message already received finish (a C-STORE is stored and its
    /// response sent), then aborts each association at its next message boundary (A-ABORT, PS3.8 §7.3). When
    /// <paramref name="cancellationToken"/> fires first, what is still running is cut off.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_listener == null && _tlsListener == null) return;
        // Close the listeners before anything awaits: once StopAsync returns its task, no new connection is accepted.
        Volatile.Write(ref _stopRequested, true);
        _listener?.Dispose();
        _tlsListener?.Dispose();
        await _draining.CancelAsync();
        await Task.WhenAll(_acceptLoops);
        await using var hard = cancellationToken.Register(_stopping.Cancel);
        await Task.WhenAll(_connections.Values);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true));
        _draining.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, bool tls, CancellationToken ct)
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
            var task = Task.Run(() => ServeConnectionAsync(socket, tls), CancellationToken.None);
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

    private async Task ServeConnectionAsync(Socket socket, bool tls)
    {
        var remote = (socket.RemoteEndPoint as IPEndPoint)?.Address;
        var associationId = Guid.NewGuid().ToString("N")[..16];
        using var scope = _log.BeginScope(new Dictionary<string, object> { ["AssociationId"] = associationId });
        using var negotiation = CancellationTokenSource.CreateLinkedTokenSource(_draining.Token, _stopping.Token);
        SocketTransport transport;
        if (!tls) transport = new SocketTransport(socket);
        else if (await HandshakeAsync(socket, remote, negotiation.Token) is { } secured) transport = secured;
        else return;
        var peerSubject = transport.Tls?.RemoteCertificate?.Subject;
        var established = false;
        var released = false;
        string? callingAe = null, calledAe = null;
        var policy = new DicomServerPolicy(this, remote);
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
            // Only once associated: the negotiation and its rejections (which audit) keep the runtime's default.
            if (Options.InlineSocketCompletions) SocketTransport.TryPreferInlineCompletions(socket);
            (callingAe, calledAe) = (association.CallingAeTitle.Trim(), association.CalledAeTitle.Trim());
            if (policy.StorageCommitmentRefused)
                await RaiseAsync(new DicomSecurityEvent(DicomSecurityEventKind.StorageCommitmentRefused, remote,
                    "Storage Commitment presentation context user-rejected: the calling AE lacks the Commitment permission", callingAe, calledAe, peerSubject));
            DicomNetworkMetrics.AssociationsAccepted.Add(1);
            DicomNetworkMetrics.AssociationsActive.Add(1);
            released = await ServeAssociationAsync(association, remote, associationId, policy.Services, _draining.Token, _stopping.Token);
        }
        catch (AssociationRejectedException ex)
        {
            // Logged by the association, without patient data.
            if (!ex.ByPeer)
            {
                var reason = DicomNetworkMetrics.RejectReason(ex.Reject);
                DicomNetworkMetrics.AssociationsRejected.Add(1, new KeyValuePair<string, object?>(DicomNetworkMetrics.ReasonTag, reason));
                await RaiseAsync(new DicomSecurityEvent(DicomSecurityEventKind.AssociationRejected, remote, reason, policy.CallingAeTitle, policy.CalledAeTitle, peerSubject));
            }
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
        await Association.LeaveSocketThreadAsync();
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
