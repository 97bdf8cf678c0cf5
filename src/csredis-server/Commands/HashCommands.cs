// Hash commands (Redis's t_hash.c). Values live in HashObject (listpack or table encoding); this
// file parses arguments in Redis's order so the same bad input gets the same error first, replies
// in RESP2/RESP3 shapes, and keeps the books every write owes: server.dirty, the keyspace event,
// and deleting a hash that became empty (with its "del" event).
using Csredis.Common.Text;
using Csredis.Server.Keyspace;
using Csredis.Server.Keyspace.Types;
using Csredis.Server.Networking;

using Csredis.Server.Replication;

namespace Csredis.Server.Commands;

public static class HashCommands
{
    public static void Register(CommandTable t)
    {
        const CommandFlags W = CommandFlags.Write, R = CommandFlags.ReadOnly, Oom = CommandFlags.DenyOom, F = CommandFlags.Fast;
        string[] writeFast = ["write", "hash", "fast"], readFast = ["read", "hash", "fast"], readSlow = ["read", "hash", "slow"];
        void Add(string name, int arity, CommandFlags flags, CommandHandler handler, string[] categories, string since) =>
            t.Add(new Command { Name = name, Arity = arity, Flags = flags, Handler = handler, FirstKey = 1, LastKey = 1, KeyStep = 1, Group = "hash", Categories = categories, Since = since });

        Add("hset", -4, W | Oom | F, c => HSet(c, replyOk: false), writeFast, "2.0.0");
        Add("hmset", -4, W | Oom | F, c => HSet(c, replyOk: true), writeFast, "2.0.0");
        Add("hsetnx", 4, W | Oom | F, HSetNx, writeFast, "2.0.0");
        Add("hget", 3, R | F, HGet, readFast, "2.0.0");
        Add("hmget", -3, R | F, HMGet, readFast, "2.0.0");
        Add("hdel", -3, W | F, HDel, writeFast, "2.0.0");
        Add("hlen", 2, R | F, HLen, readFast, "2.0.0");
        Add("hstrlen", 3, R | F, HStrLen, readFast, "3.2.0");
        Add("hexists", 3, R | F, HExists, readFast, "2.0.0");
        Add("hkeys", 2, R, c => HGetAll(c, keys: true, values: false), readSlow, "2.0.0");
        Add("hvals", 2, R, c => HGetAll(c, keys: false, values: true), readSlow, "2.0.0");
        Add("hgetall", 2, R, c => HGetAll(c, keys: true, values: true), readSlow, "2.0.0");
        Add("hincrby", 4, W | Oom | F, HIncrBy, writeFast, "2.0.0");
        Add("hincrbyfloat", 4, W | Oom | F, HIncrByFloat, writeFast, "2.6.0");
        Add("hrandfield", -2, R, HRandField, readSlow, "6.2.0");
        Add("hscan", -3, R, HScan, readSlow, "2.8.0");
    }

    /// <summary>The hash stored at a key: false (after a WRONGTYPE reply) for another type; <paramref name="hash"/> is null when missing.</summary>
    public static bool TryHash(Client c, object? item, out HashObject? hash)
    {
        hash = item as HashObject;
        if (item == null || hash != null) return true;
        c.Error(Errors.WrongType);
        return false;
    }

    /// <summary>Redis's hashTypeLookupWriteOrCreate: the hash at the key, created (and added) when missing.</summary>
    static bool LookupOrCreate(Client c, out HashObject hash)
    {
        if (!TryHash(c, c.Db.LookupWrite(c.Arg(1)), out var found)) { hash = null!; return false; }
        if (found == null)
        {
            found = new HashObject(c.ArgBytes(1));
            c.Db.Add(found);
        }
        hash = found;
        return true;
    }

    static void HSet(Client c, bool replyOk)
    {
        if (c.Argc % 2 == 1) { c.Error($"ERR wrong number of arguments for '{c.CurrentCommand!.Name}' command"); return; }
        if (!LookupOrCreate(c, out var hash)) return;
        // Redis checks every argument's length before writing: one too long converts the hash first.
        for (int j = 2; j < c.Argc; j++) hash.ConvertIfTooLong(c.Arg(j));
        long created = hash.SetPairs(c, 2, (c.Argc - 2) / 2, static (client, i) => client.Arg(i));
        if (replyOk) c.Reply.Ok();
        else c.Reply.Integer(created);
        c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "hset");
        c.Server.Dirty += (c.Argc - 2) / 2;
    }

    static void HSetNx(Client c)
    {
        if (!LookupOrCreate(c, out var hash)) return;
        if (hash.Contains(c.Arg(2))) { c.Reply.Integer(0); return; }
        hash.ConvertIfTooLong(c.Arg(2));
        hash.ConvertIfTooLong(c.Arg(3));
        hash.Set(c.Arg(2), c.Arg(3));
        c.Reply.Integer(1);
        c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "hset");
        c.Server.Dirty++;
    }

    static void HGet(Client c)
    {
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        if (hash != null && hash.TryGet(c.Arg(2), scratch, out var value)) c.Reply.Bulk(value);
        else c.Reply.Null();
    }

    static void HMGet(Client c)
    {
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        c.Reply.ArrayHeader(c.Argc - 2);
        for (int j = 2; j < c.Argc; j++)
        {
            if (hash != null && hash.TryGet(c.Arg(j), scratch, out var value)) c.Reply.Bulk(value);
            else c.Reply.Null();
        }
    }

    static void HDel(Client c)
    {
        var key = c.Arg(1);
        if (!TryHash(c, c.Db.LookupWrite(key), out var hash)) return;
        if (hash == null) { c.Reply.Integer(0); return; }
        long deleted = 0;
        bool keyRemoved = false;
        for (int j = 2; j < c.Argc; j++)
        {
            if (!hash.Delete(c.Arg(j))) continue;
            deleted++;
            if (hash.Count == 0)
            {
                c.Db.Delete(key);
                keyRemoved = true;
                break;
            }
        }
        if (deleted > 0)
        {
            c.Server.SignalKeyChange(c, c.Db, key, "hdel");
            if (keyRemoved) c.Server.SignalKeyChange(c, c.Db, key, "del");
            c.Server.Dirty += deleted;
        }
        c.Reply.Integer(deleted);
    }

    static void HLen(Client c)
    {
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        c.Reply.Integer(hash?.Count ?? 0);
    }

    static void HStrLen(Client c)
    {
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        c.Reply.Integer(hash != null && hash.TryGet(c.Arg(2), scratch, out var value) ? value.Length : 0);
    }

    static void HExists(Client c)
    {
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        c.Reply.Integer(hash != null && hash.Contains(c.Arg(2)) ? 1 : 0);
    }

    static void HGetAll(Client c, bool keys, bool values)
    {
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        bool map = keys && values;
        long length = hash?.Count ?? 0;
        if (map) c.Reply.MapHeader(length);
        else c.Reply.ArrayHeader(length);
        if (hash == null) return;
        Span<byte> scratch = stackalloc byte[HashObject.IteratorScratch];
        var it = hash.Iterate(scratch);
        while (it.MoveNext())
        {
            if (keys) c.Reply.Bulk(it.Field);
            if (values) c.Reply.Bulk(it.Value);
        }
    }

    static void HIncrBy(Client c)
    {
        if (!NumberParsing.TryParseInt64(c.Arg(3), out long increment)) { c.Error(Errors.NotInteger); return; }
        if (!LookupOrCreate(c, out var hash)) return;
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        long current = 0;
        if (hash.TryGet(c.Arg(2), scratch, out var existing) && !NumberParsing.TryParseInt64(existing, out current))
        {
            c.Error("ERR hash value is not an integer"u8);
            return;
        }
        if (increment < 0 && current < 0 && increment < long.MinValue - current ||
            increment > 0 && current > 0 && increment > long.MaxValue - current)
        {
            c.Error(Errors.Overflow);
            return;
        }
        long result = current + increment;
        Span<byte> digits = stackalloc byte[20];
        int n = NumberParsing.FormatInt64(result, digits);
        hash.Set(c.Arg(2), digits[..n]);
        c.Reply.Integer(result);
        c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "hincrby");
        c.Server.Dirty++;
    }

    static void HIncrByFloat(Client c)
    {
        if (!LongDouble.TryParse(c.Arg(3), out var increment)) { c.Error(Errors.NotFloat); return; }
        if (increment.IsInfinity) { c.Error("ERR value is NaN or Infinity"u8); return; }
        if (!LookupOrCreate(c, out var hash)) return;
        Span<byte> scratch = stackalloc byte[PackedEntry.ScratchSize];
        var current = default(LongDouble);
        if (hash.TryGet(c.Arg(2), scratch, out var existing) && !LongDouble.TryParse(existing, out current))
        {
            c.Error("ERR hash value is not a float"u8);
            return;
        }
        if (!LongDouble.TryAdd(current, increment, out var sum) || sum.IsInfinity)
        {
            c.Error("ERR increment would produce NaN or Infinity"u8);
            return;
        }
        Span<byte> buffer = stackalloc byte[128];
        int length = sum.TryFormatHuman(buffer);
        ReadOnlySpan<byte> text = length >= 0 ? buffer[..length] : System.Text.Encoding.ASCII.GetBytes(sum.ToHumanString());
        hash.Set(c.Arg(2), text);
        if (c.Propagating) c.PropagateAs(Propagation.HSetWord, c.ArgBytes(1), c.ArgBytes(2), text.ToArray());
        c.Reply.Bulk(text);
        c.Server.SignalKeyChange(c, c.Db, c.Arg(1), "hincrbyfloat");
        c.Server.Dirty++;
    }

    static void HRandField(Client c)
    {
        if (c.Argc >= 3)
        {
            if (!NumberParsing.TryParseInt64(c.Arg(2), out long count)) { c.Error(Errors.NotInteger); return; }
            if (count == long.MinValue)
            {
                c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"u8);
                return;
            }
            bool withValues = false;
            if (c.Argc > 4 || c.Argc == 4 && !Ascii.EqualsIgnoreCase(c.Arg(3), "withvalues"u8)) { c.Error(Errors.Syntax); return; }
            if (c.Argc == 4)
            {
                withValues = true;
                if (count < -long.MaxValue / 2 || count > long.MaxValue / 2) { c.Error("ERR value is out of range"u8); return; }
            }
            RandomFieldsWithCount(c, count, withValues);
            return;
        }
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        if (hash == null) { c.Reply.Null(); return; }
        Span<byte> scratch = stackalloc byte[HashObject.IteratorScratch];
        RandomPair(c, hash, scratch, out var field, out _);
        c.Reply.Bulk(field);
    }

    static void RandomPair(Client c, HashObject hash, Span<byte> scratch, out ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        if (hash.Table is { } table)
        {
            int loc = table.RandomEntry(c.Server.Random);
            field = table.FieldAt(loc);
            value = table.ValueAt(loc);
        }
        else hash.PackedPairAt(c.Server.Random.Next((int)hash.Count), scratch, out field, out value);
    }

    static void ReplyPair(Client c, ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, bool withValues)
    {
        if (withValues && c.Protocol > 2) c.Reply.ArrayHeader(2);
        c.Reply.Bulk(field);
        if (withValues) c.Reply.Bulk(value);
    }

    static void RandomFieldsWithCount(Client c, long requested, bool withValues)
    {
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        if (hash == null) { c.Reply.EmptyArray(); return; }
        long size = hash.Count;
        bool unique = requested >= 0;
        long count = unique ? requested : -requested;
        if (count == 0) { c.Reply.EmptyArray(); return; }
        Span<byte> scratch = stackalloc byte[HashObject.IteratorScratch];

        // Repetitions allowed (negative count), or a single field: independent random picks.
        if (!unique || count == 1)
        {
            c.Reply.ArrayHeader(withValues && c.Protocol == 2 ? count * 2 : count);
            for (long i = 0; i < count; i++)
            {
                RandomPair(c, hash, scratch, out var f, out var v);
                ReplyPair(c, f, v, withValues);
            }
            return;
        }
        long replySize = Math.Min(count, size);
        c.Reply.ArrayHeader(withValues && c.Protocol == 2 ? replySize * 2 : replySize);

        // Asking for the whole hash or more: all of it, in storage order.
        if (count >= size)
        {
            var it = hash.Iterate(scratch);
            while (it.MoveNext()) ReplyPair(c, it.Field, it.Value, withValues);
            return;
        }
        // Otherwise pick `count` distinct pairs: a partial shuffle of the pair ordinals (table
        // locations for a big hash) is uniform and never retries.
        var picks = new int[size];
        var table = hash.Table;
        if (table != null)
        {
            int i = 0;
            foreach (int loc in table) picks[i++] = loc;
        }
        else for (int i = 0; i < size; i++) picks[i] = i;
        for (int i = 0; i < count; i++)
        {
            int j = i + c.Server.Random.Next((int)(size - i));
            (picks[i], picks[j]) = (picks[j], picks[i]);
            if (table != null) ReplyPair(c, table.FieldAt(picks[i]), table.ValueAt(picks[i]), withValues);
            else
            {
                hash.PackedPairAt(picks[i], scratch, out var f, out var v);
                ReplyPair(c, f, v, withValues);
            }
        }
    }

    /// <summary>Redis's parseScanCursorOrReply: strtoul rules (optional sign, no leading space, no trailing junk).</summary>
    public static bool TryParseCursor(ReadOnlySpan<byte> text, out ulong cursor)
    {
        cursor = 0;
        int p = 0;
        bool negative = false;
        if (p < text.Length && (text[p] == '+' || text[p] == '-')) { negative = text[p] == '-'; p++; }
        for (; p < text.Length; p++)
        {
            uint d = (uint)(text[p] - '0');
            if (d > 9) return false;
            if (cursor > (ulong.MaxValue - d) / 10) return false;
            cursor = cursor * 10 + d;
        }
        if (negative) cursor = unchecked(0 - cursor);
        return true;
    }

    static void HScan(Client c)
    {
        if (!TryParseCursor(c.Arg(2), out ulong cursor)) { c.Error("ERR invalid cursor"u8); return; }
        if (!TryHash(c, c.Db.LookupRead(c.Arg(1)), out var hash)) return;
        if (hash == null)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("0"u8);
            c.Reply.EmptyArray();
            return;
        }
        long count = 10;
        int patternArg = -1;
        for (int i = 3; i < c.Argc;)
        {
            bool hasValue = c.Argc - i >= 2;
            if (Ascii.EqualsIgnoreCase(c.Arg(i), "count"u8) && hasValue)
            {
                if (!NumberParsing.TryParseInt64(c.Arg(i + 1), out count)) { c.Error(Errors.NotInteger); return; }
                if (count < 1) { c.Error(Errors.Syntax); return; }
                i += 2;
            }
            else if (Ascii.EqualsIgnoreCase(c.Arg(i), "match"u8) && hasValue)
            {
                patternArg = c.Arg(i + 1).SequenceEqual("*"u8) ? -1 : i + 1;
                i += 2;
            }
            else
            {
                c.Error(Errors.Syntax);
                return;
            }
        }
        Span<byte> scratch = stackalloc byte[HashObject.IteratorScratch];
        Span<byte> cursorText = stackalloc byte[20];
        var table = hash.Table;
        if (table == null)
        {
            // A listpack hash is small: everything in one reply, cursor 0, as Redis does.
            long matched = 0;
            var it = hash.Iterate(scratch);
            while (it.MoveNext()) if (patternArg < 0 || Glob.Match(c.Arg(patternArg), it.Field)) matched++;
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("0"u8);
            c.Reply.ArrayHeader(matched * 2);
            it = hash.Iterate(scratch);
            while (it.MoveNext())
            {
                if (patternArg >= 0 && !Glob.Match(c.Arg(patternArg), it.Field)) continue;
                c.Reply.Bulk(it.Field);
                c.Reply.Bulk(it.Value);
            }
            return;
        }
        var locations = new List<int>();
        long maxIterations = count * 10;
        do
        {
            cursor = table.ScanBucket(cursor, locations);
        } while (cursor != 0 && maxIterations-- > 0 && locations.Count < count);
        if (patternArg >= 0) locations.RemoveAll(loc => !Glob.Match(c.Arg(patternArg), table.FieldAt(loc)));
        c.Reply.ArrayHeader(2);
        System.Buffers.Text.Utf8Formatter.TryFormat(cursor, cursorText, out int n);
        c.Reply.Bulk(cursorText[..n]);
        c.Reply.ArrayHeader(locations.Count * 2);
        foreach (int loc in locations)
        {
            c.Reply.Bulk(table.FieldAt(loc));
            c.Reply.Bulk(table.ValueAt(loc));
        }
    }
}
