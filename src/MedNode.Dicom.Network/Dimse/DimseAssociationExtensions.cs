namespace MedNode.Dicom.Network.Dimse;

/// <summary>DIMSE commands over an <see cref="Association"/>.</summary>
public static class DimseAssociationExtensions
{
    /// <summary>Decodes the command set of a received message.</summary>
    public static DimseCommand DecodeCommand(this DimseMessage message) => DimseCommand.Decode(message.Command);

    /// <summary>Sends a command without a data set.</summary>
    public static Task SendCommandAsync(this Association association, byte presentationContextId, DimseCommand command, CancellationToken cancellationToken = default)
    {
        if (command.HasDataSet) throw new ArgumentException("This command announces a data set; pass it.", nameof(command));
        return association.SendMessageAsync(presentationContextId, command.Encode(), (ReadOnlyMemory<byte>?)null, cancellationToken);
    }

    /// <summary>Sends a command and streams its data set.</summary>
    public static Task SendCommandAsync(this Association association, byte presentationContextId, DimseCommand command, Stream dataSet, CancellationToken cancellationToken = default)
    {
        if (!command.HasDataSet) throw new ArgumentException("This command announces no data set (0000,0800 = 0101H).", nameof(command));
        return association.SendMessageAsync(presentationContextId, command.Encode(), dataSet, cancellationToken);
    }
}
