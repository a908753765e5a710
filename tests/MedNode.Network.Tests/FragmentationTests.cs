using System.Buffers;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Pdus;
using MedNode.TestSupport;
using static MedNode.Network.Tests.Fixtures;

namespace MedNode.Network.Tests;

[Trait("Conformance", "PS3.8 D.1")]
public class FragmentationTests
{
    private const int DataSetLength = 3 * 1024 * 1024 + 12345;

    /// <summary>The requestor sends to a raw acceptor that announced <paramref name="peerMax"/>: every PDU fits, and the fragments rebuild the message.</summary>
    [Theory]
    [InlineData(4096u)]
    [InlineData(16384u)]
    [InlineData(1048576u)]
    [InlineData(0u)]
    public async Task Send_PeerMaximum_EveryPduFitsAndFragmentsRebuildTheMessage(uint peerMax)
    {
        var (a, b) = TestPipes.CreatePair();
        var raw = new RawPeer(b);
        var options = new AssociationOptions { SendPduLengthWhenPeerUnlimited = 65536 };
        var request = Association.RequestAsync(a, Request(), options);
        var rq = (AAssociateRq)(await raw.ReceiveAsync()).Pdu!;
        await raw.SendAsync(new AAssociateAc
        {
            CalledAeTitle = rq.CalledAeTitle,
            CallingAeTitle = rq.CallingAeTitle,
            PresentationContexts = [new PresentationContextAc(3, PresentationContextResult.Acceptance, ExplicitLE)],
            UserInformation = new UserInformation { MaximumLength = peerMax },
        });
        await using var requestor = await request;
        var data = RandomBytes(DataSetLength, 42);
        var command = StoreRq(9, "1.2.3.4");
        var send = requestor.SendMessageAsync(3, command, new MemoryStream(data));

        var limit = peerMax == 0 ? 65536u : peerMax;
        var commandBytes = new MemoryStream();
        var dataBytes = new MemoryStream();
        var lastSeen = false;
        var pdus = 0;
        while (!lastSeen)
        {
            var (pdu, length) = await raw.ReceiveAsync();
            var p = pdu.Should().BeOfType<PDataTf>().Subject;
            length.Should().BeLessThanOrEqualTo(limit);
            pdus++;
            foreach (var v in p.Values)
            {
                v.PresentationContextId.Should().Be(3);
                if (v.IsCommand)
                {
                    dataBytes.Length.Should().Be(0, "the command comes before the data set");
                    commandBytes.Write(v.Data.ToArray());
                }
                else
                {
                    dataBytes.Write(v.Data.ToArray());
                    lastSeen = v.IsLastFragment;
                }
            }
        }
        await send;
        commandBytes.ToArray().Should().Equal(command);
        dataBytes.ToArray().Should().Equal(data);
        var perPdu = (int)limit - 6;
        pdus.Should().Be(1 + (DataSetLength + perPdu - 1) / perPdu, "full PDUs are sent until the last");
    }

    /// <summary>Requestor and acceptor: the data set streams into a file and arrives whole, at each local maximum.</summary>
    [Theory]
    [InlineData(4096u)]
    [InlineData(16384u)]
    [InlineData(1048576u)]
    [InlineData(0u)]
    public async Task Receive_LocalMaximum_DataSetStreamsIntoAFileIntact(uint localMax)
    {
        var (rq, ac) = await AssociateAsync(acceptorOptions: new AssociationOptions { MaxPduLength = localMax });
        await using (rq)
        await using (ac)
        {
            var data = RandomBytes(DataSetLength, 7);
            var send = rq.SendMessageAsync(3, StoreRq(1, "1.2.3"), new MemoryStream(data));
            var msg = await ac.ReceiveMessageAsync();
            msg!.HasDataSet.Should().BeTrue();
            using var dir = new TempDir();
            var path = dir.File("instance.dcm");
            await using (var file = File.Create(path))
            {
                await msg.CopyDataSetToAsync(file);
            }
            await send;
            (await File.ReadAllBytesAsync(path)).Should().Equal(data);

            // The next message follows on the same association.
            await rq.SendMessageAsync(1, EchoRq(2));
            var echo = await ac.ReceiveMessageAsync();
            ReadUs(echo!.Command.Span, 0x0110).Should().Be(2);
        }
    }

    [Fact]
    public async Task Receive_DataSetNotRead_SkippedBeforeTheNextMessage()
    {
        var (rq, ac) = await AssociateAsync(acceptorOptions: new AssociationOptions { MaxPduLength = 4096 });
        await using (rq)
        await using (ac)
        {
            var send = rq.SendMessageAsync(3, StoreRq(1, "1.2.3"), RandomBytes(100_000, 1).AsMemory());
            (await ac.ReceiveMessageAsync())!.HasDataSet.Should().BeTrue();
            var thenEcho = Task.Run(async () =>
            {
                await send;
                await rq.SendMessageAsync(1, EchoRq(5));
            });
            var next = await ac.ReceiveMessageAsync();
            await thenEcho;
            ReadUs(next!.Command.Span, 0x0110).Should().Be(5);
        }
    }

    [Fact]
    public async Task Receive_AsyncChunks_AreThePduFragments()
    {
        var (rq, ac) = await AssociateAsync(acceptorOptions: new AssociationOptions { MaxPduLength = 4096 });
        await using (rq)
        await using (ac)
        {
            var data = RandomBytes(20_000, 9);
            var send = rq.SendMessageAsync(3, StoreRq(1, "1.2.3"), data.AsMemory());
            var msg = await ac.ReceiveMessageAsync();
            var chunks = new List<byte[]>();
            await foreach (var chunk in msg!.ReadDataSetAsync()) chunks.Add(chunk.ToArray());
            await send;
            chunks.Should().OnlyContain(c => c.Length <= 4096 - 6);
            chunks.SelectMany(c => c).Should().Equal(data);
        }
    }
}
