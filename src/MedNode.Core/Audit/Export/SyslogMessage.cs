using System.Globalization;
using System.Text;

namespace MedNode.Core.Audit.Export;

/// <summary>
/// An RFC 5424 syslog message carrying one audit message (IHE ITI-20 "Record Audit Event"):
/// <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - [BOM]MSG</c>, no structured data. PRI is facility × 8 +
/// severity; the severity is Notice (5) for a success and Warning (4) otherwise. TIMESTAMP is the node's clock
/// (<see cref="TimeProvider"/>) at sending, in UTC with milliseconds.
/// </summary>
public static class SyslogMessage
{
    public const int SeverityWarning = 4;
    public const int SeverityNotice = 5;

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>The message's bytes (UTF-8).</summary>
    public static byte[] Format(AuditSyslogOptions options, DateTimeOffset timestamp, bool success, string xml)
    {
        var facility = Math.Clamp(options.Facility, 0, 23);
        var pri = facility * 8 + (success ? SeverityNotice : SeverityWarning);
        var header = string.Create(CultureInfo.InvariantCulture,
            $"<{pri}>1 {timestamp.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {Field(options.Hostname ?? Environment.MachineName, 255)} {Field(options.AppName, 48)} {Environment.ProcessId} {Field(options.MsgId, 32)} - ");
        var body = Encoding.UTF8.GetBytes(xml);
        var head = Encoding.ASCII.GetBytes(header);
        var bom = options.Bom ? Bom : [];
        var message = new byte[head.Length + bom.Length + body.Length];
        head.CopyTo(message, 0);
        bom.CopyTo(message, head.Length);
        body.CopyTo(message, head.Length + bom.Length);
        return message;
    }

    /// <summary>RFC 6587 §3.4.1 octet counting: the length in decimal, a space, the message.</summary>
    public static byte[] OctetCounted(byte[] message)
    {
        var prefix = Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture) + " ");
        var framed = new byte[prefix.Length + message.Length];
        prefix.CopyTo(framed, 0);
        message.CopyTo(framed, prefix.Length);
        return framed;
    }

    /// <summary>A header field: printable US-ASCII (33–126) only, at most <paramref name="max"/> characters, "-" when empty (RFC 5424 §6).</summary>
    private static string Field(string? value, int max)
    {
        var sb = new StringBuilder();
        foreach (var c in value ?? "")
        {
            if (sb.Length == max) break;
            if (c is >= (char)33 and <= (char)126) sb.Append(c);
        }
        return sb.Length == 0 ? "-" : sb.ToString();
    }
}
