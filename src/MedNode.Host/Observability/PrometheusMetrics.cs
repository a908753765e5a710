using System.Diagnostics.Metrics;
using MedNode.Core.Diagnostics;
using MedNode.Dicom.Network.Diagnostics;
using Prometheus;

namespace MedNode.Host.Observability;

/// <summary>
/// Every Prometheus metric MedNode exports, in one place, and the bridge that feeds them from the BCL meters of
/// MedNode.Dicom.Network (<see cref="DicomNetworkMetrics"/>) and MedNode.Core (<see cref="MedNodeMetrics"/>), which
/// know nothing of Prometheus. Names follow the Prometheus conventions that <c>promtool check metrics</c> lints: base
/// units (seconds, bytes), <c>_total</c> on counters only. Metrics without data yet (jobs, inference, export) are
/// still registered, so a scrape shows their HELP and TYPE.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private static readonly Lock SuppressGate = new();
    private static bool _suppressed;

    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, Action<double, ReadOnlySpan<KeyValuePair<string, object?>>>> _sinks;

    public PrometheusMetrics()
    {
        SuppressDefaultAdapters();
        var f = Metrics.WithCustomRegistry(Metrics.DefaultRegistry);
        AssociationsActive = f.CreateGauge("mednode_dimse_associations_active", "DIMSE associations open now.");
        AssociationsTotal = f.CreateCounter("mednode_dimse_associations_total", "DIMSE associations accepted.");
        AssociationsRejected = f.CreateCounter("mednode_dimse_associations_rejected_total", "DIMSE associations this node rejected, by reason (PS3.8 Table 9-21).", "reason");
        InstancesReceived = f.CreateCounter("mednode_instances_received_total", "Instances received, by channel and outcome (stored, duplicate, failed).", "channel", "outcome");
        BytesReceived = f.CreateCounter("mednode_received_bytes_total", "Bytes of instances committed to the store, by channel.", "channel");
        StoreDuration = f.CreateHistogram("mednode_store_duration_seconds", "Time to check, commit and index one instance, by channel.",
            new HistogramConfiguration { LabelNames = ["channel"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        IngestStageDuration = f.CreateHistogram("mednode_ingest_stage_seconds", "Time of each stage of one instance's ingest (parse, lookup, commit, index, notify), by channel.",
            new HistogramConfiguration { LabelNames = ["channel", "stage"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        CommitStageDuration = f.CreateHistogram("mednode_store_commit_stage_seconds", "Time of each stage of a journaled commit in the file store (hash, flush, place).",
            new HistogramConfiguration { LabelNames = ["stage"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        StorageFreeBytes = f.CreateGauge("mednode_storage_free_bytes", "Free bytes on the file system of the instance store.");
        StorageMinFreeBytes = f.CreateGauge("mednode_storage_min_free_bytes", "Free-space watermark below which stores are refused.");
        Jobs = f.CreateGauge("mednode_jobs", "Jobs by state.", "state");
        JobQueueDepth = f.CreateGauge("mednode_jobs_queue_depth", "Jobs waiting for a worker.");
        InferenceDuration = f.CreateHistogram("mednode_inference_duration_seconds", "Duration of one model inference, by model and device.",
            new HistogramConfiguration { LabelNames = ["model", "device"], Buckets = Histogram.ExponentialBuckets(0.1, 2, 12) });
        Exports = f.CreateCounter("mednode_exports_total", "Export attempts, by destination and outcome.", "destination", "outcome");
        ExportDeadLetters = f.CreateCounter("mednode_export_dead_letters_total", "Exports moved to the dead-letter list, by destination.", "destination");
        AuditExports = f.CreateCounter("mednode_audit_exports_total", "PS3.15 audit messages exported to a file or syslog, by sink and outcome (sent, retried, dropped).", "sink", "outcome");
        IntegrityFailures = f.CreateCounter("mednode_storage_integrity_failures_total", "Stored files found not to match the SHA-256 recorded at ingest, or unreadable, by where (read, scrub).", "source");
        Scrubbed = f.CreateCounter("mednode_storage_scrubbed_total", "Stored files re-verified against their SHA-256 by the background scrub.");

        _sinks = new(StringComparer.Ordinal)
        {
            [DicomNetworkMetrics.AssociationsActiveName] = (v, _) => AssociationsActive.Inc(v),
            [DicomNetworkMetrics.AssociationsAcceptedName] = (v, _) => AssociationsTotal.Inc(v),
            [DicomNetworkMetrics.AssociationsRejectedName] = (v, t) => AssociationsRejected.WithLabels(Tag(t, DicomNetworkMetrics.ReasonTag)).Inc(v),
            [MedNodeMetrics.InstancesReceivedName] = (v, t) => InstancesReceived.WithLabels(Tag(t, MedNodeMetrics.ChannelTag), Tag(t, MedNodeMetrics.OutcomeTag)).Inc(v),
            [MedNodeMetrics.BytesReceivedName] = (v, t) => BytesReceived.WithLabels(Tag(t, MedNodeMetrics.ChannelTag)).Inc(v),
            [MedNodeMetrics.StoreDurationName] = (v, t) => StoreDuration.WithLabels(Tag(t, MedNodeMetrics.ChannelTag)).Observe(v),
            [MedNodeMetrics.IngestStageDurationName] = (v, t) => IngestStageDuration.WithLabels(Tag(t, MedNodeMetrics.ChannelTag), Tag(t, MedNodeMetrics.StageTag)).Observe(v),
            [MedNodeMetrics.CommitStageDurationName] = (v, t) => CommitStageDuration.WithLabels(Tag(t, MedNodeMetrics.StageTag)).Observe(v),
            [MedNodeMetrics.JobsName] = (v, t) => Jobs.WithLabels(Tag(t, MedNodeMetrics.StateTag)).Inc(v),
            [MedNodeMetrics.JobQueueDepthName] = (v, _) => JobQueueDepth.Inc(v),
            [MedNodeMetrics.InferenceDurationName] = (v, t) => InferenceDuration.WithLabels(Tag(t, MedNodeMetrics.ModelTag), Tag(t, MedNodeMetrics.DeviceTag)).Observe(v),
            [MedNodeMetrics.ExportsName] = (v, t) => Exports.WithLabels(Tag(t, MedNodeMetrics.DestinationTag), Tag(t, MedNodeMetrics.OutcomeTag)).Inc(v),
            [MedNodeMetrics.ExportDeadLettersName] = (v, t) => ExportDeadLetters.WithLabels(Tag(t, MedNodeMetrics.DestinationTag)).Inc(v),
            [MedNodeMetrics.AuditExportsName] = (v, t) => AuditExports.WithLabels(Tag(t, MedNodeMetrics.SinkTag), Tag(t, MedNodeMetrics.OutcomeTag)).Inc(v),
            [MedNodeMetrics.IntegrityFailuresName] = (v, t) => IntegrityFailures.WithLabels(Tag(t, MedNodeMetrics.SourceTag)).Inc(v),
            [MedNodeMetrics.ScrubbedName] = (v, _) => Scrubbed.Inc(v),
        };
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name is DicomNetworkMetrics.MeterName or MedNodeMetrics.MeterName && _sinks.TryGetValue(instrument.Name, out var sink))
                listener.EnableMeasurementEvents(instrument, sink);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Action<double, ReadOnlySpan<KeyValuePair<string, object?>>>)state!)(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Action<double, ReadOnlySpan<KeyValuePair<string, object?>>>)state!)(value, tags));
        _listener.Start();
    }

    public Gauge AssociationsActive { get; }
    public Counter AssociationsTotal { get; }
    public Counter AssociationsRejected { get; }
    public Counter InstancesReceived { get; }
    public Counter BytesReceived { get; }
    public Histogram StoreDuration { get; }
    public Histogram IngestStageDuration { get; }
    public Histogram CommitStageDuration { get; }
    public Gauge StorageFreeBytes { get; }
    public Gauge StorageMinFreeBytes { get; }
    public Gauge Jobs { get; }
    public Gauge JobQueueDepth { get; }
    public Histogram InferenceDuration { get; }
    public Counter Exports { get; }
    public Counter ExportDeadLetters { get; }
    public Counter AuditExports { get; }
    public Counter IntegrityFailures { get; }
    public Counter Scrubbed { get; }

    public void Dispose() => _listener.Dispose();

    /// <summary>
    /// The .NET meter and event-counter adapters would export every framework meter under generated names; MedNode
    /// exports its own meters through this bridge instead. Process metrics stay.
    /// </summary>
    private static void SuppressDefaultAdapters()
    {
        lock (SuppressGate)
        {
            if (_suppressed) return;
            Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true, SuppressEventCounters = true, SuppressDebugMetrics = true });
            _suppressed = true;
        }
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var t in tags)
            if (t.Key == name) return t.Value?.ToString() ?? "";
        return "";
    }
}
