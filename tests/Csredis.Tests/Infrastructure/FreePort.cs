// Asks the kernel for an unused loopback port: bind 127.0.0.1:0, read the port, close. A small race
// remains (someone may take the port before the server binds it); ServerProcess retries on that.
using System.Net;
using System.Net.Sockets;

namespace Csredis.Tests.Infrastructure;

public static class FreePort
{
    public static int Next()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
