using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Audit;

/// <summary>
/// Audit emission for the hot paths (C-FIND, C-MOVE, C-GET, QIDO-RS, WADO-RS): <see cref="Post"/> stamps the event with
/// the time it happened and returns at once; the append to <see cref="IAuditTrail"/> (a serialized database transaction)
/// happens later, off the request.
/// </summary>
public interface IAuditSink
{
    /// <summary>Queues an event without waiting. False when the queue is full: the event is counted as lost and the loss is audited.</summary>
    bool Post(AuditEvent auditEvent);
}

/// <summary>
/// The <see cref="IAuditSink"/> of a running node: a bounded queue drained into the trail by <see cref="RunAsync"/>, in the
/// order events were posted. When the queue is full an event is dropped, never waited for; the next append is preceded by a
/// Security Alert (PS3.15 §A.5.3.11, alert type "Audit Recording Stopped", DCM 110133) that says how many were lost.
/// A failed append is logged (without the event's content) and the writer goes on.
/// </summary>
public sealed partial class BackgroundAuditWriter : IAuditSink
{
    public const int DefaultCapacity = 10_000;

    private readonly Channel<AuditEvent> _queue;
    private readonly IAuditTrail _trail;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private long _dropped;

    public BackgroundAuditWriter(IAuditTrail trail, TimeProvider time, ILogger<BackgroundAuditWriter>? logger = null, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _trail = trail;
        _time = time;
        _log = (ILogger?)logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Events posted and not yet appended (approximate).</summary>
    public int Pending => _queue.Reader.Count;

    public bool Post(AuditEvent auditEvent)
    {
        if (_queue.Writer.TryWrite(auditEvent with { OccurredAt = auditEvent.OccurredAt ?? _time.GetUtcNow() })) return true;
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Appends queued events until <paramref name="stoppingToken"/> is cancelled, then appends what is still queued.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
                await DrainAsync();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what was posted before the stop is still written below.
        }
        await DrainAsync();
    }

    /// <summary>Appends everything queued now; tests and tools without a host call it directly.</summary>
    public async Task DrainAsync()
    {
        while (_queue.Reader.TryRead(out var e))
        {
            var lost = Interlocked.Exchange(ref _dropped, 0);
            if (lost > 0)
            {
                await AppendAsync(new AuditEvent(AuditEventType.SecurityAlert, AuditAction.E, AuditOutcome.SeriousFailure,
                    [new AuditParticipant("mednode", Environment.MachineName, false, "Application")],
                    Detail: string.Create(CultureInfo.InvariantCulture, $"Audit Recording Stopped (DCM 110133): {lost} audit event(s) lost, the audit queue was full"),
                    OccurredAt: e.OccurredAt));
            }
            await AppendAsync(e);
        }
    }

    private async Task AppendAsync(AuditEvent e)
    {
        try
        {
            await _trail.AppendAsync(e, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogAppendFailed(_log, e.Type.Code, ex);
        }
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Error, Message = "Could not append an audit event ({EventCode}) to the audit trail")]
    private static partial void LogAppendFailed(ILogger logger, string eventCode, Exception exception);
}
