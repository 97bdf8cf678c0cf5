// The notifications a write command gives the rest of the server (Redis's signalModifiedKey,
// notifyKeyspaceEvent, signalFlushedDb): WATCH, keyspace events, client-side caching and
// replication subscribe to these events instead of each command calling them one by one.
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server;

public sealed partial class RedisServer
{
    /// <summary>A key was written: (client or null, db, key, Redis event name such as "set", "del", "expire").</summary>
    public event KeyChangeHandler? KeyChanged;
    public delegate void KeyChangeHandler(Client? client, Db db, ReadOnlySpan<byte> key, string eventName);

    /// <summary>FLUSHDB (db id) or FLUSHALL (-1).</summary>
    public event Action<Client?, int>? Flushed;

    /// <summary>Snapshots in progress (BGSAVE, replication full syncs), each keeping the versions of the entries it has not written yet.</summary>
    public readonly List<Persistence.Snapshot> ActiveSnapshots = new();

    /// <summary>ShutdownSave from SHUTDOWN [SAVE|NOSAVE]: null means "as the save points say".</summary>
    public bool? ShutdownSave;

    public void SignalKeyChange(Client? c, Db db, ReadOnlySpan<byte> key, string eventName, bool expireSet = false)
    {
        var handler = KeyChanged;
        if (handler == null) return;
        handler(c, db, key, eventName);
        if (expireSet) handler(c, db, key, "expire");
    }

    /// <summary>The event name of a change that has no keyspace notification (KeyspaceEvents skips it).</summary>
    public const string NoKeyspaceEvent = "";

    /// <summary>A key changed without a keyspace event (Redis's bare signalModifiedKey: PFCOUNT storing its estimate).</summary>
    public void SignalModifiedKey(Client? c, Db db, ReadOnlySpan<byte> key) => KeyChanged?.Invoke(c, db, key, NoKeyspaceEvent);

    /// <summary>Call before the databases are emptied: WATCH needs to see which watched keys existed.</summary>
    public void SignalFlush(Client? c, int dbId) => Flushed?.Invoke(c, dbId);

    /// <summary>SWAPDB exchanged the contents of two databases (WATCH and blocked clients re-check their keys).</summary>
    public event Action<Client?, int, int>? DatabasesSwapped;
    public void SignalSwapDb(Client? c, int first, int second) => DatabasesSwapped?.Invoke(c, first, second);

    /// <summary>
    /// Call right before changing <paramref name="item"/> in place, however it was looked up: each
    /// running snapshot first takes the copy it still needs. False when a snapshot holds the array
    /// itself (a long string): the caller then stores a new array and leaves the old one unchanged.
    /// </summary>
    public bool SnapshotAllowsInPlaceWrite(object item)
    {
        foreach (var snapshot in ActiveSnapshots)
            if (!snapshot.PrepareInPlaceWrite(item)) return false;
        return true;
    }

    /// <summary>True while commands come from the master link or a loading file: their expiry is applied as given.</summary>
    public bool IsLoadingOrReplicaStream(Client c) => (c.Flags & ClientFlags.Master) != 0;

    public event Action? ConfigChanged;
    public void OnConfigChanged() => ConfigChanged?.Invoke();

    public event Action? StatsReset;
    public void ResetStats()
    {
        Stats.Reset();
        foreach (var cmd in Commands.All)
        {
            cmd.ResetStats();
            if (cmd.Subcommands != null) foreach (var sub in cmd.Subcommands.Values) sub.ResetStats();
        }
        StatsReset?.Invoke();
    }

    /// <summary>Raised by RESET so features drop their per-client state (MULTI, subscriptions, tracking).</summary>
    public event Action<Client>? ClientResetting;

    public void ResetClient(Client c)
    {
        ClientResetting?.Invoke(c);
        c.SelectDb(0);
        c.Reply.Protocol = 2;
        c.Name = null;
        c.Authenticated = !Config.AuthRequired;
        c.User = "default";
        c.Flags &= ~(ClientFlags.ReplyOff | ClientFlags.ReplySkip | ClientFlags.ReplySkipNext | ClientFlags.NoEvict | ClientFlags.NoTouch);
    }
}
