// The server's side of the replica link: the link object itself, and how a socket connected by
// us (the master's) becomes a client like an accepted one.
using Csredis.Common.Native;
using Csredis.Server.Networking;

namespace Csredis.Server;

public sealed partial class RedisServer
{
    /// <summary>The link to our master (idle while we are a master).</summary>
    public readonly Replication.ReplicaLink ReplicaLink;

    /// <summary>Wraps a connected socket into a client registered with the loop (the master client).</summary>
    public Client AdoptConnection(int fd)
    {
        Sockets.ConfigureClientSocket(fd, Config.TcpKeepalive);
        var client = new Client(this, fd, ++_nextClientId);
        var (ip, port) = Sockets.PeerAddress(fd);
        var (lip, lport) = Sockets.PeerAddress(fd, local: true);
        client.Address = FormatAddress(ip, port);
        client.LocalAddress = FormatAddress(lip, lport);
        Clients[client.Id] = client;
        Loop.AddFileEvent(fd, Libc.EPOLLIN, client);
        return client;
    }
}
