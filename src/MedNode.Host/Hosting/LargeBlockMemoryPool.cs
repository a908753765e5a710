using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;

namespace MedNode.Host.Hosting;

/// <summary>
/// Kestrel's memory pools, with 64 KiB blocks instead of its default 4 KiB ones. Kestrel's socket transport receives
/// into one pool block per <c>recv</c>: with 4 KiB blocks a 105 MB STOW-RS request took ~26,000 receives, and
/// <c>recvfrom</c> was 15 % of the server's CPU (bench/RESULTS.md, DICOMweb, 2026-11-26 20:59). With 64 KiB blocks each
/// receive takes up to 64 KiB, as MedNode's DIMSE transport already does. Registered as the
/// <see cref="IMemoryPoolFactory{T}"/> of the host, which Kestrel's transport and server take their pools from.
/// The cost: a connection that has sent part of a request holds a 64 KiB block instead of a 4 KiB one until the rest
/// arrives (an idle one holds none: Kestrel waits for data before it takes a block), so a thousand such connections hold
/// 64 MiB; the rate limiter and Kestrel's header limits bound them as before.
/// </summary>
public sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

/// <summary>
/// A pool of 64 KiB blocks on the pinned object heap. A returned block is kept for the next lease, up to
/// <see cref="MaxRetained"/> blocks (4 MiB); beyond that it is left to the garbage collector, so an idle node does not hold
/// the blocks of its busiest moment.
/// </summary>
public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;
    public const int MaxRetained = 64;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;
    private bool _disposed;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_free.TryDequeue(out var block)) Interlocked.Decrement(ref _freeCount);
        else block = new Block(this);
        block.Lease();
        return block;
    }

    private void Return(Block block)
    {
        if (_disposed || Interlocked.Increment(ref _freeCount) > MaxRetained)
        {
            if (!_disposed) Interlocked.Decrement(ref _freeCount);
            return;
        }
        _free.Enqueue(block);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _free.Clear();
    }

    /// <summary>
    /// One block: its memory is a pinned array, so pinning it for a socket operation costs nothing, and it is
    /// array-backed (<see cref="TryGetArray"/>) as Kestrel's socket sender requires.
    /// </summary>
    private sealed unsafe class Block(LargeBlockMemoryPool pool) : MemoryManager<byte>, IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        private int _leased;

        public void Lease() => Volatile.Write(ref _leased, 1);

        public override Span<byte> GetSpan() => _array;

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _array.Length);
            return new MemoryHandle((byte*)Unsafe.AsPointer(ref _array[0]) + elementIndex);
        }

        /// <summary>The array behind the block: Kestrel's socket sender hands several buffers to one send only as arrays.</summary>
        protected override bool TryGetArray(out ArraySegment<byte> segment)
        {
            segment = new ArraySegment<byte>(_array);
            return true;
        }

        public override void Unpin()
        {
            // The array is on the pinned object heap.
        }

        /// <summary>
        /// The lease ends: the block goes back to its pool once, however often its holder calls this. As with Kestrel's own
        /// pool, a holder must not call it after the block has been leased again.
        /// </summary>
        void IDisposable.Dispose()
        {
            if (Interlocked.Exchange(ref _leased, 0) == 1) pool.Return(this);
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
