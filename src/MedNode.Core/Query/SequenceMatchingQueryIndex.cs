using System.Runtime.CompilerServices;
using MedNode.Core.Storage;
using MedNode.Dicom;
using MedNode.Dicom.IO;

namespace MedNode.Core.Query;

/// <summary>
/// Sequence Matching (PS3.4 C.2.2.2.6) over an index that holds only flat keys: the inner index answers the query's other
/// keys, then each candidate's representative instance is read from the blob store up to its Pixel Data and its sequences
/// are matched by <see cref="SequenceMatcher"/>; offset and limit apply to what passes. Queries without sequence keys go
/// straight to the inner index.
/// </summary>
/// <remarks>
/// Cost: one file opened and parsed up to its Pixel Data per candidate entity, one at a
/// time, so memory stays flat; a query whose flat keys leave more than <paramref name="maxCandidates"/> candidates fails
/// (C-FIND C000H, QIDO-RS 400) rather than read the whole archive. The sequence is read from the entity's representative
/// instance (its lowest SOP Instance UID), which is right for attributes of the query's level or above (the same in each
/// instance); a lower level's sequence asked for at a higher level is checked on that one instance only.
/// </remarks>
public sealed class SequenceMatchingQueryIndex(IQueryIndex inner, IBlobStore? blobs, int maxCandidates = SequenceMatchingQueryIndex.DefaultMaxCandidates) : IQueryIndex
{
    public const int DefaultMaxCandidates = 10_000;

    private static readonly DicomReadOptions ReadOptions = new() { StopAtPixelData = true };

    public async IAsyncEnumerable<QueryMatch> QueryAsync(DicomQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (query.SequenceKeys.Count == 0)
        {
            await foreach (var match in inner.QueryAsync(query, cancellationToken)) yield return match;
            yield break;
        }
        if (blobs == null) throw new QueryParseException("Sequence matching needs the stored instances; this node has no blob store.");
        int candidates = 0, skip = query.Offset, remaining = query.Limit ?? int.MaxValue;
        if (remaining == 0) yield break;
        await foreach (var match in inner.QueryAsync(query with { Limit = null, Offset = 0 }, cancellationToken))
        {
            if (++candidates > maxCandidates)
                throw new QueryParseException($"Sequence matching reads each candidate's stored instance and stops at {maxCandidates}; narrow the query with other keys.");
            if (Match(query.SequenceKeys, ReadStored(match)) is not { } sequences) continue;
            if (skip > 0) { skip--; continue; }
            yield return match with { Sequences = sequences };
            if (--remaining == 0) yield break;
        }
    }

    /// <summary>The returned sequences when every key matches the stored data set, else null.</summary>
    public static DicomDataset? Match(IReadOnlyList<SequenceKey> keys, DicomDataset stored)
    {
        var sequences = new DicomDataset();
        foreach (var key in keys)
        {
            if (SequenceMatcher.Match(key, stored) is not { } sequence) return null;
            sequences.Add(sequence);
        }
        return sequences;
    }

    private DicomDataset ReadStored(QueryMatch match)
    {
        using var stream = blobs!.OpenRead(match.Representative.BlobKey, match.Representative.Sha256);
        return DicomFile.Read(stream, ReadOptions).Dataset;
    }
}
