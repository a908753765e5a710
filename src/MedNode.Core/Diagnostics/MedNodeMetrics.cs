using System.Diagnostics.Metrics;

namespace MedNode.Core.Diagnostics;

/// <summary>
/// The node's own instruments (ingest, jobs, inference, export), on the BCL's <see cref="Meter"/> so that Core stays
/// free of any metrics library; the host bridges them to Prometheus (MedNode.Host/Observability). Instruments
/// without measurements yet (jobs, inference, export) are declared here so that their names live in one place and
/// later features only record. Tag names are the constants below; tag values must stay low-cardinality (no UIDs).
/// </summary>
public static class MedNodeMetrics
{
    public const string MeterName = "MedNode.Core";

    public const string ChannelTag = "channel";
    public const string OutcomeTag = "outcome";
    public const string StateTag = "state";
    public const string ModelTag = "model";
    public const string DeviceTag = "device";
    public const string DestinationTag = "destination";
    public const string SinkTag = "sink";
    public const string SourceTag = "source";
    public const string StageTag = "stage";

    public const string InstancesReceivedName = "mednode.instances.received";
    public const string BytesReceivedName = "mednode.instances.received.bytes";
    public const string StoreDurationName = "mednode.store.duration";
    public const string IngestStageDurationName = "mednode.ingest.stage.duration";
    public const string CommitStageDurationName = "mednode.store.commit.stage.duration";
    public const string JobsName = "mednode.jobs";
    public const string JobQueueDepthName = "mednode.jobs.queue.depth";
    public const string InferenceDurationName = "mednode.inference.duration";
    public const string ExportsName = "mednode.exports";
    public const string ExportDeadLettersName = "mednode.exports.dead_letters";
    public const string AuditExportsName = "mednode.audit.exports";
    public const string IntegrityFailuresName = "mednode.storage.integrity.failures";
    public const string ScrubbedName = "mednode.storage.scrubbed";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Instances received, tagged with <see cref="ChannelTag"/> (DIMSE, STOW…) and <see cref="OutcomeTag"/> (stored, duplicate, failed).</summary>
    public static Counter<long> InstancesReceived { get; } = Meter.CreateCounter<long>(InstancesReceivedName, "{instance}", "Instances received, by channel and outcome");

    /// <summary>Bytes of the instances committed to the store, tagged with <see cref="ChannelTag"/>.</summary>
    public static Counter<long> BytesReceived { get; } = Meter.CreateCounter<long>(BytesReceivedName, "By", "Bytes of instances committed to the store");

    /// <summary>Seconds from a spooled instance to its durable, indexed commit, tagged with <see cref="ChannelTag"/>.</summary>
    public static Histogram<double> StoreDuration { get; } = Meter.CreateHistogram<double>(StoreDurationName, "s", "Time to check, commit and index one instance");

    /// <summary>
    /// Seconds of each stage of one instance's ingest, tagged with <see cref="ChannelTag"/> and <see cref="StageTag"/>:
    /// <c>parse</c> (read and check the data set up to its pixel data), <c>lookup</c> (the duplicate check), <c>commit</c>
    /// (the store's durable commit, <see cref="CommitStageDuration"/>), <c>index</c> (the index insert) and <c>notify</c>
    /// (the instance-stored listeners). They add up to <see cref="StoreDuration"/> but for bookkeeping.
    /// </summary>
    public static Histogram<double> IngestStageDuration { get; } = Meter.CreateHistogram<double>(IngestStageDurationName, "s", "Time of each stage of one instance's ingest");

    /// <summary>
    /// Seconds of each stage of a journaled commit in the file store, tagged with <see cref="StageTag"/>: <c>hash</c> (its
    /// SHA-256 and stamp), <c>flush</c> (the journal record and the wait for the flush that makes it and the file durable)
    /// and <c>place</c> (the rename into place).
    /// </summary>
    public static Histogram<double> CommitStageDuration { get; } = Meter.CreateHistogram<double>(CommitStageDurationName, "s", "Time of each stage of a journaled commit");

    /// <summary>Jobs by <see cref="StateTag"/>: add +1 on entering a state and -1 on leaving it.</summary>
    public static UpDownCounter<long> Jobs { get; } = Meter.CreateUpDownCounter<long>(JobsName, "{job}", "Jobs by state");

    /// <summary>Jobs waiting for a worker.</summary>
    public static UpDownCounter<long> JobQueueDepth { get; } = Meter.CreateUpDownCounter<long>(JobQueueDepthName, "{job}", "Jobs waiting for a worker");

    /// <summary>Seconds of one inference, tagged with <see cref="ModelTag"/> and <see cref="DeviceTag"/> (cpu, cuda).</summary>
    public static Histogram<double> InferenceDuration { get; } = Meter.CreateHistogram<double>(InferenceDurationName, "s", "Duration of one model inference");

    /// <summary>Export attempts, tagged with <see cref="DestinationTag"/> and <see cref="OutcomeTag"/> (success, retry, failed).</summary>
    public static Counter<long> Exports { get; } = Meter.CreateCounter<long>(ExportsName, "{export}", "Export attempts by destination and outcome");

    /// <summary>Exports given up on and moved to the dead-letter list, tagged with <see cref="DestinationTag"/>.</summary>
    public static Counter<long> ExportDeadLetters { get; } = Meter.CreateCounter<long>(ExportDeadLettersName, "{export}", "Exports moved to the dead-letter list");

    /// <summary>PS3.15 audit messages by <see cref="SinkTag"/> (file, syslog-udp, syslog-tcp, queue) and <see cref="OutcomeTag"/> (sent, retried, dropped).</summary>
    public static Counter<long> AuditExports { get; } = Meter.CreateCounter<long>(AuditExportsName, "{message}", "PS3.15 audit messages exported, by sink and outcome");

    /// <summary>Stored files that did not match their SHA-256 (or could not be read), tagged with <see cref="SourceTag"/> (read, scrub).</summary>
    public static Counter<long> IntegrityFailures { get; } = Meter.CreateCounter<long>(IntegrityFailuresName, "{file}", "Stored files found not to match their SHA-256, by where (read, scrub)");

    /// <summary>Stored files the scrub has re-verified.</summary>
    public static Counter<long> Scrubbed { get; } = Meter.CreateCounter<long>(ScrubbedName, "{file}", "Stored files re-verified by the scrub");
}
