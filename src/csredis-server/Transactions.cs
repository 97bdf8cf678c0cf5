// MULTI/EXEC state (Redis's multi.c). A client in MULTI has its commands queued by a command
// filter (answered +QUEUED, arguments copied) and replayed by EXEC. WATCH keeps, per database, the
// clients watching each key; every change the server reports through KeyChanged/KeyExpired/
// Flushed/DatabasesSwapped marks those clients "dirty CAS" so their EXEC returns a null array.
// A key that was already logically expired when watched only counts as changed if it comes back.
using Csredis.Server.Commands;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server;

public sealed class WatchedKey(Db db, byte[] key, bool expired)
{
    public readonly Db Db = db;
    public readonly byte[] Key = key;
    /// <summary>The key existed but was past its expiry when WATCH ran (Redis's wk->expired).</summary>
    public bool Expired = expired;
}

public sealed class Transactions
{
    readonly RedisServer _server;
    /// <summary>Per database: key -> clients watching it, in WATCH order.</summary>
    readonly Dictionary<byte[], List<Client>>[] _watchers;
    int _watchedKeyCount;

    public Transactions(RedisServer server)
    {
        _server = server;
        _watchers = new Dictionary<byte[], List<Client>>[server.Databases.Length];
        for (int i = 0; i < _watchers.Length; i++) _watchers[i] = KeyBytesComparer.NewDictionary<List<Client>>();
        server.KeyChanged += (_, db, key, _) => TouchKey(db, key);
        server.KeyExpired += (db, key) => TouchKey(db, key);
        server.Flushed += (_, dbId) =>
        {
            if (dbId >= 0) TouchAllInDb(server.Databases[dbId], server.Databases[dbId], null);
            else foreach (var db in server.Databases) TouchAllInDb(db, db, null);
        };
        // Raised after the swap: what database a held is now in b, and a holds what b had.
        server.DatabasesSwapped += (_, a, b) =>
        {
            if (a == b) return;
            TouchAllInDb(server.Databases[a], server.Databases[b], server.Databases[a]);
            TouchAllInDb(server.Databases[b], server.Databases[a], server.Databases[b]);
        };
        server.ClientClosing += UnwatchAll;
        server.ClientResetting += c =>
        {
            Discard(c);
            UnwatchAll(c);
        };
    }

    /// <summary>
    /// The MULTI queueing step of the command pipeline; it must run after every other filter, as
    /// Redis queues only commands that passed all checks. Commands that act on the transaction
    /// itself (and QUIT/RESET) run at once.
    /// </summary>
    public bool QueueFilter(Client c, Command cmd)
    {
        if ((c.Flags & ClientFlags.Multi) == 0) return true;
        switch (cmd.Name)
        {
            case "exec": case "discard": case "multi": case "watch": case "quit": case "reset": return true;
        }
        c.MultiQueue!.Add((cmd, c.CopyArgs()));
        c.Reply.Queued();
        return false;
    }

    /// <summary>Runs before the other filters: commands flagged no-multi are refused (and doom the transaction).</summary>
    public bool NoMultiFilter(Client c, Command cmd)
    {
        if ((c.Flags & ClientFlags.Multi) == 0 || !cmd.Is(CommandFlags.NoMulti)) return true;
        _server.RejectCommand(c, cmd, "ERR Command not allowed inside a transaction"u8);
        return false;
    }

    public static void Begin(Client c)
    {
        c.Flags |= ClientFlags.Multi;
        c.MultiQueue = new();
    }

    /// <summary>Leaves MULTI without running anything (DISCARD, EXEC aborts, RESET).</summary>
    public static void Discard(Client c)
    {
        c.MultiQueue = null;
        c.Flags &= ~(ClientFlags.Multi | ClientFlags.DirtyCas | ClientFlags.DirtyExec);
    }

    public void Watch(Client c, Db db, ReadOnlySpan<byte> key)
    {
        var mine = c.WatchedKeys ??= new();
        foreach (var wk in mine)
            if (wk.Db == db && wk.Key.AsSpan().SequenceEqual(key)) return;
        var table = _watchers[db.Id];
        var lookup = table.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(key, out var clients))
        {
            clients = new List<Client>(1);
            table[key.ToArray()] = clients;
        }
        clients.Add(c);
        _watchedKeyCount++;
        mine.Add(new WatchedKey(db, key.ToArray(), IsLogicallyExpired(db, key)));
    }

    public void UnwatchAll(Client c)
    {
        var mine = c.WatchedKeys;
        if (mine == null) return;
        c.WatchedKeys = null;
        foreach (var wk in mine)
        {
            var table = _watchers[wk.Db.Id];
            if (!table.TryGetValue(wk.Key, out var clients)) continue;
            clients.Remove(c);
            _watchedKeyCount--;
            if (clients.Count == 0) table.Remove(wk.Key);
        }
    }

    /// <summary>True when a watched key that was alive at WATCH time has expired since (EXEC must abort).</summary>
    public bool AnyWatchedKeyExpired(Client c)
    {
        if (c.WatchedKeys == null) return false;
        foreach (var wk in c.WatchedKeys)
            if (!wk.Expired && IsLogicallyExpired(wk.Db, wk.Key)) return true;
        return false;
    }

    bool IsLogicallyExpired(Db db, ReadOnlySpan<byte> key)
    {
        long when = db.GetExpire(key);
        return when >= 0 && when <= _server.CommandTimeMs;
    }

    static bool ExistsRaw(Db db, ReadOnlySpan<byte> key) => db.Main.Find(key, KeyTable.HashKey(key)) >= 0;

    void TouchKey(Db db, ReadOnlySpan<byte> key)
    {
        if (_watchedKeyCount == 0) return;
        if (!_watchers[db.Id].GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var clients)) return;
        List<Client>? dirty = null;
        foreach (var c in clients)
        {
            var wk = Find(c, db, key);
            if (wk != null && wk.Expired)
            {
                // Deleting a key that was already expired when watched is no logical change.
                if (!ExistsRaw(db, key)) { wk.Expired = false; continue; }
            }
            (dirty ??= new()).Add(c);
        }
        if (dirty == null) return;
        foreach (var c in dirty) MarkDirty(c);
    }

    /// <summary>
    /// Keys watched in <paramref name="watched"/> lost the contents now found in <paramref name="emptied"/>
    /// and got those of <paramref name="replacedWith"/> (null for a flush, signalled before it happens).
    /// </summary>
    void TouchAllInDb(Db watched, Db emptied, Db? replacedWith)
    {
        if (_watchedKeyCount == 0) return;
        var table = _watchers[watched.Id];
        if (table.Count == 0) return;
        List<Client>? dirty = null;
        foreach (var (key, clients) in table)
        {
            bool existsInEmptied = ExistsRaw(emptied, key);
            bool existsInReplacement = replacedWith != null && ExistsRaw(replacedWith, key);
            if (!existsInEmptied && !existsInReplacement) continue;
            foreach (var c in clients)
            {
                var wk = Find(c, watched, key);
                if (wk == null) continue;
                if (wk.Expired)
                {
                    if (!existsInReplacement) { wk.Expired = false; continue; }
                    if (IsLogicallyExpired(replacedWith!, key)) continue;
                }
                else if (!existsInEmptied && IsLogicallyExpired(replacedWith!, key))
                {
                    wk.Expired = true;
                    continue;
                }
                (dirty ??= new()).Add(c);
            }
        }
        if (dirty == null) return;
        foreach (var c in dirty) MarkDirty(c);
    }

    void MarkDirty(Client c)
    {
        c.Flags |= ClientFlags.DirtyCas;
        // Nothing later can make the transaction clean again: stop tracking its keys now.
        UnwatchAll(c);
    }

    static WatchedKey? Find(Client c, Db db, ReadOnlySpan<byte> key)
    {
        if (c.WatchedKeys == null) return null;
        foreach (var wk in c.WatchedKeys)
            if (wk.Db == db && wk.Key.AsSpan().SequenceEqual(key)) return wk;
        return null;
    }
}
