using Microsoft.Win32.SafeHandles;

namespace MedNode.Dicom.Buffers;

/// <summary>
/// The bytes of one value, always in little-endian order. Small values live in memory; large values read
/// lazily from their file by offset, so a 2 GB file is parsed in a few MB.
/// </summary>
public interface IByteBuffer
{
    long Length { get; }

    /// <summary>True when the bytes are already in memory (reading them costs no I/O).</summary>
    bool IsMemory { get; }

    /// <summary>All bytes. For a lazy buffer this reads them from the file.</summary>
    ReadOnlyMemory<byte> GetMemory();

    /// <summary>Copies <paramref name="count"/> bytes starting at <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    void CopyTo(long offset, Span<byte> destination);

    /// <summary>Writes all bytes to a stream, in chunks for lazy buffers.</summary>
    void WriteTo(Stream stream);
}

/// <summary>A buffer over memory.</summary>
public sealed class MemoryByteBuffer(ReadOnlyMemory<byte> data) : IByteBuffer
{
    public static readonly MemoryByteBuffer Empty = new(ReadOnlyMemory<byte>.Empty);

    public long Length => data.Length;
    public bool IsMemory => true;
    public ReadOnlyMemory<byte> GetMemory() => data;
    public void CopyTo(long offset, Span<byte> destination) => data.Span.Slice(checked((int)offset), destination.Length).CopyTo(destination);
    public void WriteTo(Stream stream) => stream.Write(data.Span);
}

/// <summary>
/// A value left in its file: read on demand by offset. When the file is big endian, each read swaps bytes in units of
/// <see cref="SwapUnit"/> so callers always see little endian (PS3.5 §7.3).
/// </summary>
public sealed class FileByteBuffer : IByteBuffer
{
    private readonly string _path;
    private readonly long _offset;

    public FileByteBuffer(string path, long offset, long length, int swapUnit = 1)
    {
        _path = path; _offset = offset; Length = length; SwapUnit = swapUnit;
    }

    public long Length { get; }
    public int SwapUnit { get; }
    public bool IsMemory => false;

    public ReadOnlyMemory<byte> GetMemory()
    {
        if (Length > Array.MaxLength) throw new InvalidOperationException($"value of {Length} bytes is too large to hold in memory; stream it");
        var bytes = GC.AllocateUninitializedArray<byte>((int)Length);
        CopyTo(0, bytes);
        return bytes;
    }

    public void CopyTo(long offset, Span<byte> destination)
    {
        using SafeFileHandle h = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        ReadExactly(h, _offset + offset, destination);
        if (SwapUnit > 1) ByteSwap.InPlace(destination, SwapUnit);
    }

    public void WriteTo(Stream stream)
    {
        using SafeFileHandle h = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buf = new byte[(int)Math.Min(Length, 1 << 20)];
        long done = 0;
        while (done < Length)
        {
            int n = (int)Math.Min(buf.Length, Length - done);
            ReadExactly(h, _offset + done, buf.AsSpan(0, n));
            if (SwapUnit > 1) ByteSwap.InPlace(buf.AsSpan(0, n), SwapUnit);
            stream.Write(buf, 0, n);
            done += n;
        }
    }

    private static void ReadExactly(SafeFileHandle h, long position, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int n = RandomAccess.Read(h, destination, position);
            if (n <= 0) throw new EndOfStreamException("file shorter than the value it promised");
            destination = destination[n..];
            position += n;
        }
    }
}

/// <summary>Byte swapping between little and big endian.</summary>
public static class ByteSwap
{
    public static void InPlace(Span<byte> data, int unit)
    {
        int n = data.Length - data.Length % unit;
        switch (unit)
        {
            case 2:
                for (int i = 0; i < n; i += 2) (data[i], data[i + 1]) = (data[i + 1], data[i]);
                break;
            case 4:
                for (int i = 0; i < n; i += 4) { (data[i], data[i + 3]) = (data[i + 3], data[i]); (data[i + 1], data[i + 2]) = (data[i + 2], data[i + 1]); }
                break;
            case 8:
                for (int i = 0; i < n; i += 8) data.Slice(i, 8).Reverse();
                break;
        }
    }
}
