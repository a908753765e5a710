using System.Runtime.CompilerServices;
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
/// </summary>
public sealed class QueryRetrieveScpHandler(IQueryIndex index, IBlobStore blobs, IReadOnlyList<DicomPeer> moveDestinations) : IQueryRetrieveScpHandler
{
    private static readonly HashSet<DicomTag> Aggregates =
    [
        DicomTags.ModalitiesInStudy, DicomTags.NumberOfStudyRelatedSeries, DicomTags.NumberOfStudyRelatedInstances,
        DicomTags.NumberOfSeriesRelatedInstances, DicomTags.NumberOfPatientRelatedStudies,
    ];

    public async IAsyncEnumerable<FindScpMatch> FindAsync(QueryRetrieveScpRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = Parse(request);
        // PS3.4 C.4.1.1.4: FF01H when a key is neither matched nor returned by this node.
        var unsupported = query.ReturnKeys.Any(t => QueryAttributes.Find(t) == null && !Aggregates.Contains(t));
        await foreach (var match in index.QueryAsync(query, cancellationToken))
            yield return new FindScpMatch(QueryResponseBuilder.BuildCFind(query, match), unsupported);
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
        await foreach (var match in index.QueryAsync(query with { Level = QueryLevel.Image, Limit = null, Offset = 0 }, cancellationToken))
        {
            var r = match.Representative;
            instances.Add(new RetrieveScpInstance(r.SopClassUid, r.SopInstanceUid, r.TransferSyntaxUid, blobs.GetPath(r.BlobKey)));
        }
        return instances;
    }

    public DicomPeer? FindMoveDestination(string aeTitle) =>
        moveDestinations.FirstOrDefault(d => string.Equals(d.AeTitle, aeTitle, StringComparison.Ordinal));

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
