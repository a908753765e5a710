namespace MedNode.Core.Audit.Export;

/// <summary>
/// <c>MedNode:Audit:Export</c>: an optional copy of every audit trail row as a PS3.15 §A.5.1 audit message, to a file
/// and/or to a syslog server (an Audit Record Repository). The database trail stays authoritative: the export never
/// blocks an append and never fails one.
/// </summary>
public sealed class AuditExportOptions
{
    public const string Section = "MedNode:Audit:Export";

    /// <summary>A file to append the messages to, one XML message per line (UTF-8, no declaration). Null: no file.</summary>
    public string? File { get; set; }

    /// <summary>A syslog server (RFC 5424). Null or without <see cref="AuditSyslogOptions.Host"/>: no syslog.</summary>
    public AuditSyslogOptions? Syslog { get; set; }

    /// <summary>AuditSourceID of the messages (PS3.15 §A.5.2); default: the machine name.</summary>
    public string? AuditSourceId { get; set; }

    /// <summary>AuditEnterpriseSiteID of the messages, if set.</summary>
    public string? AuditEnterpriseSiteId { get; set; }

    /// <summary>Messages waiting to be sent; when full, new ones are dropped (and counted).</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Attempts per message and destination before it is dropped (and counted).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait between two attempts.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public bool Enabled => !string.IsNullOrWhiteSpace(File) || !string.IsNullOrWhiteSpace(Syslog?.Host);

    /// <summary>The problems, each naming its setting; empty when valid or when the export is off.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enabled) return errors;
        if (Syslog is { Host.Length: > 0 } s)
        {
            // RFC 5424 §6.2.1: facilities 0 to 23.
            if (s.Facility is < 0 or > 23) errors.Add($"{Section}:Syslog:Facility must be 0 to 23, not {s.Facility}.");
            if (s.Port is < 1 or > 65535) errors.Add($"{Section}:Syslog:Port must be 1 to 65535, not {s.Port}.");
        }
        if (MaxAttempts < 1) errors.Add($"{Section}:MaxAttempts must be at least 1, not {MaxAttempts}.");
        if (QueueCapacity < 1) errors.Add($"{Section}:QueueCapacity must be at least 1, not {QueueCapacity}.");
        return errors;
    }
}

/// <summary>Transport of the syslog messages.</summary>
public enum SyslogTransport
{
    /// <summary>RFC 5426: one message per datagram.</summary>
    Udp,

    /// <summary>RFC 6587 §3.4.1 octet counting over plain TCP ("LEN SP MSG").</summary>
    Tcp,

    /// <summary>RFC 5425: the same octet-counted messages over TLS (IHE ATNA secure node), optionally with a client certificate.</summary>
    Tls,
}

/// <summary>The syslog server and the RFC 5424 header fields (IHE ITI-20 conventions by default).</summary>
public sealed class AuditSyslogOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 514;

    public SyslogTransport Transport { get; set; } = SyslogTransport.Udp;

    /// <summary>RFC 5424 facility: 10 (security/authorization, authpriv) as IHE ATNA uses, or 13 (log audit).</summary>
    public int Facility { get; set; } = 10;

    /// <summary>APP-NAME (at most 48 printable ASCII characters).</summary>
    public string AppName { get; set; } = "mednode";

    /// <summary>MSGID: "IHE+RFC-3881" for the IHE ATNA / DICOM audit message format (at most 32 characters).</summary>
    public string MsgId { get; set; } = "IHE+RFC-3881";

    /// <summary>HOSTNAME; default: the machine name.</summary>
    public string? Hostname { get; set; }

    /// <summary>Start MSG with the UTF-8 byte order mark (RFC 5424 §6.4, MSG-UTF8).</summary>
    public bool Bom { get; set; } = true;

    /// <summary>Connect, TLS handshake and send timeout of the TCP and TLS transports.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>TLS: PEM file (or folder of .pem/.crt files) of the authorities the server's certificate must chain to; default: the system's.</summary>
    public string? TlsTrustedAuthorities { get; set; }

    /// <summary>TLS: this node's certificate (PEM) for mutual authentication, as IHE ATNA requires; with <see cref="TlsKeyFile"/>.</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>TLS: the private key (PEM) of <see cref="TlsCertificateFile"/>; null when the certificate file holds it.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>TLS: the name the server's certificate must carry; default: <see cref="Host"/>.</summary>
    public string? TlsServerName { get; set; }
}
