using System.Buffers.Binary;

namespace MedNode.Dicom.Network;

/// <summary>
/// Reads single US elements of a command set, which is always Implicit VR Little Endian (PS3.7 §6.3.1), without the
/// dataset model: enough for the upper layer to know whether a data set follows.
/// </summary>
internal static class CommandSetScanner
{
    /// <summary>Command Data Set Type (0000,0800): 0101H means no data set follows (PS3.7 §E.1-1).</summary>
    public const uint CommandDataSetTypeTag = 0x0000_0800;
    public const ushort NoDataSet = 0x0101;

    public static ushort? ReadUInt16(ReadOnlySpan<byte> command, uint tag)
    {
        var offset = 0;
        while (command.Length - offset >= 8)
        {
            var group = BinaryPrimitives.ReadUInt16LittleEndian(command[offset..]);
            var element = BinaryPrimitives.ReadUInt16LittleEndian(command[(offset + 2)..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(command[(offset + 4)..]);
            offset += 8;
            if (length > (uint)(command.Length - offset)) return null;
            if (((uint)group << 16 | element) == tag) return length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(command[offset..]) : null;
            offset += (int)length;
        }
        return null;
    }

    public static bool HasDataSet(ReadOnlySpan<byte> command) =>
        ReadUInt16(command, CommandDataSetTypeTag) is { } type && type != NoDataSet;
}
