using System.Globalization;
using System.Runtime.CompilerServices;
using MedNode.Core.Audit;
using MedNode.Core.Index;
using MedNode.Core.Query;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.Network.Dimse;
using MedNode.Dicom.Network.Server;

namespace MedNode.Core.QueryRetrieve;

/// <summary>
/// The Query/Retrieve SCP's handler (PS3.4 Annex C) over the node's index and blob store: C-FIND runs through
/// <see cref="DicomQueryParser"/>, <see cref="IQueryIndex"/> and <see cref="QueryResponseBuilder"/>, the one matcher
/// QIDO-RS uses too; C-MOVE and C-GET run the identifier as an IMAGE-level query and send the files it finds.
/// With an <see cref="IAuditSink"/> each C-FIND is audited as Query (PS3.15 §A.5.3.10) and each C-MOVE or C-GET that has
/// instances to send as Begin Transferring DICOM Instances (§A.5.3.3), one event per study, before the first sub-operation,
/// and as DICOM Instances Transferred (§A.5.3.7) after the last.
/// </summary>
public sealed class QueryRetrieveScpHandler(IQueryIndex index, IBlobStore blobs, IReadOnlyList<DicomPeer> moveDestinations, IAuditSink? audit = null) : IQueryRetrieveScpHandler
{
    /// <summary>The index with sequence matching (PS3.4 C.2.2.2.6) over this handler's blob store, unless it has it already.</summary>
    private IQueryIndex Index => index as SequenceMatchingQueryIndex ?? new SequenceMatchingQueryIndex(index, blobs);

    /// <summary>The instances of each retrieve in progress, from <see cref="RetrieveAsync"/> to <see cref="OnRetrieveCompletedAsync"/>.</summary>
    private readonly ConditionalWeakTable<QueryRetrieveScpRequest, IReadOnlyList<InstanceRecord>> _retrieving = new();

    private static readonly HashSet<DicomTag> Aggregates =
    [
        DicomTags.ModalitiesInStudy, DicomTags.NumberOfStudyRelatedSeries, DicomTags.NumberOfStudyRelatedInstances,
        DicomTags.NumberOfSeriesRelatedInstances, DicomTags.NumberOfPatientRelatedStudies,
    ];

    public async IAsyncEnumerable<FindScpMatch> FindAsync(QueryRetrieveScpRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        DicomQuery query;
        try
        {
            query = Parse(request);
        }
        catch (QueryRetrieveScpException ex)
        {
            AuditQuery(request, AuditOutcome.MinorFailure, ex.Message);
            throw;
        }
        AuditQuery(request, AuditOutcome.Success, null);
        // PS3.4 C.4.1.1.4: FF01H when a key is neither matched nor returned by this node.
        var unsupported = query.ReturnKeys.Any(t => QueryAttributes.Find(t) == null && !Aggregates.Contains(t) && !query.SequenceKeys.Any(k => k.Tag == t));
        await using var matches = Index.QueryAsync(query, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await NextAsync(matches))
            yield return new FindScpMatch(QueryResponseBuilder.BuildCFind(query, matches.Current), unsupported);
    }

    /// <summary>A query the index gives up on while running (a sequence key over too many candidates) fails with C000H.</summary>
    private static async Task<bool> NextAsync(IAsyncEnumerator<QueryMatch> matches)
    {
        try
        {
            return await matches.MoveNextAsync();
        }
        catch (QueryParseException ex)
        {
            throw new QueryRetrieveScpException(DimseStatus.UnableToProcess, ex.Message);
        }
    }

    public async Task<IReadOnlyList<RetrieveScpInstance>> RetrieveAsync(QueryRetrieveScpRequest request, CancellationToken cancellationToken)
    {
        var query = Parse(request);
        // PS3.4 C.4.2.2.1: the level's unique key names what to retrieve.
        var unique = query.Level switch
        {
            QueryLevel.Patient => DicomTags.PatientID,
            QueryLevel.Study => DicomTags.StudyInstanceUID,
            QueryLevel.Series => DicomTags.SeriesInstanceUID,
            _ => DicomTags.SOPInstanceUID,
        };
        if (!query.MatchingKeys.Any(k => k.Tag == unique))
            throw new QueryRetrieveScpException(DimseStatus.IdentifierDoesNotMatchSopClass, $"A retrieve at {query.Level.ToString().ToUpperInvariant()} level needs {DicomDictionary.Find(unique)?.Keyword}.");
        var instances = new List<RetrieveScpInstance>();
        var records = new List<InstanceRecord>();
        await foreach (var match in Index.QueryAsync(query with { Level = QueryLevel.Image, Limit = null, Offset = 0 }, cancellationToken))
        {
            var r = match.Representative;
            // Checked against the SHA-256 recorded at ingest (as the store's read policy says) just before it is sent.
            instances.Add(new RetrieveScpInstance(r.SopClassUid, r.SopInstanceUid, r.TransferSyntaxUid, blobs.GetPath(r.BlobKey))
            {
                Check = () => blobs.GetCheckedPath(r.BlobKey, r.Sha256),
            });
            if (audit != null) records.Add(r);
        }
        if (audit != null && records.Count > 0) AuditBeginTransferring(request, records);
        return instances;
    }

    /// <summary>PS3.15 §A.5.3.10: the calling AE (with its address) issued the query, this node's AE answers it.</summary>
    private void AuditQuery(QueryRetrieveScpRequest request, AuditOutcome outcome, string? failure)
    {
        if (audit == null) return;
        var study = request.Identifier.GetString(DicomTags.StudyInstanceUID)?.Trim();
        if (study != null && (study.Length == 0 || study.Contains('\\', StringComparison.Ordinal) || study.Contains('*', StringComparison.Ordinal) || study.Contains('?', StringComparison.Ordinal))) study = null;
        audit.Post(DicomAuditEvents.Query(
            new AuditParticipant(request.CallingAeTitle, request.RemoteHost, true), new AuditParticipant(request.CalledAeTitle, null, false),
            $"C-FIND SOP Class {request.SopClassUid}", DicomAuditEvents.DescribeKeys(request.Identifier), outcome, study, failure,
            DicomAuditEvents.QueryPayload(request.Identifier)));
    }

    /// <summary>
    /// PS3.15 §A.5.3.3: this node's AE sends. C-MOVE: to the Move Destination, the calling AE being the requestor among the
    /// other participants; C-GET: back to the calling AE, the requestor. The instances are kept for the Instances Transferred
    /// event of <see cref="OnRetrieveCompletedAsync"/>.
    /// </summary>
    private void AuditBeginTransferring(QueryRetrieveScpRequest request, IReadOnlyList<InstanceRecord> records)
    {
        var (source, destination, others, how) = TransferParticipants(request);
        foreach (var study in AuditStudy.From(records))
            audit!.Post(DicomAuditEvents.BeginTransferring(source, destination, others, study, how));
        _retrieving.AddOrUpdate(request, records);
    }

    /// <summary>
    /// PS3.15 §A.5.3.7: DICOM Instances Transferred per study once the sub-operations are done, counting the instances
    /// not in the Failed SOP Instance UID List; Minor Failure when any sub-operation failed, warned or was not sent.
    /// </summary>
    public Task OnRetrieveCompletedAsync(QueryRetrieveScpRequest request, RetrieveCounts counts, CancellationToken cancellationToken)
    {
        if (audit == null || !_retrieving.TryGetValue(request, out var records)) return Task.CompletedTask;
        _retrieving.Remove(request);
        var (source, destination, others, how) = TransferParticipants(request);
        var failed = counts.FailedSopInstances.ToHashSet(StringComparer.Ordinal);
        var outcome = counts.Completed == counts.Total ? AuditOutcome.Success : AuditOutcome.MinorFailure;
        var summary = string.Create(CultureInfo.InvariantCulture, $"{how} (sub-operations: {counts.Completed} completed, {counts.Warning} warning, {counts.Failed} failed, {counts.Remaining} not sent)");
        foreach (var study in AuditStudy.From(records.Where(r => !failed.Contains(r.SopInstanceUid))))
            audit.Post(DicomAuditEvents.InstancesTransferred(source, destination, others, study, outcome, summary));
        return Task.CompletedTask;
    }

    private (AuditParticipant Source, AuditParticipant Destination, IReadOnlyList<AuditParticipant> Others, string How) TransferParticipants(QueryRetrieveScpRequest request)
    {
        var source = new AuditParticipant(request.CalledAeTitle, null, false);
        var requestor = new AuditParticipant(request.CallingAeTitle, request.RemoteHost, true);
        if (request.SopClassUid is QueryRetrieveSopClasses.PatientRootMove or QueryRetrieveSopClasses.StudyRootMove)
        {
            var moveTo = request.MoveDestination ?? "unknown";
            return (source, new AuditParticipant(moveTo, FindMoveDestination(moveTo)?.Host, false), [requestor with { Role = "Requestor" }], $"C-MOVE SOP Class {request.SopClassUid}");
        }
        return (source, requestor, [], $"C-GET SOP Class {request.SopClassUid}");
    }

    private volatile IReadOnlyList<DicomPeer> _moveDestinations = moveDestinations;

    /// <summary>The C-MOVE destinations now known; replaced (without a restart) when the remote AEs change.</summary>
    public IReadOnlyList<DicomPeer> MoveDestinations
    {
        get => _moveDestinations;
        set => _moveDestinations = value ?? throw new ArgumentNullException(nameof(value));
    }

    public DicomPeer? FindMoveDestination(string aeTitle) =>
        _moveDestinations.FirstOrDefault(d => string.Equals(d.AeTitle, aeTitle, StringComparison.Ordinal));

    /// <summary>The query of an identifier; a level the information model lacks is A900H, anything else unusable C000H.</summary>
    private static DicomQuery Parse(QueryRetrieveScpRequest request)
    {
        var levelText = request.Identifier.GetString(DicomTags.QueryRetrieveLevel)?.Trim();
        QueryLevel level;
        try
        {
            level = DicomQueryParser.ParseLevel(levelText ?? "");
        }
        catch (QueryParseException ex)
        {
            throw new QueryRetrieveScpException(DimseStatus.IdentifierDoesNotMatchSopClass, levelText == null ? "Query/Retrieve Level (0008,0052) is missing." : ex.Message);
        }
        if (level == QueryLevel.Patient && QueryRetrieveSopClasses.IsStudyRoot(request.SopClassUid))
            throw new QueryRetrieveScpException(DimseStatus.IdentifierDoesNotMatchSopClass, "The Study Root model has no PATIENT level (PS3.4 C.6.2).");
        try
        {
            return DicomQueryParser.FromDataset(request.Identifier);
        }
        catch (QueryParseException ex)
        {
            throw new QueryRetrieveScpException(DimseStatus.UnableToProcess, ex.Message);
        }
        catch (Exception ex) when (ex is DicomValueException or DicomCharacterSetException or FormatException)
        {
            throw new QueryRetrieveScpException(DimseStatus.UnableToProcess, "A key value cannot be read.");
        }
    }
}
