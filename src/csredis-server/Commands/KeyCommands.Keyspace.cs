// Key commands that move, copy, enumerate or inspect keys (Redis's db.c and object.c command
// side): RENAME RENAMENX COPY MOVE SWAPDB KEYS SCAN RANDOMKEY TOUCH OBJECT. Stored items carry
// their own key, so renaming means re-keying the item (a string is re-packed; another object is
// re-keyed in place unless a snapshot may still be reading it, then it is cloned).
using System.Buffers.Text;
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Networking;

namespace Csredis.Server.Commands;

public static partial class KeyCommands
{
    static ReadOnlySpan<byte> SameObjectError => "ERR source and destination objects are the same"u8;

    /// <summary>The item stored under another key, keeping encoding and LRU. The caller has already unlinked it.</summary>
    static object Rekey(Client c, object item, byte[] newKey)
    {
        if (item is byte[] packed) return PackedString.WithKey(packed, newKey);
        var obj = (RedisObject)item;
        if (c.Server.SnapshotAllowsInPlaceWrite(obj))
        {
            obj.SetKey(newKey);
            return obj;
        }
        var clone = obj.Clone(newKey);
        clone.Lru = obj.Lru;
        return clone;
    }

    static void Rename(Client c, bool nx)
    {
        var db = c.Db;
        var source = c.Arg(1);
        var target = c.Arg(2);
        var item = db.LookupWrite(source);
        if (item == null) { c.Error(Errors.NoSuchKey); return; }
        if (source.SequenceEqual(target))
        {
            if (nx) c.Reply.Integer(0);
            else c.Reply.Ok();
            return;
        }
        long expire = db.GetExpire(source);
        if (db.LookupWrite(target) != null)
        {
            if (nx) { c.Reply.Integer(0); return; }
            db.Delete(target);
        }
        var targetKey = c.ArgBytes(2);
        db.Delete(source);
        db.Add(Rekey(c, item, targetKey));
        if (expire != -1) db.SetExpire(targetKey, expire);
        c.Server.SignalKeyChange(c, db, source, "rename_from");
        c.Server.SignalKeyChange(c, db, targetKey, "rename_to");
        c.Server.Dirty++;
        if (nx) c.Reply.Integer(1);
        else c.Reply.Ok();
    }

    /// <summary>A database number argument as Redis's getIntFromObjectOrReply + selectDb check it; null after an error reply.</summary>
    static Db? DbArgument(Client c, int arg)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(arg), out long id)) { c.Error(Errors.NotInteger); return null; }
        if (id < int.MinValue || id > int.MaxValue)
        {
            c.Error("ERR value is out of range, value must between -2147483648 and 2147483647"u8);
            return null;
        }
        if (id < 0 || id >= c.Server.Databases.Length)
        {
            c.Error(Errors.DbIndexOutOfRange);
            return null;
        }
        return c.Server.Databases[id];
    }

    static void Copy(Client c)
    {
        var source = c.Db;
        var target = c.Db;
        bool replace = false;
        for (int j = 3; j < c.Argc; j++)
        {
            int additional = c.Argc - j - 1;
            if (c.ArgIs(j, "replace"u8)) replace = true;
            else if (c.ArgIs(j, "db"u8) && additional >= 1)
            {
                var db = DbArgument(c, j + 1);
                if (db == null) return;
                target = db;
                j++;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var key = c.Arg(1);
        var newKey = c.Arg(2);
        if (source == target && key.SequenceEqual(newKey)) { c.Error(SameObjectError); return; }
        var item = source.LookupRead(key);
        if (item == null) { c.Reply.Integer(0); return; }
        long expire = source.GetExpire(key);
        if (target.LookupWrite(newKey) != null)
        {
            if (!replace) { c.Reply.Integer(0); return; }
            target.Delete(newKey);
        }
        var newKeyBytes = c.ArgBytes(2);
        object copy = item is byte[] packed ? PackedString.Duplicate(packed, newKeyBytes) : ((RedisObject)item).Clone(newKeyBytes);
        target.Add(copy);
        if (expire != -1) target.SetExpire(newKeyBytes, expire);
        c.Server.SignalKeyChange(c, target, newKeyBytes, "copy_to");
        c.Server.Dirty++;
        c.Reply.Integer(1);
    }

    static void Move(Client c)
    {
        var source = c.Db;
        var target = DbArgument(c, 2);
        if (target == null) return;
        if (source == target) { c.Error(SameObjectError); return; }
        var key = c.Arg(1);
        var item = source.LookupWrite(key);
        if (item == null) { c.Reply.Integer(0); return; }
        long expire = source.GetExpire(key);
        if (target.LookupWrite(key) != null) { c.Reply.Integer(0); return; }
        var keyBytes = c.ArgBytes(1);
        source.Delete(keyBytes);
        target.Add(item);
        if (expire != -1) target.SetExpire(keyBytes, expire);
        c.Server.SignalKeyChange(c, source, keyBytes, "move_from");
        c.Server.SignalKeyChange(c, target, keyBytes, "move_to");
        c.Server.Dirty++;
        c.Reply.Integer(1);
    }

    static void SwapDb(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(1), out long first) || first < int.MinValue || first > int.MaxValue)
        {
            c.Error("ERR invalid first DB index"u8);
            return;
        }
        if (!NumberParsing.TryParseInt64(c.Arg(2), out long second) || second < int.MinValue || second > int.MaxValue)
        {
            c.Error("ERR invalid second DB index"u8);
            return;
        }
        var dbs = c.Server.Databases;
        if (first < 0 || first >= dbs.Length || second < 0 || second >= dbs.Length)
        {
            c.Error(Errors.DbIndexOutOfRange);
            return;
        }
        if (first != second) dbs[first].SwapContents(dbs[second]);
        c.Server.SignalSwapDb(c, (int)first, (int)second);
        c.Server.Dirty++;
        c.Reply.Ok();
    }

    // Matches are gathered before replying (the reply needs the count first); the lists are reused
    // because commands run one at a time on the event loop.
    static readonly List<int> EntryScratch = new();
    static readonly List<object> ItemScratch = new();

    static void Keys(Client c)
    {
        var pattern = c.Arg(1);
        bool all = pattern.Length == 1 && pattern[0] == '*';
        var table = c.Db.Main;
        var matches = ItemScratch;
        matches.Clear();
        for (int i = 0, n = table.HighWater; i < n; i++)
        {
            var item = table.ItemAtOrNull(i);
            if (item == null) continue;
            var key = StoredKey.Of(item);
            if ((all || Glob.Match(pattern, key)) && !c.Db.KeyIsExpired(key)) matches.Add(item);
        }
        c.Reply.ArrayHeader(matches.Count);
        foreach (var item in matches) c.Reply.Bulk(StoredKey.Of(item));
        matches.Clear();
    }

    /// <summary>Redis parses the cursor with strtoul: leading '+' or '-', leading zeros and the empty string are accepted.</summary>
    public static bool TryParseCursor(ReadOnlySpan<byte> text, out ulong cursor)
    {
        cursor = 0;
        int p = 0;
        if (text.Length > 0 && (text[0] == ' ' || (text[0] >= '\t' && text[0] <= '\r'))) return false;
        bool negative = false;
        if (p < text.Length && (text[p] == '+' || text[p] == '-')) { negative = text[p] == '-'; p++; }
        int digitsStart = p;
        for (; p < text.Length; p++)
        {
            uint d = (uint)(text[p] - '0');
            if (d > 9) return false;
            if (cursor > (ulong.MaxValue - d) / 10) return false; // ERANGE
            cursor = cursor * 10 + d;
        }
        // strtoul with no digits converts nothing and leaves the end pointer at the start.
        if (p == digitsStart && digitsStart != 0) return false;
        if (negative) cursor = 0 - cursor;
        return true;
    }

    static void Scan(Client c)
    {
        if (!TryParseCursor(c.Arg(1), out ulong cursor)) { c.Error("ERR invalid cursor"u8); return; }
        long count = 10;
        ReadOnlySpan<byte> pattern = default;
        bool usePattern = false;
        int typeArg = -1;
        for (int i = 2; i < c.Argc;)
        {
            int remaining = c.Argc - i;
            if (c.ArgIs(i, "count"u8) && remaining >= 2)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(i + 1), out count)) { c.Error(Errors.NotInteger); return; }
                if (count < 1) { c.Error(Errors.Syntax); return; }
                i += 2;
            }
            else if (c.ArgIs(i, "match"u8) && remaining >= 2)
            {
                pattern = c.Arg(i + 1);
                usePattern = !(pattern.Length == 1 && pattern[0] == '*');
                i += 2;
            }
            else if (c.ArgIs(i, "type"u8) && remaining >= 2)
            {
                typeArg = i + 1;
                i += 2;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        var db = c.Db;
        var entries = EntryScratch;
        var items = ItemScratch;
        entries.Clear();
        items.Clear();
        long maxIterations = count > long.MaxValue / 10 ? long.MaxValue : count * 10;
        var table = db.Main;
        do
        {
            cursor = table.Scan(cursor, entries);
        } while (cursor != 0 && maxIterations-- != 0 && entries.Count < count);
        // Hold the items, not entry indices: filtering may expire (delete) keys from the table.
        foreach (int index in entries) items.Add(table.ItemAt(index));
        entries.Clear();
        int kept = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var key = StoredKey.Of(items[i]);
            if (usePattern && !Glob.Match(pattern, key)) continue;
            if (typeArg >= 0)
            {
                var live = db.LookupRead(key, touch: false);
                var typeName = live == null ? "none"u8 : TypeName(StoredKey.TypeOf(live));
                if (!EqualsIgnoreCase(c.Arg(typeArg), typeName)) continue;
            }
            if (db.ExpireIfNeeded(key)) continue;
            items[kept++] = items[i];
        }
        c.Reply.ArrayHeader(2);
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(cursor, digits, out int written);
        c.Reply.Bulk(digits[..written]);
        c.Reply.ArrayHeader(kept);
        for (int i = 0; i < kept; i++) c.Reply.Bulk(StoredKey.Of(items[i]));
        items.Clear();
    }

    /// <summary>strcasecmp on bytes: the TYPE filter of SCAN matches the type name in any case.</summary>
    static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int nul = a.IndexOf((byte)0);
        if (nul >= 0) a = a[..nul];
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            int x = a[i], y = b[i];
            if (x >= 'A' && x <= 'Z') x |= 0x20;
            if (y >= 'A' && y <= 'Z') y |= 0x20;
            if (x != y) return false;
        }
        return true;
    }

    static void RandomKey(Client c)
    {
        var db = c.Db;
        int triesLeft = 100;
        bool allVolatile = db.Main.Count == db.Expires.Count;
        while (true)
        {
            int index = db.Main.RandomEntry(c.Server.Random);
            if (index < 0) { c.Reply.Null(); return; }
            var key = StoredKey.Of(db.Main.ItemAt(index));
            if (db.GetExpire(key) != -1)
            {
                // On a replica expired keys are not deleted, so a database of only expired keys
                // would loop forever: after some tries one of them is returned anyway.
                if (allVolatile && c.Server.IsReplica && --triesLeft == 0) { c.Reply.Bulk(key); return; }
                var keyCopy = key.ToArray();
                if (db.ExpireIfNeeded(keyCopy)) continue;
                c.Reply.Bulk(keyCopy);
                return;
            }
            c.Reply.Bulk(key);
            return;
        }
    }

    static void Touch(Client c)
    {
        long touched = 0;
        for (int j = 1; j < c.Argc; j++)
            if (c.Db.LookupRead(c.Arg(j)) != null) touched++;
        c.Reply.Integer(touched);
    }

    static object? ObjectLookup(Client c)
    {
        var item = c.Db.LookupRead(c.Arg(2), touch: false);
        if (item == null) c.Reply.Null();
        return item;
    }

    static void ObjectEncoding(Client c)
    {
        var item = ObjectLookup(c);
        if (item == null) return;
        c.Reply.Bulk(item is byte[] packed ? PackedString.EncodingName(packed) : ((RedisObject)item).EncodingName);
    }

    static bool LfuPolicy(Client c) => c.Server.Config.MaxMemoryPolicy.EndsWith("lfu", StringComparison.Ordinal);

    static void ObjectIdleTime(Client c)
    {
        var item = ObjectLookup(c);
        if (item == null) return;
        if (LfuPolicy(c))
        {
            c.Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."u8);
            return;
        }
        c.Reply.Integer(LruClock.IdleSeconds(Db.AccessBits(item)));
    }

    static void ObjectFreq(Client c)
    {
        var item = ObjectLookup(c);
        if (item == null) return;
        if (!LfuPolicy(c))
        {
            c.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."u8);
            return;
        }
        c.Reply.Integer(LruClock.LfuDecayedCounter(Db.AccessBits(item)));
    }

    static void ObjectRefCount(Client c)
    {
        var item = ObjectLookup(c);
        if (item == null) return;
        bool shared = item is byte[] packed && PackedString.IsSharedInteger(packed);
        c.Reply.Integer(shared ? int.MaxValue : 1);
    }

    static void ObjectHelp(Client c)
    {
        string[] lines =
        [
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Prints this help.",
        ];
        c.Reply.ArrayHeader(lines.Length);
        foreach (var line in lines) c.Reply.SimpleString(line);
    }
}
