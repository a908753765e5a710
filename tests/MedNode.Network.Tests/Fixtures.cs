using System.Buffers.Binary;
using System.Text;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Pdus;

namespace MedNode.Network.Tests;

/// <summary>An AE value for <see cref="Fixtures.Command"/>: padded with a space (PS3.5 §6.2).</summary>
internal sealed record Ae(string Value);

internal static class Fixtures
{
    public const string Verification = "1.2.840.10008.1.1";
    public const string CtImageStorage = "1.2.840.10008.5.1.4.1.1.2";
    public const string ImplicitLE = "1.2.840.10008.1.2";
    public const string ExplicitLE = "1.2.840.10008.1.2.1";
    public const string JpegLossless = "1.2.840.10008.1.2.4.70";

    public static SimpleAcceptorPolicy Policy(IReadOnlySet<string>? callingAllowed = null) => new(
        "MEDNODE",
        new Dictionary<string, IReadOnlyList<string>>
        {
            [Verification] = [ImplicitLE],
            [CtImageStorage] = [ExplicitLE, ImplicitLE],
        },
        callingAllowed);

    public static AssociationRequest Request(string called = "MEDNODE", string calling = "TESTSCU") => new(called, calling,
    [
        new PresentationContextRq(1, Verification, [ImplicitLE]),
        new PresentationContextRq(3, CtImageStorage, [ImplicitLE, ExplicitLE]),
        new PresentationContextRq(5, "1.2.3.4.5.6", [ImplicitLE]),
        new PresentationContextRq(7, CtImageStorage, [JpegLossless]),
    ]);

    /// <summary>Both sides of an in-memory association, negotiated concurrently.</summary>
    public static async Task<(Association Requestor, Association Acceptor)> AssociateAsync(
        AssociationOptions? requestorOptions = null, AssociationOptions? acceptorOptions = null, AssociationRequest? request = null, IAssociationAcceptorPolicy? policy = null)
    {
        var (a, b) = TestPipes.CreatePair();
        var accept = Association.AcceptAsync(b, policy ?? Policy(), acceptorOptions);
        var requestor = await Association.RequestAsync(a, request ?? Request(), requestorOptions);
        return (requestor, await accept);
    }

    /// <summary>
    /// A command set in Implicit VR Little Endian written by hand from PS3.7 §E.1 (element by element, group length
    /// first), so that the tests do not depend on the code under test to build one.
    /// </summary>
    public static byte[] Command(params (ushort Element, object Value)[] elements)
    {
        var body = new MemoryStream();
        foreach (var (element, value) in elements.OrderBy(e => e.Element))
        {
            byte[] bytes = value switch
            {
                ushort us => BitConverter.GetBytes(us),
                string ui => Encoding.ASCII.GetBytes(ui.Length % 2 == 1 ? ui + "\0" : ui),
                Ae ae => Encoding.ASCII.GetBytes(ae.Value.Length % 2 == 1 ? ae.Value + " " : ae.Value),
                _ => throw new ArgumentException("US, UI or AE only"),
            };
            WriteElement(body, element, bytes);
        }
        var all = new MemoryStream();
        var groupLength = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength, (uint)body.Length);
        WriteElement(all, 0x0000, groupLength);
        body.WriteTo(all);
        return all.ToArray();
    }

    private static void WriteElement(Stream s, ushort element, byte[] value)
    {
        Span<byte> h = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(h, 0x0000);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], element);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)value.Length);
        s.Write(h);
        s.Write(value);
    }

    /// <summary>A C-ECHO-RQ (PS3.7 Table 9.3-12).</summary>
    public static byte[] EchoRq(ushort messageId) => Command((0x0002, Verification), (0x0100, (ushort)0x0030), (0x0110, messageId), (0x0800, (ushort)0x0101));

    /// <summary>A C-ECHO-RSP with status Success (PS3.7 Table 9.3-13).</summary>
    public static byte[] EchoRsp(ushort messageId) => Command((0x0002, Verification), (0x0100, (ushort)0x8030), (0x0120, messageId), (0x0800, (ushort)0x0101), (0x0900, (ushort)0x0000));

    /// <summary>A C-STORE-RQ (PS3.7 Table 9.3-1): a data set follows, so Command Data Set Type is not 0101H.</summary>
    public static byte[] StoreRq(ushort messageId, string sopInstanceUid) => Command((0x0002, CtImageStorage), (0x0100, (ushort)0x0001), (0x0110, messageId), (0x0700, (ushort)0), (0x0800, (ushort)0x0000), (0x1000, sopInstanceUid));

    /// <summary>Reads a US element from a command set written by <see cref="Command"/>.</summary>
    public static ushort ReadUs(ReadOnlySpan<byte> command, ushort element)
    {
        var o = 0;
        while (o + 8 <= command.Length)
        {
            var el = BinaryPrimitives.ReadUInt16LittleEndian(command[(o + 2)..]);
            var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(command[(o + 4)..]);
            if (el == element) return BinaryPrimitives.ReadUInt16LittleEndian(command[(o + 8)..]);
            o += 8 + len;
        }
        throw new KeyNotFoundException($"(0000,{element:X4})");
    }

    /// <summary>Reads a UI element (trailing NUL padding removed) from an Implicit VR Little Endian command set.</summary>
    public static string ReadUi(ReadOnlySpan<byte> command, ushort element)
    {
        var o = 0;
        while (o + 8 <= command.Length)
        {
            var el = BinaryPrimitives.ReadUInt16LittleEndian(command[(o + 2)..]);
            var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(command[(o + 4)..]);
            if (el == element) return Encoding.ASCII.GetString(command.Slice(o + 8, len)).TrimEnd('\0', ' ');
            o += 8 + len;
        }
        throw new KeyNotFoundException($"(0000,{element:X4})");
    }

    /// <summary>A C-STORE-RSP (PS3.7 Table 9.3-2) with the given status.</summary>
    public static byte[] StoreRsp(ushort messageId, string sopClassUid, string sopInstanceUid, ushort status) =>
        Command((0x0002, sopClassUid), (0x0100, (ushort)0x8001), (0x0120, messageId), (0x0800, (ushort)0x0101), (0x0900, status), (0x1000, sopInstanceUid));

    public static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
