// Clients blocked on keys (Redis's blocked.c): BLPOP and friends, when they find nothing to pop,
// park the client here with copies of their arguments. Each database keeps key -> clients in
// arrival order. Any change to such a key (KeyChanged) puts it on the ready list; after the
// command that made the change (and before the loop sleeps) the ready keys are served: the oldest
// client whose key now holds a value of the type it waits for is unblocked and its command is run
// again with its saved arguments, which pops and replies as if it had just arrived. Pushes done
// while serving (BLMOVE into another watched list) make more keys ready and are served in the
// same turn. Timeouts are kept in deadline order and fired by a loop timer.
using Csredis.Server.Commands;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server;

public sealed class BlockState
{
    public required Db Db;
    public required byte[][] Keys;
    /// <summary>Unix ms after which the client gets the timeout reply; 0 waits forever.</summary>
    public long TimeoutAtMs;
    public required Command Command;
    public required byte[][] Args;
    /// <summary>The value type that can satisfy the command (a list for BLPOP, a sorted set for BZPOPMIN).</summary>
    public ObjectType Type;
}

public sealed class Blocking
{
    readonly RedisServer _server;
    readonly Dictionary<byte[], List<Client>>[] _blockedByDb;
    int _blockedClients;
    List<(Db Db, byte[] Key)> _readyKeys = new(), _servingKeys = new();
    readonly SortedSet<(long AtMs, long ClientId)> _timeouts = new();
    /// <summary>Clients unblocked since the loop last slept: their pipelined commands still wait in the query buffer.</summary>
    readonly List<Client> _unblocked = new();
    long _timerId, _timerAtMs;

    public Blocking(RedisServer server)
    {
        _server = server;
        _blockedByDb = new Dictionary<byte[], List<Client>>[server.Databases.Length];
        for (int i = 0; i < _blockedByDb.Length; i++) _blockedByDb[i] = KeyBytesComparer.NewDictionary<List<Client>>();
        server.KeyChanged += (_, db, key, _) => SignalKeyAsReady(db, key);
        server.DatabasesSwapped += (_, a, b) =>
        {
            MarkAllReady(server.Databases[a]);
            MarkAllReady(server.Databases[b]);
        };
        server.ClientClosing += c => { if (c.BlockedOn != null) Unblock(c); };
        server.InfoCounters["clients_in_timeout_table"] = () => _timeouts.Count;
    }

    public int BlockedClients => _blockedClients;

    /// <summary>Whether a command may block this client now; inside MULTI/EXEC it must answer at once instead.</summary>
    public static bool MayBlock(Client c) => (c.Flags & ClientFlags.Multi) == 0;

    /// <summary>
    /// Parses a blocking timeout in (decimal) seconds as Redis does and turns it into an absolute
    /// Unix ms deadline (0 = forever). Replies the error and returns false when invalid.
    /// </summary>
    public static bool TryParseTimeout(Client c, ReadOnlySpan<byte> arg, out long timeoutAtMs)
    {
        timeoutAtMs = 0;
        // Redis reads the timeout as a C long double (string2ld), then converts milliseconds with ceill.
        if (!Common.Text.LongDouble.TryParse(arg, out var parsed))
        {
            c.Error("ERR timeout is not a float or out of range"u8);
            return false;
        }
        double seconds = parsed.IsInfinity ? double.PositiveInfinity : Math.ScaleB((double)parsed.Significand, parsed.Exponent);
        if (parsed.Negative) seconds = -seconds;
        double ms = Math.Ceiling(seconds * 1000.0);
        // A positive value too small for a double still rounds up to one millisecond.
        if (ms == 0 && !parsed.Negative && !parsed.IsZero) ms = 1;
        // C's conversion of an out-of-range value (infinity too) gives LLONG_MIN: Redis then calls it negative.
        if (ms < 0 || ms >= 9.2233720368547758e18 || double.IsNaN(ms))
        {
            c.Error("ERR timeout is negative"u8);
            return false;
        }
        long relative = (long)ms;
        if (relative == 0) return true;
        long now = c.Server.CommandTimeMs;
        if (relative > long.MaxValue - now)
        {
            c.Error("ERR timeout is out of range"u8);
            return false;
        }
        timeoutAtMs = now + relative;
        return true;
    }

    /// <summary>Blocks the running command's client on Arg(firstKeyArg .. firstKeyArg+keyCount-1).</summary>
    public void Block(Client c, int firstKeyArg, int keyCount, long timeoutAtMs, ObjectType type)
    {
        var keys = new byte[keyCount][];
        for (int i = 0; i < keyCount; i++) keys[i] = c.ArgBytes(firstKeyArg + i);
        var state = new BlockState
        {
            Db = c.Db, Keys = keys, TimeoutAtMs = timeoutAtMs, Command = c.CurrentCommand!, Args = c.CopyArgs(), Type = type,
        };
        var table = _blockedByDb[c.Db.Id];
        foreach (var key in keys)
        {
            if (!table.TryGetValue(key, out var clients))
            {
                clients = new List<Client>(1);
                table[key] = clients;
            }
            if (!clients.Contains(c)) clients.Add(c); // BLPOP k k waits once on k
        }
        c.BlockedOn = state;
        c.Flags |= ClientFlags.Blocked;
        _blockedClients++;
        if (timeoutAtMs > 0)
        {
            _timeouts.Add((timeoutAtMs, c.Id));
            ScheduleTimer(timeoutAtMs);
        }
    }

    /// <summary>Takes the client out of every wait list; returns what it was blocked on.</summary>
    BlockState Unblock(Client c)
    {
        var state = c.BlockedOn!;
        var table = _blockedByDb[state.Db.Id];
        foreach (var key in state.Keys)
        {
            if (!table.TryGetValue(key, out var clients)) continue;
            clients.Remove(c);
            if (clients.Count == 0) table.Remove(key);
        }
        if (state.TimeoutAtMs > 0) _timeouts.Remove((state.TimeoutAtMs, c.Id));
        c.BlockedOn = null;
        c.Flags &= ~ClientFlags.Blocked;
        _blockedClients--;
        if (!c.IsClosing) _unblocked.Add(c);
        return state;
    }

    void SignalKeyAsReady(Db db, ReadOnlySpan<byte> key)
    {
        if (_blockedClients == 0) return;
        var table = _blockedByDb[db.Id];
        if (!table.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out _)) return;
        foreach (var (readyDb, readyKey) in _readyKeys)
            if (readyDb == db && readyKey.AsSpan().SequenceEqual(key)) return;
        _readyKeys.Add((db, key.ToArray()));
    }

    void MarkAllReady(Db db)
    {
        foreach (var key in _blockedByDb[db.Id].Keys) SignalKeyAsReady(db, key);
    }

    /// <summary>Serves clients blocked on keys that changed (Redis's handleClientsBlockedOnKeys).</summary>
    public void HandleReadyKeys()
    {
        while (_readyKeys.Count > 0)
        {
            (_readyKeys, _servingKeys) = (_servingKeys, _readyKeys);
            foreach (var (db, key) in _servingKeys) ServeKey(db, key);
            _servingKeys.Clear();
        }
    }

    void ServeKey(Db db, byte[] key)
    {
        if (!_blockedByDb[db.Id].TryGetValue(key, out var clients)) return;
        // Oldest first; a snapshot because serving removes clients from the list.
        foreach (var c in clients.ToArray())
        {
            var state = c.BlockedOn;
            if (state == null || state.Db != db || c.IsClosing) continue;
            var value = db.LookupWrite(key);
            if (value == null) return;
            if (StoredKey.TypeOf(value) != state.Type) continue;
            Unblock(c);
            c.ExecuteWithArgs(state.Command, state.Args);
            _server.QueueWrite(c);
        }
    }

    /// <summary>Answers a blocked client as if its timeout had passed (also CLIENT UNBLOCK TIMEOUT).</summary>
    public void TimeOut(Client c)
    {
        var state = Unblock(c);
        c.Reply.NullArray();
        AccountUnblocked(state.Command);
        _server.QueueWrite(c);
    }

    /// <summary>CLIENT UNBLOCK ... ERROR: the blocked command fails with an UNBLOCKED error.</summary>
    public void UnblockWithError(Client c)
    {
        var state = Unblock(c);
        c.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK"u8);
        state.Command.FailedCalls++;
        AccountUnblocked(state.Command);
        _server.QueueWrite(c);
    }

    void AccountUnblocked(Command cmd)
    {
        cmd.Calls++;
        _server.Stats.CommandsProcessed++;
    }

    void HandleTimeouts()
    {
        long now = Common.Clock.UnixMs();
        while (_timeouts.Count > 0)
        {
            var (at, id) = _timeouts.Min;
            if (at >= now) break;
            if (_server.Clients.TryGetValue(id, out var c) && c.BlockedOn != null) TimeOut(c);
            else _timeouts.Remove((at, id));
        }
    }

    void ScheduleTimer(long atMs)
    {
        if (_timerId != 0 && _timerAtMs <= atMs) return;
        if (_timerId != 0) _server.Loop.RemoveTimer(_timerId);
        _timerAtMs = atMs;
        _timerId = _server.Loop.AddTimer(Math.Max(0, atMs - Common.Clock.UnixMs() + 1), OnTimer);
    }

    long OnTimer()
    {
        HandleTimeouts();
        if (_timeouts.Count == 0)
        {
            _timerId = 0;
            return -1;
        }
        _timerAtMs = _timeouts.Min.AtMs;
        return Math.Max(0, _timerAtMs - Common.Clock.UnixMs() + 1);
    }

    /// <summary>Before the loop sleeps: fire due timeouts, serve ready keys, then let unblocked clients run their pipelined commands.</summary>
    public void BeforeSleep()
    {
        if (_timeouts.Count > 0) HandleTimeouts();
        HandleReadyKeys();
        for (int i = 0; i < _unblocked.Count; i++)
        {
            var c = _unblocked[i];
            if (c.IsClosing || (c.Flags & ClientFlags.Blocked) != 0 || c.QueryLength == 0) continue;
            c.ProcessInputBuffer();
            HandleReadyKeys();
        }
        _unblocked.Clear();
    }
}
