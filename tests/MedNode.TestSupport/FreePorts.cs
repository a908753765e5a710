using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MedNode.TestSupport;

/// <summary>
/// Free TCP ports for servers the tests start (MedNode, Orthanc, storescp, PostgreSQL), chosen so that the pick does
/// not race: a port is taken below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>), so no
/// outgoing connection of this or another process gets it as its local port between the pick and the server's bind;
/// it is checked free on 127.0.0.1 and on all interfaces (Orthanc binds those); and one test process never hands out
/// the same port twice, so two servers started one after the other cannot be given the same port (binding port 0
/// and closing, as before, often returned a port just handed out).
/// </summary>
public static class FreePorts
{
    private const int Lowest = 10000;
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();

    /// <summary>A port no server of this process was given, free on loopback and on all interfaces right now.</summary>
    public static int Next()
    {
        var (low, _) = EphemeralRange();
        var high = Math.Max(Lowest + 1000, low) - 1;
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(Lowest, high + 1);
                if (Given.Contains(port) || !Bindable(IPAddress.Loopback, port) || !Bindable(IPAddress.Any, port)) continue;
                Given.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"No free TCP port between {Lowest} and {high}.");
    }

    /// <summary>The kernel's ephemeral port range (Linux); the IANA range elsewhere.</summary>
    public static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (49152, 65535);
        }
    }

    private static bool Bindable(IPAddress address, int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(address, port));
            s.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
