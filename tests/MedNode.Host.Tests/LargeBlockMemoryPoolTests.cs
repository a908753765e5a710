using System.Buffers;
using System.Runtime.InteropServices;
using MedNode.Host.Hosting;

namespace MedNode.Host.Tests;

/// <summary>
/// The 64 KiB-block pool that `serve` gives Kestrel: what Kestrel's socket transport relies on (array-backed, pinnable
/// blocks of at least the requested size) and the pool's own promises (a block comes back once per lease, and at most
/// <see cref="LargeBlockMemoryPool.MaxRetained"/> are kept). Kestrel itself over real sockets is exercised by the serve
/// end-to-end tests (STOW-RS in, WADO-RS out).
/// </summary>
public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void Rent_GivesAnArrayBackedBlockOf64KiB_AtAnySizeUpToIt()
    {
        using var pool = (LargeBlockMemoryPool)new LargeBlockMemoryPoolFactory().Create();
        pool.MaxBufferSize.Should().Be(64 * 1024);
        foreach (var size in new[] { -1, 0, 1, 4096, 64 * 1024 })
        {
            using var lease = pool.Rent(size);
            lease.Memory.Length.Should().Be(64 * 1024);
            MemoryMarshal.TryGetArray<byte>(lease.Memory, out var array).Should().BeTrue("Kestrel's socket sender sends arrays");
            array.Count.Should().Be(64 * 1024);
        }
    }

    [Fact]
    public unsafe void Pin_PointsAtTheBlocksOwnBytes()
    {
        using var pool = new LargeBlockMemoryPool();
        using var lease = pool.Rent();
        lease.Memory.Span[100] = 42;
        using var handle = lease.Memory[100..].Pin();
        (*(byte*)handle.Pointer).Should().Be(42);
    }

    [Fact]
    public void Rent_MoreThanABlock_IsRefused()
    {
        using var pool = new LargeBlockMemoryPool();
        var rent = () => pool.Rent(64 * 1024 + 1);
        rent.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Dispose_ReturnsTheBlockOnce_ForTheNextLease()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent();
        MemoryMarshal.TryGetArray<byte>(first.Memory, out var a);
        first.Dispose();
        first.Dispose(); // a second dispose must not put the block in the pool twice

        using var second = pool.Rent();
        using var third = pool.Rent();
        MemoryMarshal.TryGetArray<byte>(second.Memory, out var b);
        MemoryMarshal.TryGetArray<byte>(third.Memory, out var c);
        b.Array.Should().BeSameAs(a.Array);
        c.Array.Should().NotBeSameAs(a.Array);
    }

    [Fact]
    public void Return_KeepsAtMostMaxRetainedBlocks()
    {
        using var pool = new LargeBlockMemoryPool();
        var leases = Enumerable.Range(0, LargeBlockMemoryPool.MaxRetained + 10).Select(_ => pool.Rent()).ToList();
        var arrays = leases.Select(l => MemoryMarshal.TryGetArray<byte>(l.Memory, out var s) ? s.Array! : null).ToHashSet();
        arrays.Should().HaveCount(LargeBlockMemoryPool.MaxRetained + 10);
        leases.ForEach(l => l.Dispose());

        var again = Enumerable.Range(0, LargeBlockMemoryPool.MaxRetained + 10).Select(_ => pool.Rent()).ToList();
        again.Count(l => MemoryMarshal.TryGetArray<byte>(l.Memory, out var s) && arrays.Contains(s.Array!))
            .Should().Be(LargeBlockMemoryPool.MaxRetained);
        again.ForEach(l => l.Dispose());
    }
}
