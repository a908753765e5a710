using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MedNode.Persistence.Storage;

/// <summary>
/// One intact record of an ingest journal segment: the blob key, its size and SHA-256, and either where its payload lies in
/// the segment (a payload record) or the path of the spooled file it was committed from (a reference record,
/// <see cref="SpoolPath"/> set and <see cref="PayloadOffset"/> -1).
/// </summary>
public sealed record JournalRecord(string Key, long PayloadOffset, long Size, string Sha256, string? SpoolPath = null);

/// <summary>
/// Reads the records of an <see cref="IngestJournal"/> segment in order. A record counts only when its header, its whole
/// payload, the payload's SHA-256 and the trailer are all there; the first record that is not (a torn tail after a crash)
/// ends the segment, and <see cref="ValidLength"/> says where.
/// </summary>
public sealed class IngestJournalReader
{
    private const int HeaderFixed = 4 + 2 + 8;

    public IngestJournalReader(string segmentPath)
    {
        using var fs = new FileStream(segmentPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        var records = new List<JournalRecord>();
        long at = 0, length = fs.Length;
        Span<byte> head = stackalloc byte[HeaderFixed];
        var buffer = new byte[1 << 16];
        while (true)
        {
            if (length - at < HeaderFixed) break;
            fs.Position = at;
            fs.ReadExactly(head[..6]); // magic, key length, key, payload length (IngestJournal.AppendAsync)
            if (head[..4].SequenceEqual("MNJ2"u8))
            {
                if (ReadReference(fs, at, length) is not { } reference) break;
                records.Add(reference.Record);
                at = reference.End;
                continue;
            }
            if (!head[..4].SequenceEqual("MNJ1"u8)) break;
            int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(head[4..]);
            if (keyLength is 0 or > 512 || length - at - HeaderFixed < keyLength) break;
            var keyBytes = new byte[keyLength];
            fs.ReadExactly(keyBytes);
            fs.ReadExactly(head[6..]);
            long size = BinaryPrimitives.ReadInt64LittleEndian(head[6..]);
            long payload = at + HeaderFixed + keyLength;
            if (size < 0 || size > length - payload - 32 - 4) break;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long left = size;
            while (left > 0)
            {
                int n = fs.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) break;
                sha.AppendData(buffer, 0, n);
                left -= n;
            }
            var trailer = new byte[36];
            fs.ReadExactly(trailer);
            var digest = sha.GetHashAndReset();
            if (!trailer.AsSpan(0, 32).SequenceEqual(digest) || !trailer.AsSpan(32).SequenceEqual("MNJE"u8)) break;
            records.Add(new JournalRecord(Encoding.ASCII.GetString(keyBytes), payload, size, Convert.ToHexStringLower(digest)));
            at = payload + size + 36;
        }
        Records = records;
        ValidLength = at;
        Length = length;
    }

    /// <summary>A reference record (IngestJournal.AppendReferenceAsync) at <paramref name="at"/>, or null when it is not whole.</summary>
    private static (JournalRecord Record, long End)? ReadReference(FileStream fs, long at, long length)
    {
        // Magic, key length u16, key (at most 512), path length u16, path (at most 4096), size, SHA-256, record SHA-256, trailer.
        const int MaxRecord = 4 + 2 + 512 + 2 + 4096 + 8 + 32 + 32 + 4;
        var record = new byte[(int)Math.Min(MaxRecord, length - at)];
        fs.Position = at;
        fs.ReadExactly(record);
        int p = 4;
        if (record.Length < p + 2) return null;
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(p));
        p += 2;
        if (keyLength is 0 or > 512 || record.Length < p + keyLength + 2) return null;
        var key = Encoding.ASCII.GetString(record, p, keyLength);
        p += keyLength;
        int pathLength = BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(p));
        p += 2;
        if (pathLength is 0 or > 4096 || record.Length < p + pathLength + 8 + 32 + 32 + 4) return null;
        var path = Encoding.UTF8.GetString(record, p, pathLength);
        p += pathLength;
        long size = BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(p));
        p += 8;
        var sha = Convert.ToHexStringLower(record, p, 32);
        p += 32;
        if (size < 0 || !SHA256.HashData(record.AsSpan(0, p)).AsSpan().SequenceEqual(record.AsSpan(p, 32)) || !record.AsSpan(p + 32, 4).SequenceEqual("MNJE"u8)) return null;
        return (new JournalRecord(key, -1, size, sha, path), at + p + 32 + 4);
    }

    public IReadOnlyList<JournalRecord> Records { get; }

    /// <summary>Bytes covered by intact records; anything after is a torn tail.</summary>
    public long ValidLength { get; }

    public long Length { get; }
}
