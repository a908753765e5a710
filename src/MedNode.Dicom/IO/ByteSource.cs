using System.Buffers;
using System.Buffers.Binary;
using MedNode.Dicom.Buffers;
using Microsoft.Win32.SafeHandles;

namespace MedNode.Dicom.IO;

/// <summary>
/// Where the reader takes bytes from: memory, or a file through a window buffer. Lengths are always checked against
/// <see cref="Length"/> before anything is allocated.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    public long Position { get; set; }
    public abstract long Length { get; }
    public long Remaining => Length - Position;

    /// <summary>Returns the next <paramref name="n"/> bytes and advances; the span is valid until the next call.</summary>
    public abstract ReadOnlySpan<byte> Read(int n);

    /// <summary>Returns the next <paramref name="n"/> bytes without advancing.</summary>
    public abstract ReadOnlySpan<byte> Peek(int n);

    /// <summary>A buffer over the next <paramref name="n"/> bytes (lazy when <paramref name="lazy"/> and the source is a file); advances.</summary>
    public abstract IByteBuffer ReadBuffer(long n, bool lazy, int swapUnit);

    public void Skip(long n) => Position += n;

    public ushort ReadUInt16(bool bigEndian)
    {
        var s = Read(2);
        return bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    }

    public uint ReadUInt32(bool bigEndian)
    {
        var s = Read(4);
        return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
    }

    public virtual void Dispose() { }

    protected static byte[] CopySwapped(ReadOnlySpan<byte> src, int swapUnit)
    {
        var b = GC.AllocateUninitializedArray<byte>(src.Length);
        src.CopyTo(b);
        if (swapUnit > 1) ByteSwap.InPlace(b, swapUnit);
        return b;
    }
}

internal sealed class MemorySource(ReadOnlyMemory<byte> data) : ByteSource
{
    public override long Length => data.Length;

    public override ReadOnlySpan<byte> Read(int n)
    {
        var s = data.Span.Slice((int)Position, n);
        Position += n;
        return s;
    }

    public override ReadOnlySpan<byte> Peek(int n) => data.Span.Slice((int)Position, n);

    public override IByteBuffer ReadBuffer(long n, bool lazy, int swapUnit)
    {
        var slice = data.Slice((int)Position, (int)n);
        Position += n;
        return swapUnit > 1 ? new MemoryByteBuffer(CopySwapped(slice.Span, swapUnit)) : new MemoryByteBuffer(slice.ToArray());
    }
}

internal sealed class FileSource : ByteSource
{
    private const int Window = 256 * 1024;
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    // Pooled: a new 256 KiB window per file opened was a large-object-heap allocation per received instance.
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Window);
    private int _nextRead = 8 * 1024; // small first read: a header is often all that is wanted (StopAtPixelData)
    private long _bufferStart;
    private int _bufferCount;

    public FileSource(string path)
    {
        _path = path;
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        Length = RandomAccess.GetLength(_handle);
    }

    public override long Length { get; }

    private void Fill(int n)
    {
        if (Position >= _bufferStart && Position + n <= _bufferStart + _bufferCount) return;
        if (n > _buffer.Length)
        {
            int size = Math.Max(n, _buffer.Length * 2);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = []; // a failed Rent leaves nothing to return twice
            _buffer = ArrayPool<byte>.Shared.Rent(size);
        }
        _bufferStart = Position;
        int want = (int)Math.Min(Math.Max(n, _nextRead), Math.Min(_buffer.Length, Length - Position));
        _nextRead = Math.Min(_nextRead * 2, _buffer.Length);
        int got = 0;
        while (got < want)
        {
            int r = RandomAccess.Read(_handle, _buffer.AsSpan(got, want - got), Position + got);
            if (r <= 0) break;
            got += r;
        }
        _bufferCount = got;
        if (got < n) throw new EndOfStreamException();
    }

    public override ReadOnlySpan<byte> Read(int n)
    {
        Fill(n);
        var s = _buffer.AsSpan((int)(Position - _bufferStart), n);
        Position += n;
        return s;
    }

    public override ReadOnlySpan<byte> Peek(int n)
    {
        Fill(n);
        return _buffer.AsSpan((int)(Position - _bufferStart), n);
    }

    public override IByteBuffer ReadBuffer(long n, bool lazy, int swapUnit)
    {
        if (lazy)
        {
            var b = new FileByteBuffer(_path, Position, n, swapUnit);
            Position += n;
            return b;
        }
        return new MemoryByteBuffer(CopySwapped(Read((int)n), swapUnit));
    }

    public override void Dispose()
    {
        _handle.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
