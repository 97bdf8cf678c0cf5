// One logical database (Redis's db.c): the keyspace table plus the expires table, with the
// lookup rules every command relies on: a key past its expiry is deleted on access (lazy
// expiry) and counts as missing; read lookups update the LRU clock and the hit/miss counters.
// A replica never deletes on its own (its master sends the DEL) but still hides expired keys.
namespace Csredis.Server.Keyspace;

public sealed class Db
{
    public readonly int Id;
    readonly RedisServer _server;
    public KeyTable Main = new(withPayload: false);
    /// <summary>Keys with a time to live: item shared with Main, payload = expiry in Unix ms.</summary>
    public KeyTable Expires = new(withPayload: true);
    public long AverageTtl;
    /// <summary>Set while a point-in-time snapshot still needs entries of this database (see Persistence/Snapshot.cs).</summary>
    public IKeyspaceWriteObserver? WriteObserver;

    public Db(RedisServer server, int id)
    {
        _server = server;
        Id = id;
    }

    public int Count => Main.Count;

    /// <summary>Lookup for reading: expired keys vanish, stats and LRU are updated. Null when missing.</summary>
    public object? LookupRead(ReadOnlySpan<byte> key, bool touch = true)
    {
        int hash = KeyTable.HashKey(key);
        int index = Main.Find(key, hash);
        if (index >= 0 && Expires.Count > 0 && ExpireIfNeeded(key, hash)) index = -1;
        if (index < 0)
        {
            _server.Stats.KeyspaceMisses++;
            if (_server.Config.NotifyKeyspaceEvents != 0) _server.KeyspaceEvents.Notify(this, key, "keymiss");
            return null;
        }
        _server.Stats.KeyspaceHits++;
        object item = Main.ItemAt(index);
        if (touch) Touch(item);
        return item;
    }

    /// <summary>Lookup before a write: expired keys vanish, no stats; the LRU is updated as Redis's lookupKeyWrite does.</summary>
    public object? LookupWrite(ReadOnlySpan<byte> key)
    {
        var item = FindLive(key);
        if (item != null) Touch(item);
        return item;
    }

    /// <summary>Existence without side effects on stats or LRU (but expired keys still count as missing).</summary>
    public bool Exists(ReadOnlySpan<byte> key) => FindLive(key) != null;

    object? FindLive(ReadOnlySpan<byte> key)
    {
        int hash = KeyTable.HashKey(key);
        int index = Main.Find(key, hash);
        if (index >= 0 && Expires.Count > 0 && ExpireIfNeeded(key, hash)) return null;
        if (index < 0) return null;
        WriteObserver?.BeforeEntryWrite(this, index);
        return Main.ItemAt(index);
    }

    /// <summary>True when the key's time has passed; on a master it is deleted now (Redis's expireIfNeeded).</summary>
    public bool ExpireIfNeeded(ReadOnlySpan<byte> key) => Expires.Count > 0 && ExpireIfNeeded(key, KeyTable.HashKey(key));

    /// <summary>True when the key's time has passed, without deleting it (KEYS filters such keys out).</summary>
    public bool KeyIsExpired(ReadOnlySpan<byte> key)
    {
        if (Expires.Count == 0) return false;
        int index = Expires.Find(key, KeyTable.HashKey(key));
        return index >= 0 && Expires.PayloadAt(index) <= _server.CommandTimeMs;
    }

    /// <summary>SWAPDB: the two databases exchange their keyspaces; clients stay on their database number.</summary>
    public void SwapContents(Db other)
    {
        (Main, other.Main) = (other.Main, Main);
        (Expires, other.Expires) = (other.Expires, Expires);
        (AverageTtl, other.AverageTtl) = (other.AverageTtl, AverageTtl);
        // A snapshot follows the tables it still has to serialize, whichever database holds them.
        (WriteObserver, other.WriteObserver) = (other.WriteObserver, WriteObserver);
    }

    public static void Touch(object item) => SetAccessBits(item, LruClock.Touched(AccessBits(item)));

    /// <summary>The LRU clock or LFU counter bits of a value (OBJECT IDLETIME / FREQ).</summary>
    public static uint AccessBits(object item) => item is byte[] packed ? PackedString.Lru(packed) : ((RedisObject)item).Lru;

    public static void SetAccessBits(object item, uint bits)
    {
        if (item is byte[] packed) PackedString.SetLru(packed, bits);
        else ((RedisObject)item).Lru = bits;
    }

    /// <summary>Adds a key known to be absent (after a lookup said so).</summary>
    public void Add(object item)
    {
        var key = StoredKey.Of(item);
        int index = Main.Insert(item, KeyTable.HashKey(key));
        WriteObserver?.AfterEntryInsert(this, index);
        if (_server.Config.NotifyKeyspaceEvents != 0) _server.KeyspaceEvents.Notify(this, key, "new");
    }

    /// <summary>Puts <paramref name="item"/> under its key, replacing any value; the TTL is dropped unless kept.</summary>
    public void Set(object item, bool keepTtl = false)
    {
        var key = StoredKey.Of(item);
        int hash = KeyTable.HashKey(key);
        int index = Main.Find(key, hash);
        if (index < 0)
        {
            index = Main.Insert(item, hash);
            WriteObserver?.AfterEntryInsert(this, index);
            if (_server.Config.NotifyKeyspaceEvents != 0) _server.KeyspaceEvents.Notify(this, key, "new");
            return;
        }
        ReplaceAt(index, item, key, hash, keepTtl);
    }

    /// <summary>
    /// SET semantics for a string: replaces any value (dropping the TTL unless kept). When the key
    /// already holds a string of the same length and no snapshot needs the old bytes, the value is
    /// overwritten in place: a steady stream of SETs then allocates nothing and leaves no garbage.
    /// </summary>
    /// <remarks><paramref name="encoding"/> forces the encoding (BITOP's result is raw whatever it holds); by default it is SET's.</remarks>
    public void SetString(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool keepTtl = false, StringEncoding? encoding = null)
    {
        int hash = KeyTable.HashKey(key);
        int index = Main.Find(key, hash);
        if (index >= 0 && Main.ItemAt(index) is byte[] old && _server.SnapshotAllowsInPlaceWrite(old))
        {
            var oldValue = PackedString.MutableValue(old);
            if (oldValue.Length == value.Length)
            {
                value.CopyTo(oldValue);
                PackedString.SetEncoding(old, encoding ?? PackedString.EncodingForNewValue(value));
                // Under LFU Redis carries the old access counter over to the new value.
                if (!LruClock.Lfu) PackedString.SetLru(old, LruClock.Now);
                if (!keepTtl && Expires.Count > 0) Expires.Remove(key, hash);
                return;
            }
        }
        var packed = encoding is { } forced ? PackedString.Create(key, value, forced) : PackedString.CreateForSet(key, value);
        if (index < 0)
        {
            index = Main.Insert(packed, hash);
            WriteObserver?.AfterEntryInsert(this, index);
            if (_server.Config.NotifyKeyspaceEvents != 0) _server.KeyspaceEvents.Notify(this, key, "new");
        }
        else ReplaceAt(index, packed, key, hash, keepTtl);
    }

    void ReplaceAt(int index, object item, ReadOnlySpan<byte> key, int hash, bool keepTtl)
    {
        WriteObserver?.BeforeEntryWrite(this, index);
        if (LruClock.Lfu) SetAccessBits(item, AccessBits(Main.ItemAt(index)));
        Main.SetItem(index, item);
        if (Expires.Count == 0) return;
        int e = Expires.Find(key, hash);
        if (e < 0) return;
        if (keepTtl) Expires.SetItem(e, item);
        else Expires.Remove(key, hash);
    }

    /// <summary>Swaps the stored object of an existing key for a new one (a string value that was re-packed), keeping its TTL.</summary>
    public void Replace(object item) => Set(item, keepTtl: true);

    public bool Delete(ReadOnlySpan<byte> key)
    {
        int hash = KeyTable.HashKey(key);
        if (WriteObserver != null) NotifyBeforeWrite(key, hash);
        if (Main.Remove(key, hash) < 0) return false;
        if (Expires.Count > 0) Expires.Remove(key, hash);
        return true;
    }

    /// <summary>Expiry in Unix milliseconds, or -1 when the key has none.</summary>
    public long GetExpire(ReadOnlySpan<byte> key)
    {
        if (Expires.Count == 0) return -1;
        int index = Expires.Find(key, KeyTable.HashKey(key));
        return index < 0 ? -1 : Expires.PayloadAt(index);
    }

    /// <summary>Sets the expiry of an existing key.</summary>
    public void SetExpire(ReadOnlySpan<byte> key, long whenMs)
    {
        int hash = KeyTable.HashKey(key);
        if (WriteObserver != null) NotifyBeforeWrite(key, hash);
        int index = Expires.Find(key, hash);
        if (index < 0)
        {
            int main = Main.Find(key, hash);
            if (main < 0) return;
            index = Expires.Insert(Main.ItemAt(main), hash);
        }
        Expires.PayloadAt(index) = whenMs;
    }

    public bool RemoveExpire(ReadOnlySpan<byte> key)
    {
        if (Expires.Count == 0) return false;
        int hash = KeyTable.HashKey(key);
        if (WriteObserver != null) NotifyBeforeWrite(key, hash);
        return Expires.Remove(key, hash) >= 0;
    }

    void NotifyBeforeWrite(ReadOnlySpan<byte> key, int hash)
    {
        int index = Main.Find(key, hash);
        if (index >= 0) WriteObserver?.BeforeEntryWrite(this, index);
    }

    /// <summary>True when the key is logically expired; on a master it is deleted (and the deletion counted and propagated).</summary>
    bool ExpireIfNeeded(ReadOnlySpan<byte> key, int hash)
    {
        int index = Expires.Find(key, hash);
        if (index < 0) return false;
        long when = Expires.PayloadAt(index);
        if (when > _server.CommandTimeMs) return false;
        // A replica leaves expiry to its master (which sends DEL): reads hide the key, the master's stream still sees it.
        if (_server.IsReplica) return !_server.ReplicaLink.ApplyingMasterStream;
        DeleteExpired(key, hash);
        return true;
    }

    /// <summary>Removes a key whose time has come (lazy or active expiry).</summary>
    public void DeleteExpired(ReadOnlySpan<byte> key, int hash)
    {
        var keyCopy = key.ToArray(); // the stored key goes away with the entry
        if (WriteObserver != null) NotifyBeforeWrite(keyCopy, hash);
        Main.Remove(keyCopy, hash);
        Expires.Remove(keyCopy, hash);
        _server.Stats.ExpiredKeys++;
        _server.OnKeyExpired(this, keyCopy);
    }

    public void Flush()
    {
        WriteObserver?.BeforeFlush(this);
        Main = new KeyTable(withPayload: false);
        Expires = new KeyTable(withPayload: true);
        AverageTtl = 0;
    }
}

/// <summary>
/// Told before an entry of a database is modified or removed, after a new entry is created, and
/// before the whole database is dropped: a snapshot in progress takes the old version first.
/// Entry indices are those of <see cref="Db.Main"/>.
/// </summary>
public interface IKeyspaceWriteObserver
{
    void BeforeEntryWrite(Db db, int index);
    void AfterEntryInsert(Db db, int index);
    void BeforeFlush(Db db);
}
