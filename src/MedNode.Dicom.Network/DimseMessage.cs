namespace MedNode.Dicom.Network;

/// <summary>
/// A DIMSE message as received (PS3.7 §6.3, PS3.8 Annex E): the whole command set, and the data set still on the
/// wire. Read the data set once, with <see cref="CopyDataSetToAsync"/> or <see cref="ReadDataSetAsync"/>, before
/// asking the association for the next message; if it is not read, the next receive discards it.
/// </summary>
public sealed class DimseMessage
{
    private readonly Association _owner;

    internal DimseMessage(Association owner, PresentationContext context, byte[] command, bool hasDataSet)
    {
        _owner = owner;
        PresentationContext = context;
        Command = command;
        HasDataSet = hasDataSet;
        DataSetConsumed = !hasDataSet;
    }

    public byte PresentationContextId => PresentationContext.Id;

    /// <summary>The accepted presentation context the message came on (its transfer syntax encodes the data set).</summary>
    public PresentationContext PresentationContext { get; }

    /// <summary>The command set, Implicit VR Little Endian (PS3.7 §6.3.1).</summary>
    public ReadOnlyMemory<byte> Command { get; }

    /// <summary>Whether a data set follows, from Command Data Set Type (0000,0800).</summary>
    public bool HasDataSet { get; }

    internal bool DataSetConsumed { get; set; }

    /// <summary>
    /// Streams the data set's PDV fragments as they arrive. Each chunk is valid only until the next one is asked
    /// for: copy or write it before moving on. After the last one the caller goes on on the thread pool.
    /// </summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadDataSetAsync(CancellationToken cancellationToken = default) =>
        _owner.ReadDataSetFragmentsAsync(this, leaveSocketThread: true, cancellationToken);

    /// <summary>
    /// <see cref="ReadDataSetAsync"/> for the C-STORE SCP's spool loop: the caller may stay on the socket engine's thread
    /// after the last fragment and leaves it itself before the store handler.
    /// </summary>
    internal IAsyncEnumerable<ReadOnlyMemory<byte>> ReadDataSetOnSocketThreadAsync(CancellationToken cancellationToken) =>
        _owner.ReadDataSetFragmentsAsync(this, leaveSocketThread: false, cancellationToken);

    /// <summary>Writes the data set to <paramref name="destination"/> fragment by fragment; the whole data set is never held in memory.</summary>
    public async Task CopyDataSetToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        await foreach (var chunk in ReadDataSetAsync(cancellationToken))
        {
            await destination.WriteAsync(chunk, cancellationToken);
        }
    }
}
