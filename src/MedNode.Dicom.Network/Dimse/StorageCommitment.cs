using System.Numerics;
using MedNode.Dicom.IO;

namespace MedNode.Dicom.Network.Dimse;

/// <summary>One SOP instance named in a storage commitment request or report (PS3.4 Tables J.3-1 and J.3-2).</summary>
public sealed record StorageCommitmentReference(string SopClassUid, string SopInstanceUid);

/// <summary>An instance the SCP does not commit to, with its Failure Reason (0008,1197) (PS3.4 J.3.3.1.1).</summary>
public sealed record StorageCommitmentFailure(string SopClassUid, string SopInstanceUid, ushort FailureReason);

/// <summary>
/// The Storage Commitment Push Model SOP Class (PS3.4 Annex J): its UIDs, the N-ACTION and N-EVENT-REPORT type IDs,
/// the Failure Reason values of PS3.4 J.3.3.1.1, and the information of both messages as data sets.
/// </summary>
public static class StorageCommitment
{
    /// <summary>Storage Commitment Push Model SOP Class (PS3.4 J.3, PS3.6 Table A-1).</summary>
    public const string PushModelSopClassUid = "1.2.840.10008.1.20.1";

    /// <summary>Its well-known SOP Instance (PS3.4 J.3.5).</summary>
    public const string PushModelSopInstanceUid = "1.2.840.10008.1.20.1.1";

    /// <summary>Action Type ID 1: Request Storage Commitment (PS3.4 Table J.3-1).</summary>
    public const ushort RequestStorageCommitmentAction = 1;

    /// <summary>Event Type ID 1: Storage Commitment Request Successful (PS3.4 Table J.3-2).</summary>
    public const ushort SuccessfulEvent = 1;

    /// <summary>Event Type ID 2: Storage Commitment Request Complete – Failures Exist (PS3.4 Table J.3-2).</summary>
    public const ushort FailuresExistEvent = 2;

    // Failure Reason (0008,1197), PS3.4 J.3.3.1.1.
    /// <summary>A general failure in processing the operation.</summary>
    public const ushort ProcessingFailure = 0x0110;

    /// <summary>The referenced SOP Instance is not held by the SCP.</summary>
    public const ushort NoSuchObjectInstance = 0x0112;

    /// <summary>The SCP lacks resources to commit now.</summary>
    public const ushort ResourceLimitation = 0x0213;

    /// <summary>The referenced SOP Class is not supported by the SCP.</summary>
    public const ushort ReferencedSopClassNotSupported = 0x0122;

    /// <summary>The instance is held, but under another SOP Class than the one referenced.</summary>
    public const ushort ClassInstanceConflict = 0x0119;

    /// <summary>The Transaction UID is already in use.</summary>
    public const ushort DuplicateTransactionUid = 0x0131;

    /// <summary>The largest N-ACTION or N-EVENT-REPORT data set read into memory (about 100,000 references).</summary>
    public const int MaxDataSetLength = 16 * 1024 * 1024;

    /// <summary>A new Transaction UID under the UUID-derived root 2.25 (PS3.5 §B.2).</summary>
    public static string NewTransactionUid()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.NewGuid().TryWriteBytes(bytes, bigEndian: true, out _);
        return "2.25." + new BigInteger(bytes, isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The N-ACTION-RQ information (PS3.4 Table J.3-1): Transaction UID and Referenced SOP Sequence.</summary>
    public static DicomDataset BuildActionInformation(string transactionUid, IEnumerable<StorageCommitmentReference> instances)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.TransactionUID, DicomVR.UI, transactionUid);
        ds.AddOrUpdate(DicomTags.ReferencedSOPSequence, instances.Select(Item).ToArray());
        return ds;
    }

    /// <summary>Reads the N-ACTION-RQ information; throws <see cref="FormatException"/> naming what is missing.</summary>
    public static (string TransactionUid, IReadOnlyList<StorageCommitmentReference> Instances) ReadActionInformation(DicomDataset ds)
    {
        var transaction = ds.GetString(DicomTags.TransactionUID);
        if (string.IsNullOrEmpty(transaction)) throw new FormatException("The N-ACTION-RQ lacks its Transaction UID (0008,1195) (PS3.4 Table J.3-1).");
        var items = ds.GetSequence(DicomTags.ReferencedSOPSequence);
        if (items.Count == 0) throw new FormatException("The N-ACTION-RQ has no Referenced SOP Sequence (0008,1199) items (PS3.4 Table J.3-1).");
        return (transaction, items.Select(ReadReference).ToList());
    }

    /// <summary>The N-EVENT-REPORT-RQ information (PS3.4 Table J.3-2); the event type follows from whether any failed.</summary>
    public static DicomDataset BuildEventInformation(StorageCommitmentResult result, string? retrieveAeTitle = null)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.TransactionUID, DicomVR.UI, result.TransactionUid);
        if (retrieveAeTitle != null && result.Committed.Count > 0) ds.AddOrUpdate(DicomTags.RetrieveAETitle, DicomVR.AE, retrieveAeTitle);
        if (result.Committed.Count > 0) ds.AddOrUpdate(DicomTags.ReferencedSOPSequence, result.Committed.Select(Item).ToArray());
        if (result.Failed.Count > 0)
        {
            ds.AddOrUpdate(DicomTags.FailedSOPSequence, result.Failed.Select(f =>
            {
                var item = Item(new StorageCommitmentReference(f.SopClassUid, f.SopInstanceUid));
                item.AddOrUpdate(DicomTags.FailureReason, f.FailureReason);
                return item;
            }).ToArray());
        }
        return ds;
    }

    /// <summary>Reads the N-EVENT-REPORT-RQ information (PS3.4 Table J.3-2).</summary>
    public static StorageCommitmentResult ReadEventInformation(DicomDataset ds)
    {
        var transaction = ds.GetString(DicomTags.TransactionUID);
        if (string.IsNullOrEmpty(transaction)) throw new FormatException("The N-EVENT-REPORT-RQ lacks its Transaction UID (0008,1195) (PS3.4 Table J.3-2).");
        var committed = ds.GetSequence(DicomTags.ReferencedSOPSequence).Select(ReadReference).ToList();
        var failed = ds.GetSequence(DicomTags.FailedSOPSequence).Select(i =>
        {
            var r = ReadReference(i);
            return new StorageCommitmentFailure(r.SopClassUid, r.SopInstanceUid, i.GetInt(DicomTags.FailureReason) is { } v ? (ushort)v : ProcessingFailure);
        }).ToList();
        return new StorageCommitmentResult(transaction, committed, failed);
    }

    /// <summary>Encodes a data set in a presentation context's transfer syntax (no meta group).</summary>
    public static byte[] Encode(DicomDataset ds, string transferSyntaxUid)
    {
        using var buffer = new MemoryStream();
        DicomFileWriter.WriteDataset(buffer, ds, DicomTransferSyntax.Lookup(transferSyntaxUid));
        return buffer.ToArray();
    }

    /// <summary>Reads a message's data set into memory, refusing one longer than <see cref="MaxDataSetLength"/>.</summary>
    public static async Task<DicomDataset> ReadDataSetAsync(DimseMessage message, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await foreach (var chunk in message.ReadDataSetAsync(cancellationToken))
        {
            if (buffer.Length + chunk.Length > MaxDataSetLength) throw new FormatException($"A storage commitment data set exceeds {MaxDataSetLength} bytes.");
            buffer.Write(chunk.Span);
        }
        return DicomFile.ParseDataset(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), DicomTransferSyntax.Lookup(message.PresentationContext.TransferSyntax!));
    }

    private static DicomDataset Item(StorageCommitmentReference r)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, r.SopClassUid);
        item.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, r.SopInstanceUid);
        return item;
    }

    private static StorageCommitmentReference ReadReference(DicomDataset item) => new(
        item.GetString(DicomTags.ReferencedSOPClassUID) ?? throw new FormatException("A Referenced SOP Sequence item lacks its Referenced SOP Class UID (0008,1150)."),
        item.GetString(DicomTags.ReferencedSOPInstanceUID) ?? throw new FormatException("A Referenced SOP Sequence item lacks its Referenced SOP Instance UID (0008,1155)."));
}

/// <summary>The outcome of a storage commitment transaction: what the SCP committed to and what failed (PS3.4 J.3.3).</summary>
public sealed record StorageCommitmentResult(string TransactionUid, IReadOnlyList<StorageCommitmentReference> Committed, IReadOnlyList<StorageCommitmentFailure> Failed)
{
    /// <summary>Event Type ID 1 when nothing failed, else 2 (PS3.4 Table J.3-2).</summary>
    public ushort EventTypeId => Failed.Count == 0 ? StorageCommitment.SuccessfulEvent : StorageCommitment.FailuresExistEvent;
}
