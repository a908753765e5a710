using MedNode.Core.Diagnostics;
using MedNode.Core.Index;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.IO;
using MedNode.Dicom.Network.Dimse;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedNode.Core.Ingest;

/// <summary>Settings of <see cref="IngestService"/>.</summary>
public sealed record IngestOptions
{
    public DuplicatePolicy DuplicatePolicy { get; init; } = DuplicatePolicy.KeepFirst;
}

/// <summary>An instance was stored durably and indexed.</summary>
/// <param name="CalledAeTitle">The listening AE title the instance was sent to (DIMSE), for per-AE grouping.</param>
/// <param name="AssociationId">The DIMSE association it came on, for completion on association release.</param>
public sealed record InstanceStored(InstanceRecord Record, bool Replaced, string? CalledAeTitle = null, string? AssociationId = null);

/// <summary>Told of each stored instance (study-complete timers, rules, audit). A listener that throws does not fail the store.</summary>
public interface IInstanceStoredListener
{
    Task OnInstanceStoredAsync(InstanceStored stored, CancellationToken cancellationToken);
}

/// <summary>
/// The ingest use case: checks a spooled Part 10 file, applies the duplicate policy, commits it to the blob store,
/// indexes it and tells the listeners. Status values are those of C-STORE (PS3.4 Annex B.2.3, Table B.2-1).
/// The spooled file never outlives the call.
/// </summary>
public sealed class IngestService : IIngestService
{
    private readonly IBlobStore _store;
    private readonly IInstanceIndex _index;
    private readonly IngestOptions _options;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<IInstanceStoredListener> _listeners;
    private readonly ILogger _log;

    public IngestService(IBlobStore store, IInstanceIndex index, IngestOptions? options = null, TimeProvider? timeProvider = null, IEnumerable<IInstanceStoredListener>? listeners = null, ILogger<IngestService>? logger = null)
    {
        _store = store;
        _index = index;
        _options = options ?? new IngestOptions();
        _time = timeProvider ?? TimeProvider.System;
        _listeners = listeners?.ToList() ?? [];
        _log = (ILogger?)logger ?? NullLogger.Instance;
    }

    public async Task<IngestResult> IngestAsync(IngestRequest request, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        try
        {
            var result = await IngestCoreAsync(request, cancellationToken);
            var channel = new KeyValuePair<string, object?>(MedNodeMetrics.ChannelTag, request.Source.Channel);
            MedNodeMetrics.InstancesReceived.Add(1, channel, new KeyValuePair<string, object?>(MedNodeMetrics.OutcomeTag, result.Outcome.ToString().ToLowerInvariant()));
            MedNodeMetrics.StoreDuration.Record(_time.GetElapsedTime(started).TotalSeconds, channel);
            return result;
        }
        finally
        {
            TryDelete(request.TempFilePath);
        }
    }

    private async Task<IngestResult> IngestCoreAsync(IngestRequest request, CancellationToken ct)
    {
        var stages = new StageClock(_time, request.Source.Channel);
        DicomFile file;
        try
        {
            file = request.Parsed ?? DicomFile.Open(request.TempFilePath, new DicomReadOptions { StopAtPixelData = true });
        }
        catch (Exception ex) when (ex is DicomParseException or DicomValueException or EndOfStreamException or InvalidDataException or FormatException)
        {
            return Fail(IngestOutcome.Failed, DimseStatus.CannotUnderstand, null, null, null, "The data set cannot be parsed.", request);
        }
        var ds = file.Dataset;
        var sopClass = ds.GetString(DicomTags.SOPClassUID);
        var sopInstance = ds.GetString(DicomTags.SOPInstanceUID);
        var study = ds.GetString(DicomTags.StudyInstanceUID);
        var series = ds.GetString(DicomTags.SeriesInstanceUID);
        if (!DicomUidText.IsValid(sopClass) || !DicomUidText.IsValid(sopInstance) || !DicomUidText.IsValid(study) || !DicomUidText.IsValid(series))
            return Fail(IngestOutcome.Failed, DimseStatus.CannotUnderstand, sopClass, sopInstance, study, "SOP Class/Instance, Study or Series UID missing or invalid", request);
        if ((request.ExpectedSopClassUid != null && request.ExpectedSopClassUid != sopClass) || (request.ExpectedSopInstanceUid != null && request.ExpectedSopInstanceUid != sopInstance))
            return Fail(IngestOutcome.Failed, DimseStatus.DataSetDoesNotMatchSopClassError, sopClass, sopInstance, study, "Data set SOP Class/Instance UID differs from the command", request);

        stages.End("parse");
        // The one lookup of the instance before its write: the index's insert needs none (it takes the replace path by itself).
        var existing = await _index.ContainsInstanceAsync(sopInstance!, ct);
        stages.End("lookup");
        if (existing)
        {
            switch (_options.DuplicatePolicy)
            {
                case DuplicatePolicy.KeepFirst:
                    _log.LogInformation("Duplicate SOP instance kept first ({Channel} from {Calling})", request.Source.Channel, request.Source.CallingAeTitle);
                    return new IngestResult(IngestOutcome.Duplicate, IngestStatus.DuplicateKeptFirst, sopClass, sopInstance, study, "Duplicate SOP Instance UID: first kept (KeepFirst)");
                case DuplicatePolicy.Reject:
                    return Fail(IngestOutcome.Failed, IngestStatus.DuplicateRejected, sopClass, sopInstance, study, "Duplicate SOP Instance UID: refused (Reject)", request);
            }
        }

        BlobInfo blob;
        try
        {
            blob = await _store.CommitAsync(request.TempFilePath, study!, series!, sopInstance!, overwrite: existing, ct);
        }
        catch (InsufficientStorageException)
        {
            return Fail(IngestOutcome.Failed, DimseStatus.OutOfResources, sopClass, sopInstance, study, "Out of resources: storage below its free-space watermark", request);
        }
        catch (IOException ex) when (ex is not BlobIntegrityException)
        {
            _log.LogError(ex, "Commit to the blob store failed");
            return Fail(IngestOutcome.Failed, DimseStatus.OutOfResources, sopClass, sopInstance, study, "Out of resources: the store could not write the instance", request);
        }

        stages.End("commit");
        MedNodeMetrics.BytesReceived.Add(blob.Size, new KeyValuePair<string, object?>(MedNodeMetrics.ChannelTag, request.Source.Channel));
        var record = InstanceRecord.FromDataset(ds, file.TransferSyntax.Uid, blob, new IngestMeta(request.Source.Channel, request.Source.CallingAeTitle, _time.GetUtcNow()));
        try
        {
            await _index.AddOrReplaceAsync(record, ct);
        }
        finally
        {
            _store.CommitCompleted(blob);
        }
        stages.End("index");
        var stored = new InstanceStored(record, existing, request.Source.CalledAeTitle, request.Source.AssociationId);
        foreach (var listener in _listeners)
        {
            try
            {
                await listener.OnInstanceStoredAsync(stored, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _log.LogError(ex, "An instance-stored listener failed ({Listener})", listener.GetType().Name);
            }
        }
        stages.End("notify");
        return existing
            ? new IngestResult(IngestOutcome.Duplicate, IngestStatus.DuplicateOverwritten, sopClass, sopInstance, study, "Duplicate SOP Instance UID: replaced (Overwrite)")
            : new IngestResult(IngestOutcome.Stored, DimseStatus.Success, sopClass, sopInstance, study);
    }

    /// <summary>
    /// Indexes a blob that the store recovered from its journal at start-up (channel "JOURNAL": the original channel and
    /// calling AE are not journaled).
    /// </summary>
    public async Task ReindexAsync(BlobInfo blob, CancellationToken cancellationToken)
    {
        var file = DicomFile.Open(_store.GetPath(blob.Key), new DicomReadOptions { StopAtPixelData = true });
        var record = InstanceRecord.FromDataset(file.Dataset, file.TransferSyntax.Uid, blob, new IngestMeta("JOURNAL", null, _time.GetUtcNow()));
        await _index.AddOrReplaceAsync(record, cancellationToken);
    }

    /// <summary>Records each stage's time since the previous one (<see cref="MedNodeMetrics.IngestStageDuration"/>).</summary>
    private struct StageClock(TimeProvider time, string channel)
    {
        private long _since = time.GetTimestamp();

        public void End(string stage)
        {
            var now = time.GetTimestamp();
            MedNodeMetrics.IngestStageDuration.Record(time.GetElapsedTime(_since, now).TotalSeconds,
                new KeyValuePair<string, object?>(MedNodeMetrics.ChannelTag, channel), new KeyValuePair<string, object?>(MedNodeMetrics.StageTag, stage));
            _since = now;
        }
    }

    private IngestResult Fail(IngestOutcome outcome, ushort status, string? sopClass, string? sopInstance, string? study, string reason, IngestRequest request)
    {
        // UIDs and patient attributes stay out of the log (STYLE.md Habits 7).
        _log.LogWarning("Ingest refused ({Channel} from {Calling}): status {Status:X4}, {Reason}", request.Source.Channel, request.Source.CallingAeTitle, status, reason);
        return new IngestResult(outcome, status, sopClass, sopInstance, study, reason);
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the store's temporary-folder sweep.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}

/// <summary>
/// The C-STORE status values for duplicates. PS3.4 Table B.2-1 defines no warning for a duplicate SOP Instance UID
/// (0xB007 means the data set does not match the SOP class, so it would mislead), so MedNode uses the nearest
/// warnings and names the policy in the Error Comment (0000,0902): KeepFirst → 0xB006 Elements Discarded (the
/// received copy was discarded), Overwrite → 0xB000 Coercion of Data Elements (the stored copy was replaced),
/// Reject → 0x0111 Duplicate SOP Instance (failure, PS3.7 §C.4.12).
/// </summary>
public static class IngestStatus
{
    public const ushort DuplicateKeptFirst = DimseStatus.ElementsDiscarded;
    public const ushort DuplicateOverwritten = DimseStatus.CoercionOfDataElements;
    public const ushort DuplicateRejected = DimseStatus.DuplicateSopInstance;
}
