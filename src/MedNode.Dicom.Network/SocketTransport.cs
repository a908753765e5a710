using System.Net.Security;
using System.Net.Sockets;

namespace MedNode.Dicom.Network;

/// <summary>
/// A TCP connection as an <see cref="IDuplexPipe"/> (PS3.8 §9.1), with TCP_NODELAY set so that small PDUs are not
/// held back by Nagle's algorithm. The association that is given it closes it. Over DICOM TLS (PS3.15 Annex B.10) the
/// pipes read and write the <see cref="SslStream"/> that wraps the socket (see <see cref="Tls.DicomTls"/>).
/// </summary>
public sealed class SocketTransport : IDuplexPipe, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;

    public SocketTransport(Socket socket)
        : this(socket, new NetworkStream(socket, ownsSocket: true))
    {
    }

    /// <summary>A transport over <paramref name="stream"/>, which wraps <paramref name="socket"/> and owns it.</summary>
    internal SocketTransport(Socket socket, Stream stream)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = stream;
        Input = PipeReader.Create(_stream, ReaderOptions);
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>
    /// Reads of up to 64 KiB into pooled segments. With the default 4 KiB segments a 256 KiB P-DATA-TF (MedNode's
    /// announced Maximum Length) took 64 socket reads, each an async round trip through the pipe, and its PDVs were
    /// handed on in 4 KiB slices; the PDU is held whole either way until it is framed.
    /// </summary>
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true);

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public System.Net.EndPoint? RemoteEndPoint => _socket.RemoteEndPoint;

    /// <summary>The TLS session when the connection is secured (PS3.15 Annex B.10); null over plain TCP.</summary>
    public SslStream? Tls => _stream as SslStream;

    /// <summary>Whether TCP_NODELAY is set (it always is, unless changed on the socket afterwards).</summary>
    public bool NoDelay => _socket.NoDelay;

    private static readonly System.Reflection.PropertyInfo? PreferInlineCompletionsProperty =
        typeof(Socket).GetProperty("PreferInlineCompletions", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic);

    /// <summary>
    /// Asks the runtime to run the continuations of <paramref name="socket"/>'s asynchronous operations on the thread that
    /// polls the sockets (epoll on Linux) instead of queueing them to the thread pool: one thread switch less per read that
    /// has to wait. .NET exposes this per socket only as an internal, experimental property (the process-wide equivalent is
    /// the <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> variable); where the property is absent, nothing changes.
    /// Code that continues on that thread must hand anything long to the thread pool, or it delays every other socket of
    /// the process. Returns whether the setting was made.
    /// </summary>
    public static bool TryPreferInlineCompletions(Socket socket)
    {
        if (PreferInlineCompletionsProperty is not { CanWrite: true } property || property.PropertyType != typeof(bool)) return false;
        try
        {
            property.SetValue(socket, true);
            return true;
        }
        catch (System.Reflection.TargetInvocationException)
        {
            return false;
        }
    }

    /// <summary>Opens a TCP connection (the TRANSPORT CONNECT of PS3.8 §9.1.2) with TCP_NODELAY.</summary>
    public static async Task<SocketTransport> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
            return new SocketTransport(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is SslStream ssl)
        {
            try
            {
                // TLS close_notify, so that the peer sees an orderly end of the TLS session.
                await ssl.ShutdownAsync();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
            {
                // The peer has gone, or the handshake never completed.
            }
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
        await _stream.DisposeAsync();
    }
}
