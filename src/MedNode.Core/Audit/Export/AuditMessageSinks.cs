using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MedNode.Dicom.Network.Tls;

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
/// RFC 5424 messages over one TCP connection with RFC 6587 §3.4.1 octet-counting framing, or over TLS with the same framing
/// (RFC 5425 §4.3) when <see cref="AuditSyslogOptions.Transport"/> is <see cref="SyslogTransport.Tls"/>: the server's
/// certificate must chain to <see cref="AuditSyslogOptions.TlsTrustedAuthorities"/> (else the system's roots) and carry the
/// server's name; this node presents <see cref="AuditSyslogOptions.TlsCertificateFile"/> when set. The connection is opened
/// on the first message and again after a failure.
/// </summary>
public sealed class TcpSyslogSink : IAuditMessageSink
{
    private readonly AuditSyslogOptions _options;
    private readonly TimeProvider _time;
    private readonly X509Certificate2Collection? _clientCertificate;
    private readonly X509Certificate2Collection? _authorities;
    private TcpClient? _tcp;
    private Stream? _stream;

    public TcpSyslogSink(AuditSyslogOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        if (options.Transport != SyslogTransport.Tls) return;
        if (!string.IsNullOrEmpty(options.TlsCertificateFile))
        {
            var (leaf, chain) = DicomTlsCertificates.LoadPem(options.TlsCertificateFile, options.TlsKeyFile);
            _clientCertificate = [leaf, .. chain];
        }
        if (!string.IsNullOrEmpty(options.TlsTrustedAuthorities)) _authorities = DicomTlsCertificates.LoadAuthorities(options.TlsTrustedAuthorities);
    }

    public string Name => _options.Transport == SyslogTransport.Tls ? "syslog-tls" : "syslog-tcp";

    public async Task SendAsync(string xml, bool success, CancellationToken cancellationToken)
    {
        var framed = SyslogMessage.OctetCounted(SyslogMessage.Format(_options, _time.GetUtcNow(), success, xml));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            if (_stream == null)
            {
                _tcp = new TcpClient { NoDelay = true };
                await _tcp.ConnectAsync(_options.Host!, _options.Port, timeout.Token);
                _stream = _tcp.GetStream();
                if (_options.Transport == SyslogTransport.Tls) _stream = await AuthenticateAsync(_stream, timeout.Token);
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

    private async Task<SslStream> AuthenticateAsync(Stream network, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        var policy = new X509ChainPolicy { RevocationMode = X509RevocationMode.NoCheck };
        if (_authorities != null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(_authorities);
        }
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = _options.TlsServerName ?? _options.Host,
            ClientCertificates = _clientCertificate,
            CertificateChainPolicy = policy,
        }, cancellationToken);
        return ssl;
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
