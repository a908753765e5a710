using System.Net.Sockets;
using System.Text;

namespace MedNode.Core.Audit.Export;

/// <summary>One destination of the PS3.15 audit messages. Called by one writer at a time; throws when the message could not be delivered.</summary>
public interface IAuditMessageSink : IAsyncDisposable
{
    /// <summary>A short, fixed name for logs and metrics ("file", "syslog-udp", "syslog-tcp").</summary>
    string Name { get; }

    /// <param name="success">Whether the event's outcome is success (the syslog severity follows it).</param>
    Task SendAsync(string xml, bool success, CancellationToken cancellationToken);
}

/// <summary>
/// Appends each message to a file as one line (the XML holds no line break: <see cref="AuditMessageXml"/> writes those as
/// character references), so that the file can be tailed, rotated by line and read back one message at a time.
/// </summary>
public sealed class FileAuditMessageSink(string path) : IAuditMessageSink
{
    private FileStream? _file;

    public string Name => "file";

    public async Task SendAsync(string xml, bool success, CancellationToken cancellationToken)
    {
        if (_file == null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, useAsync: true);
        }
        await _file.WriteAsync(Encoding.UTF8.GetBytes(xml + "\n"), cancellationToken);
        await _file.FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_file != null) await _file.DisposeAsync();
    }
}

/// <summary>RFC 5426: each RFC 5424 message in one UDP datagram. No delivery guarantee, as with any syslog over UDP.</summary>
public sealed class UdpSyslogSink(AuditSyslogOptions options, TimeProvider time) : IAuditMessageSink
{
    /// <summary>The largest UDP payload over IPv4 (RFC 5426 §3.2).</summary>
    public const int MaxDatagram = 65_507;

    private UdpClient? _udp;

    public string Name => "syslog-udp";

    public async Task SendAsync(string xml, bool success, CancellationToken cancellationToken)
    {
        var message = SyslogMessage.Format(options, time.GetUtcNow(), success, xml);
        if (message.Length > MaxDatagram) throw new InvalidOperationException($"The audit message is {message.Length} bytes, more than a UDP datagram holds");
        _udp ??= new UdpClient(options.Host!, options.Port);
        await _udp.SendAsync(message, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _udp?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// RFC 5424 messages over one TCP connection with RFC 6587 §3.4.1 octet-counting framing (the framing RFC 5425 uses over
/// TLS). The connection is opened on the first message and again after a failure.
/// </summary>
public sealed class TcpSyslogSink(AuditSyslogOptions options, TimeProvider time) : IAuditMessageSink
{
    private TcpClient? _tcp;
    private NetworkStream? _stream;

    public string Name => "syslog-tcp";

    public async Task SendAsync(string xml, bool success, CancellationToken cancellationToken)
    {
        var framed = SyslogMessage.OctetCounted(SyslogMessage.Format(options, time.GetUtcNow(), success, xml));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            if (_stream == null)
            {
                _tcp = new TcpClient { NoDelay = true };
                await _tcp.ConnectAsync(options.Host!, options.Port, timeout.Token);
                _stream = _tcp.GetStream();
            }
            await _stream.WriteAsync(framed, timeout.Token);
            await _stream.FlushAsync(timeout.Token);
        }
        catch
        {
            Close();
            throw;
        }
    }

    private void Close()
    {
        _stream?.Dispose();
        _tcp?.Dispose();
        _stream = null;
        _tcp = null;
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }
}
