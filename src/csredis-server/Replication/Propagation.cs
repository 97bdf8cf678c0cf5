// What a master propagates, as Redis 7.0's call() / alsoPropagate() / propagatePendingCommands():
//  * a command propagates only when it changed the data set (server.Dirty moved while it ran),
//    never EXEC itself, never a command applied from our own master (a replica relays its
//    master's stream unchanged through ReplicationStream.Feed instead) and nothing on a replica;
//  * a command may propagate as something else (Rewrite: EXPIRE as PEXPIREAT, SPOP as SREM...) or
//    not at all (Prevent, when it added its effects with Also);
//  * Also() adds extra operations: deletions of expired keys (lazy expiry inside a command, active
//    expiry outside any) and the effects of commands that replicate as several commands;
//  * operations pile up while the outermost call runs (EXEC runs its queue inside it); when it
//    returns they are fed: alone when there is one, wrapped in MULTI/EXEC when there are more
//    (MULTI carries the first operation's database, so SELECT comes before it, as Redis emits).
// The common case (one top-level command, nothing pending) is encoded straight from the
// client's argument spans with no copy.
using Csredis.Server.Commands;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server.Replication;

public sealed class Propagation
{
    readonly RedisServer _server;
    readonly ReplicationStream _stream;
    readonly List<(int Db, byte[][] Args)> _pending = new();
    int _depth;
    byte[][]? _rewrite;
    bool _prevent;

    static readonly byte[] Multi = "MULTI"u8.ToArray(), Exec = "EXEC"u8.ToArray();
    static readonly byte[] Del = "DEL"u8.ToArray(), Unlink = "UNLINK"u8.ToArray();

    /// <summary>The state of the enclosing command, restored when a nested one returns.</summary>
    public readonly struct Frame
    {
        internal readonly byte[][]? Rewrite;
        internal readonly bool Prevent;
        internal readonly long Dirty, Offset;
        internal Frame(byte[][]? rewrite, bool prevent, long dirty, long offset) { Rewrite = rewrite; Prevent = prevent; Dirty = dirty; Offset = offset; }
    }

    public Propagation(RedisServer server, ReplicationStream stream)
    {
        _server = server;
        _stream = stream;
        server.KeyExpired += OnKeyExpired;
    }

    /// <summary>Whether propagated operations go anywhere now: callers skip building rewrites otherwise.</summary>
    public bool Active => _stream.Active && !_server.IsReplica;

    /// <summary>Called by RedisServer.Call before a command runs.</summary>
    public Frame Enter()
    {
        var frame = new Frame(_rewrite, _prevent, _server.Dirty, _server.MasterReplOffset);
        _rewrite = null;
        _prevent = false;
        _depth++;
        return frame;
    }

    /// <summary>Called by RedisServer.Call after a command ran (also when it blocked).</summary>
    public void Exit(Client c, Command cmd, in Frame frame)
    {
        bool dirty = _server.Dirty != frame.Dirty;
        var rewrite = _rewrite;
        bool prevent = _prevent;
        _rewrite = frame.Rewrite;
        _prevent = frame.Prevent;
        _depth--;
        if (dirty && !prevent && Active && (c.Flags & ClientFlags.Master) == 0 && cmd.Name != "exec")
        {
            if (_depth == 0 && _pending.Count == 0)
            {
                if (rewrite != null) _stream.FeedCommand(c.Db.Id, rewrite);
                else _stream.FeedClientCommand(c.Db.Id, c);
            }
            else _pending.Add((c.Db.Id, rewrite ?? c.CopyArgs()));
        }
        if (_depth != 0) return;
        Flush();
        // WAIT waits for the offset right after the client's last command that reached the stream.
        if (_server.MasterReplOffset != frame.Offset) c.ReplWriteOffset = _server.MasterReplOffset;
    }

    /// <summary>The running command propagates as <paramref name="args"/> instead of its own arguments (Redis's rewriteClientCommandVector).</summary>
    public void Rewrite(params byte[][] args) => _rewrite = args;

    /// <summary>The running command itself does not propagate (its effects went out with Also).</summary>
    public void Prevent() => _prevent = true;

    /// <summary>Adds an operation of database <paramref name="db"/> to the stream: at the end of the running command, or now outside any.</summary>
    public void Also(int db, byte[][] args)
    {
        if (!Active) return;
        if (_depth == 0) _stream.FeedCommand(db, args);
        else _pending.Add((db, args));
    }

    void Flush()
    {
        if (_pending.Count == 0) return;
        bool transaction = _pending.Count > 1;
        if (transaction) _stream.FeedCommand(_pending[0].Db, [Multi]);
        foreach (var (db, args) in _pending) _stream.FeedCommand(db, args);
        if (transaction) _stream.FeedCommand(-1, [Exec]);
        _pending.Clear();
    }

    /// <summary>Expired keys (lazily or by the active cycle) reach replicas as DEL, or UNLINK with lazyfree-lazy-expire.</summary>
    void OnKeyExpired(Db db, byte[] key)
    {
        if (!Active) return;
        bool lazy = _server.Config.Registry.Find("lazyfree-lazy-expire")!.Get() == "yes";
        Also(db.Id, [lazy ? Unlink : Del, key]);
    }

    /// <summary>Decimal digits of a number, as a stream argument (PEXPIREAT's time, a popped count).</summary>
    public static byte[] Number(long value) => System.Text.Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static readonly byte[] SetWord = "SET"u8.ToArray(), PxAtWord = "PXAT"u8.ToArray(), KeepTtlWord = "KEEPTTL"u8.ToArray(),
        PExpireAtWord = "PEXPIREAT"u8.ToArray(), PersistWord = "PERSIST"u8.ToArray(), SRemWord = "SREM"u8.ToArray(),
        HSetWord = "HSET"u8.ToArray(), LPopWord = "LPOP"u8.ToArray(), RPopWord = "RPOP"u8.ToArray(),
        ZPopMinWord = "ZPOPMIN"u8.ToArray(), ZPopMaxWord = "ZPOPMAX"u8.ToArray(), LMoveWord = "LMOVE"u8.ToArray(),
        RPopLPushWord = "RPOPLPUSH"u8.ToArray(), AbsTtlWord = "ABSTTL"u8.ToArray(), DelWord = Del, UnlinkWord = Unlink;

    /// <summary>A key a command deleted on its own (EXPIRE in the past, GETDEL...) propagates as DEL or UNLINK like Redis's expire-driven deletions.</summary>
    public static byte[] DeleteWord(RedisServer server) =>
        server.Config.Registry.Find("lazyfree-lazy-expire")!.Get() == "yes" ? Unlink : Del;
}
