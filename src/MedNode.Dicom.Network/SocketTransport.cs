using System.Net.Sockets;

namespace MedNode.Dicom.Network;

/// <summary>
/// A TCP connection as an <see cref="IDuplexPipe"/> (PS3.8 §9.1), with TCP_NODELAY set so that small PDUs are not
/// held back by Nagle's algorithm. The association that is given it closes it.
/// </summary>
public sealed class SocketTransport : IDuplexPipe, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    public SocketTransport(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public System.Net.EndPoint? RemoteEndPoint => _socket.RemoteEndPoint;

    /// <summary>Whether TCP_NODELAY is set (it always is, unless changed on the socket afterwards).</summary>
    public bool NoDelay => _socket.NoDelay;

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

    public ValueTask DisposeAsync()
    {
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
        _stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
