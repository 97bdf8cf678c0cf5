// Per-client state owned by features outside the I/O core: the MULTI queue and watched keys
// (Transactions.cs), subscriptions (PubSub.cs) and what a blocked client waits for (Blocking.cs).
// Null until the client first uses the feature, so a plain client carries three null references.
using Csredis.Server.Commands;

namespace Csredis.Server.Networking;

public sealed partial class Client
{
    /// <summary>Commands queued since MULTI (command, copied arguments); null outside MULTI.</summary>
    public List<(Command Command, byte[][] Args)>? MultiQueue;
    /// <summary>Keys this client WATCHes; null when none.</summary>
    public List<WatchedKey>? WatchedKeys;

    /// <summary>Channels and patterns this client listens to; null until it first subscribes.</summary>
    public ClientSubscriptions? Subscriptions;

    /// <summary>Set while the client waits in a blocking command.</summary>
    public BlockState? BlockedOn;
}
