using System.Buffers;
using System.IO.Pipelines;
using MedNode.Dicom.Network.Pdus;

namespace MedNode.Network.Tests;

internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}

internal static class TestPipes
{
    /// <summary>Two ends of an in-memory connection.</summary>
    public static (IDuplexPipe A, IDuplexPipe B) CreatePair()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        return (new DuplexPipe(ba.Reader, ab.Writer), new DuplexPipe(ab.Reader, ba.Writer));
    }

    public static byte[] ToBytes(this Pdu pdu)
    {
        var w = new ArrayBufferWriter<byte>();
        pdu.Write(w);
        return w.WrittenSpan.ToArray();
    }

    public static Pdu ReadOne(byte[] bytes, uint maxPData = 0)
    {
        var seq = new ReadOnlySequence<byte>(bytes);
        PduReader.TryRead(ref seq, maxPData, PduReader.DefaultMaxAssociatePduLength, out var pdu).Should().BeTrue();
        seq.Length.Should().Be(0, "the whole PDU is consumed");
        return pdu!;
    }
}

/// <summary>A hand-driven peer: writes PDUs or raw bytes, and reads PDUs back (P-DATA copied out of the pipe).</summary>
internal sealed class RawPeer(IDuplexPipe pipe)
{
    public IDuplexPipe Pipe { get; } = pipe;

    public async Task SendAsync(Pdu pdu)
    {
        pdu.Write(Pipe.Output);
        await Pipe.Output.FlushAsync();
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await Pipe.Output.WriteAsync(bytes);
    }

    /// <summary>The next PDU, or null when the other side closed. P-DATA values are copied, with each PDU's length recorded.</summary>
    public async Task<(Pdu? Pdu, uint Length)> ReceiveAsync(uint maxPData = 0)
    {
        while (true)
        {
            var result = await Pipe.Input.ReadAsync();
            var buffer = result.Buffer;
            if (buffer.Length >= 6)
            {
                var header = buffer.Slice(0, 6).ToArray();
                var length = (uint)(header[2] << 24 | header[3] << 16 | header[4] << 8 | header[5]);
                if (PduReader.TryRead(ref buffer, maxPData, PduReader.DefaultMaxAssociatePduLength, out var pdu))
                {
                    if (pdu is PDataTf p)
                        pdu = new PDataTf(p.Values.Select(v => v with { Data = new ReadOnlySequence<byte>(v.Data.ToArray()) }).ToList());
                    Pipe.Input.AdvanceTo(buffer.Start);
                    return (pdu, length);
                }
            }
            if (result.IsCompleted)
            {
                Pipe.Input.AdvanceTo(buffer.End);
                return (null, 0);
            }
            Pipe.Input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Waits until the other side closes its end, skipping anything it sends.</summary>
    public async Task<bool> WaitClosedAsync()
    {
        while (true)
        {
            var result = await Pipe.Input.ReadAsync();
            Pipe.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) return true;
        }
    }

    public void Close()
    {
        Pipe.Output.Complete();
    }
}
