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
        var client = CreateClient(fd, out _);
        Clients[client.Id] = client;
        Loop.AddFileEvent(fd, Libc.EPOLLIN, client);
        return client;
    }
}
