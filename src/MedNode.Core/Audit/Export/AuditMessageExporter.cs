using System.Threading.Channels;
using MedNode.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Audit.Export;

/// <summary>
/// Sends every appended audit trail row, as a PS3.15 §A.5.1 audit message (<see cref="AuditMessageXml"/>), to the configured
/// sinks, off the append path: <see cref="Post"/> only queues. A message that a sink cannot take is tried
/// <see cref="AuditExportOptions.MaxAttempts"/> times, <see cref="AuditExportOptions.RetryDelay"/> apart (TimeProvider),
/// then dropped; a full queue drops the newest message. Each outcome is counted in
/// <see cref="MedNodeMetrics.AuditExports"/>; a failing destination is logged once as a warning (then at debug level until
/// it works again) with the sink and the event code only (no patient data).
/// The trail in the database is the record of authority; this is a copy for an Audit Record Repository.
/// </summary>
public sealed partial class AuditMessageExporter : IAsyncDisposable
{
    private readonly Channel<(AuditRecord Row, AuditQueryPayload? Query)> _queue;
    private readonly IReadOnlyList<IAuditMessageSink> _sinks;
    private readonly AuditExportOptions _options;
    private readonly AuditSource _source;
    private readonly bool _hideQueryValues;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HashSet<string> _failing = [];

    public AuditMessageExporter(IReadOnlyList<IAuditMessageSink> sinks, AuditExportOptions options, AuditOptions auditOptions, TimeProvider time, ILogger<AuditMessageExporter>? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        _sinks = sinks;
        _options = options;
        _source = new AuditSource(string.IsNullOrWhiteSpace(options.AuditSourceId) ? Environment.MachineName : options.AuditSourceId, options.AuditEnterpriseSiteId);
        _hideQueryValues = auditOptions.HashPatientIdentifiers;
        _time = time;
        _log = (ILogger?)logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<(AuditRecord, AuditQueryPayload?)>(new BoundedChannelOptions(options.QueueCapacity) { SingleReader = true });
    }

    /// <summary>Builds the sinks <paramref name="options"/> names.</summary>
    public static IReadOnlyList<IAuditMessageSink> CreateSinks(AuditExportOptions options, TimeProvider time)
    {
        var sinks = new List<IAuditMessageSink>();
        if (!string.IsNullOrWhiteSpace(options.File)) sinks.Add(new FileAuditMessageSink(options.File));
        if (options.Syslog is { Host: { Length: > 0 } } syslog)
            sinks.Add(syslog.Transport == SyslogTransport.Udp ? new UdpSyslogSink(syslog, time) : new TcpSyslogSink(syslog, time));
        return sinks;
    }

    /// <summary>Queues a row for export; false (and counted as dropped) when the queue is full.</summary>
    public bool Post(AuditRecord row, AuditQueryPayload? query)
    {
        if (_queue.Writer.TryWrite((row, query))) return true;
        MedNodeMetrics.AuditExports.Add(1, new(MedNodeMetrics.SinkTag, "queue"), new(MedNodeMetrics.OutcomeTag, "dropped"));
        return false;
    }

    /// <summary>Sends queued messages until <paramref name="stoppingToken"/> is cancelled, then sends what is still queued, once each.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_queue.Reader.TryRead(out var item)) await SendAsync(item.Row, item.Query, _options.MaxAttempts, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the rows appended before the stop (Application Stop among them) are still sent below.
        }
        while (_queue.Reader.TryRead(out var item)) await SendAsync(item.Row, item.Query, 1, CancellationToken.None);
    }

    private async Task SendAsync(AuditRecord row, AuditQueryPayload? query, int attempts, CancellationToken ct)
    {
        string xml;
        try
        {
            xml = AuditMessageXml.Write(row, _source, query, _hideQueryValues);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFormatFailed(_log, row.EventCode, ex.GetType().Name);
            return;
        }
        foreach (var sink in _sinks)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await sink.SendAsync(xml, row.Outcome == 0, ct);
                    MedNodeMetrics.AuditExports.Add(1, new(MedNodeMetrics.SinkTag, sink.Name), new(MedNodeMetrics.OutcomeTag, "sent"));
                    if (_failing.Remove(sink.Name)) LogRecovered(_log, sink.Name);
                    break;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException && !(ex is OperationCanceledException && ct.IsCancellationRequested))
                {
                    if (attempt >= attempts)
                    {
                        // The exception's message names the peer or the file, never the event's content. A destination that
                        // stays down is logged once as a warning, then at debug level until it works again.
                        if (_failing.Add(sink.Name)) LogSendFailed(_log, sink.Name, row.EventCode, attempt, ex.GetType().Name, ex.Message);
                        else LogStillFailing(_log, sink.Name, row.EventCode, ex.GetType().Name);
                        MedNodeMetrics.AuditExports.Add(1, new(MedNodeMetrics.SinkTag, sink.Name), new(MedNodeMetrics.OutcomeTag, "dropped"));
                        break;
                    }
                    MedNodeMetrics.AuditExports.Add(1, new(MedNodeMetrics.SinkTag, sink.Name), new(MedNodeMetrics.OutcomeTag, "retried"));
                    await Task.Delay(_options.RetryDelay, _time, ct);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sink in _sinks) await sink.DisposeAsync();
    }

    [LoggerMessage(EventId = 4120, Level = LogLevel.Warning, Message = "Audit export to {Sink} failed for an event {EventCode} after {Attempts} attempt(s), message dropped: {ErrorType}: {Error}")]
    private static partial void LogSendFailed(ILogger logger, string sink, string eventCode, int attempts, string errorType, string error);

    [LoggerMessage(EventId = 4122, Level = LogLevel.Debug, Message = "Audit export to {Sink} still failing, an event {EventCode} dropped: {ErrorType}")]
    private static partial void LogStillFailing(ILogger logger, string sink, string eventCode, string errorType);

    [LoggerMessage(EventId = 4123, Level = LogLevel.Information, Message = "Audit export to {Sink} works again")]
    private static partial void LogRecovered(ILogger logger, string sink);

    [LoggerMessage(EventId = 4121, Level = LogLevel.Error, Message = "Could not format an audit event {EventCode} as a PS3.15 message: {ErrorType}")]
    private static partial void LogFormatFailed(ILogger logger, string eventCode, string errorType);
}

/// <summary>
/// An <see cref="IAuditTrail"/> that hands every row it appended to the <see cref="AuditMessageExporter"/>. The append
/// itself is the inner trail's; the export neither delays nor fails it.
/// </summary>
public sealed class ExportingAuditTrail(IAuditTrail inner, AuditMessageExporter exporter) : IAuditTrail
{
    public async Task<AuditRecord> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        var row = await inner.AppendAsync(auditEvent, cancellationToken);
        exporter.Post(row, auditEvent.Query);
        return row;
    }

    public IAsyncEnumerable<AuditRecord> ReadAsync(AuditQuery query, CancellationToken cancellationToken) => inner.ReadAsync(query, cancellationToken);
}
